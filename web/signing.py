"""Routes of the online signature page: GET shows what is signed, POST signs it."""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from issuance.core.catalog import t
from issuance.core.errors import DomainError, Forbidden, Invalid
from issuance.core.people import Channel, Person
from issuance.core.tokens import telegram_init_data_valid
from issuance.core.vocabulary import Party
from issuance.xcert.signing import SigningView, complete_signing, open_signing, token_hash
from web import csrf
from web.context import body_too_large, context, error_page, form_page, html
from web.pages import SigningRequest, message_page, sign_done_page, sign_page

log = logging.getLogger(__name__)
INIT_DATA_MAX_AGE_S = 24 * 3600
# The signature arrives as a PNG data URL of at most 512 KiB (about 700 KiB in base64).
MAX_FIELD = 1024 * 1024


def signing_request(view: SigningView) -> SigningRequest:
    """The page's view of a signing request."""
    first = view.records[0]
    batch = t("signing.batch_label", id=view.batch.id) if view.batch else t("signing.batches_mixed")
    return SigningRequest(
        signer_name=view.signer.name,
        school=view.signer.org_name,
        batch=batch,
        program=first.program,
        level=first.level,
        exam_plan=first.plan,
        record_count=len(view.records),
        first_student_names=tuple(r.student_name for r in view.records[:5]),
        evaluator=view.signer.party == Party.EVALUATOR,
    )


def _scope(token: str) -> str:
    return f"sign:{token_hash(token)[:32]}"


async def sign_get(request: Request) -> Response:
    """The signing page, or a page saying why this link cannot be signed."""
    token = request.path_params["token"]
    try:
        view = await open_signing(context(request).issuance, token)
    except DomainError as error:
        return error_page(error)
    page = signing_request(view)
    return form_page(request, lambda token_: sign_page(page, token_), _scope(token))


async def sign_post(request: Request) -> Response:
    """Check the form and the signature, confirm the pinned records, show the result."""
    web = context(request)
    token = request.path_params["token"]
    if body_too_large(request):
        return html(message_page("too_large"), 413, private=True)
    form = await request.form(max_part_size=MAX_FIELD)
    try:
        csrf.check(web.secret, request, str(form.get(csrf.FIELD, "")), _scope(token))
        presenter = await _mini_app_person(request, str(form.get("init_data", "")))
        outcome = await complete_signing(
            web.issuance,
            token,
            str(form.get("signature", "")),
            str(form.get("strokes", "")),
            presented_by=presenter,
        )
    except Invalid as error:
        if error.key == "web.csrf":
            return error_page(error)
        return await _sign_again(request, token, error)
    except DomainError as error:
        return error_page(error)
    if not outcome.confirmed:
        return html(message_page("changed", detail=outcome.message()), 409, private=True)
    log.info(
        "signing request %s confirmed %s records",
        outcome.view.request_id,
        len(outcome.view.records),
    )
    signed_at = outcome.finished_at[:16].replace("T", " ")
    return html(sign_done_page(signing_request(outcome.view), signed_at), private=True)


async def _sign_again(request: Request, token: str, error: Invalid) -> Response:
    """The signing page again with the signature's problem shown (nothing was changed)."""
    try:
        view = await open_signing(context(request).issuance, token)
    except DomainError as other:
        return error_page(other)
    page = signing_request(view)
    return form_page(
        request, lambda token_: sign_page(page, token_, error=error), _scope(token), 422
    )


async def _mini_app_person(request: Request, init_data: str) -> Person | None:
    """The person a Telegram Mini App's initData vouches for; None when not opened there."""
    if not init_data:
        return None
    web = context(request)
    bot_token = web.settings.telegram_token
    fields = (
        telegram_init_data_valid(init_data, bot_token, INIT_DATA_MAX_AGE_S) if bot_token else None
    )
    if fields is None:
        raise Forbidden("signing.not_yours")
    try:
        user_id = str(json.loads(fields["user"])["id"])
    except (KeyError, TypeError, ValueError):
        raise Forbidden("signing.not_yours") from None
    person = await web.issuance.store.person_for_account(Channel.TELEGRAM, user_id)
    if person is None:
        raise Forbidden("signing.not_yours")
    return person


routes = [
    Route("/sign/{token}", sign_get, methods=["GET"]),
    Route("/sign/{token}", sign_post, methods=["POST"]),
]
