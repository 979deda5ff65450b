"""Routes of the public graduation-certificate lookup (毕业证书查询): number and name."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from issuance.core.catalog import DEFAULT_LOCALE
from issuance.core.errors import Invalid, NotFound
from issuance.graduation.printouts import GraduationAnswer, Printouts
from issuance.graduation.service import Graduation
from web import csrf
from web.context import (
    body_too_large,
    client_key,
    context,
    error_page,
    form_page,
    html,
    read_form,
    too_many,
)
from web.pages import message_page, render

SCOPE = "verify-graduation"


def lookup_page(
    answer: GraduationAnswer | None = None,
    cert_no: str = "",
    searched: bool = False,
    error: Invalid | None = None,
    csrf: str = "",
) -> str:
    """The lookup form, plus the answer if one was asked for; the name typed is never echoed."""
    return render(
        "verify_graduation.html",
        DEFAULT_LOCALE,
        answer=answer,
        cert_no=cert_no,
        searched=searched,
        error=error.message() if error else None,
        csrf=csrf,
    )


async def lookup_get(request: Request) -> Response:
    """The empty lookup form."""
    return form_page(request, lambda token: lookup_page(csrf=token), SCOPE)


async def lookup_post(request: Request) -> Response:
    """Answer a number and a name: the certificate's facts, or not found (wrong name alike)."""
    web = context(request)
    decision = web.verify_limiter.hit(client_key(request))
    if not decision.allowed:
        return too_many(decision.retry_after)
    if body_too_large(request):
        return html(message_page("too_large"), 413)
    form = await read_form(request)
    # the whole number is checked; only what is shown again is cut
    cert_no = str(form.get("cert_no", ""))
    try:
        csrf.check(web.secret, request, str(form.get(csrf.FIELD, "")), SCOPE)
    except Invalid as error:
        return error_page(error)
    store = web.issuance.store
    printouts = Printouts(Graduation(store, web.settings), store)
    try:
        answer: GraduationAnswer | None = await printouts.lookup(cert_no, str(form.get("name", "")))
    except Invalid as error:
        return _form_again(request, cert_no.strip()[:32], error)
    except NotFound:
        answer = None
    shown = answer.cert_no if answer else cert_no.strip()[:32]
    return form_page(request, lambda token: lookup_page(answer, shown, True, csrf=token), SCOPE)


async def lookup(request: Request) -> Response:
    """One route for the path: a wrong method is answered with every method it takes."""
    return await (lookup_post if request.method == "POST" else lookup_get)(request)


def _form_again(request: Request, cert_no: str, error: Invalid) -> Response:
    """The form again with the input's problem shown; nothing was looked up."""
    return form_page(
        request, lambda token: lookup_page(None, cert_no, error=error, csrf=token), SCOPE, 422
    )


routes = [Route("/verify/graduation", lookup, methods=["GET", "POST"])]
