"""GET /wecom/sign/{token}: the signing link as opened in WeCom, where WeCom's OAuth2 names the
member who opened it (like Telegram's initData): only the signer goes on to the signing page.

WeCom's browser is sent to its authorize URL (snsapi_base: no prompt) and comes back with a
code; `auth/getuserinfo` turns the code into the member's UserID. A link opened by someone else
(a forwarded card) is refused with a clear page. If WeCom cannot be asked, the page opens as any
signing link does (the link alone is secret, bound to its signer, short-lived and used once).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.wecom.api import WeComClient, WeComError
from bot.wecom.app import client_for
from bot.wecom.oauth import PATH, authorize_url
from issuance.core.errors import DomainError, Forbidden
from issuance.core.settings import Settings
from issuance.xcert.signing import open_signing
from web.context import context, error_page

log = logging.getLogger(__name__)

CHANNEL = "wecom"


def routes(settings: Settings, client: WeComClient | None = None) -> list[Route]:
    """The route when WeCom is configured, asking WeCom through `client` (made here unless
    given) who opened the link."""
    if not settings.wecom_enabled:
        return []
    asker = client or client_for(settings)
    public = settings.public_url.rstrip("/")

    async def open_link(request: Request) -> Response:
        token = request.path_params["token"]
        code = request.query_params.get("code", "")
        plain = f"{public}/sign/{token}"
        if not code:
            back = f"{public}/wecom/sign/{token}"
            return RedirectResponse(authorize_url(settings, back), status_code=302)
        try:
            view = await open_signing(context(request).issuance, token)
            userid = await asker.member_of(code)
        except DomainError as error:
            return error_page(error)
        except WeComError as error:
            log.warning("wecom: could not ask who opened a signing link (%s)", error)
            return RedirectResponse(plain, status_code=303)
        store = context(request).issuance.store
        person = await store.person_for_account(CHANNEL, userid) if userid else None
        if person is None or person.id != view.signer.id:
            return error_page(Forbidden("signing.not_yours"))
        return RedirectResponse(plain, status_code=303)

    return [Route(PATH, open_link, methods=["GET"])]
