"""Routes of public certificate verification (证书查验): the form and the certificate's QR link."""

from __future__ import annotations

import re
import unicodedata

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from issuance.core.errors import Invalid
from issuance.core.idcard import parse_id_number
from issuance.xcert.service import Verification
from issuance.xcert.signing import verify_link
from web import csrf
from web.context import (
    body_too_large,
    client_key,
    context,
    error_page,
    form_fields,
    form_page,
    html,
    too_many,
)
from web.pages import VerifyResult, message_page, verify_page

SCOPE = "verify"
_CERT_NO = re.compile(r"^[0-9]{1,32}$")


def verify_result(answer: Verification) -> VerifyResult:
    """The page's view of a verification answer (the name comes masked from the core)."""
    return VerifyResult(
        status=answer.status,  # type: ignore[arg-type]
        cert_no=answer.cert_no,
        student_name=answer.name or "",
        program=answer.program or "",
        level=answer.level or "",
        issuer=answer.issuer or "",
        issued_on=answer.issued_on or "",
        file_sha256=answer.sha256 or "",
    )


def _limited(request: Request) -> Response | None:
    decision = context(request).verify_limiter.hit(client_key(request))
    return None if decision.allowed else too_many(decision.retry_after)


async def verify_get(request: Request) -> Response:
    """The empty verification form."""
    return form_page(request, lambda token: verify_page(csrf=token), SCOPE)


async def verify_post(request: Request) -> Response:
    """Check the inputs, then answer: 确认签发, 作废 or not found (unknown and wrong ID alike)."""
    limited = _limited(request)
    if limited:
        return limited
    if body_too_large(request):
        return html(message_page("too_large"), 413)
    web = context(request)
    form = await form_fields(request)
    # Chinese input methods type full-width digits (１２３): NFKC folds them to ASCII.
    cert_no = unicodedata.normalize("NFKC", str(form.get("cert_no", ""))).strip()
    try:
        csrf.check(web.secret, request, str(form.get(csrf.FIELD, "")), SCOPE)
    except Invalid as error:
        return error_page(error)
    try:
        if not _CERT_NO.match(cert_no):
            raise Invalid("web.verify.bad_cert_no")
        id_number = parse_id_number(str(form.get("id_number", ""))).value
    except Invalid as error:
        return _form_again(request, cert_no[:32], error)
    result = verify_result(await web.issuance.verify(cert_no, id_number))
    return form_page(request, lambda token: verify_page(result, cert_no, csrf=token), SCOPE)


def _form_again(request: Request, cert_no: str, error: Invalid) -> Response:
    """The form again with the input's problem shown; nothing was looked up."""
    return form_page(
        request, lambda token: verify_page(None, cert_no, error=error, csrf=token), SCOPE, 422
    )


async def certificate_qr(request: Request) -> Response:
    """The QR printed on a certificate: its signed tag stands in for the ID number."""
    limited = _limited(request)
    if limited:
        return limited
    cert_no = request.path_params["cert_no"]
    if not _CERT_NO.match(cert_no):
        result = VerifyResult("not_found", cert_no[:32])
    else:
        answer = await verify_link(
            context(request).issuance, cert_no, request.query_params.get("t", "")
        )
        result = verify_result(answer)
    return form_page(request, lambda token: verify_page(result, result.cert_no, csrf=token), SCOPE)


async def verify(request: Request) -> Response:
    """One route for the path: a wrong method is answered with every method it takes."""
    return await (verify_post if request.method == "POST" else verify_get)(request)


routes = [
    Route("/verify", verify, methods=["GET", "POST"]),
    Route("/c/{cert_no}", certificate_qr, methods=["GET"]),
]
