"""GET /wecom/upload/{token}: an upload link given on WeCom, opened through WeCom's OAuth2
(snsapi_base, no prompt) as signing links are. Only the link's own person goes on to the upload
page, with a pass cookie the page checks; anyone else (a forwarded link) is refused. Unlike a
signing link, there is no way round: if WeCom cannot be asked, the page says to try again.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.wecom.api import WeComClient, WeComError
from bot.wecom.app import client_for
from bot.wecom.oauth import authorize_url
from issuance.core.errors import DomainError, Forbidden
from issuance.core.people import Channel
from issuance.core.settings import Settings
from issuance.uploads import open_upload
from web.context import context, error_page
from web.uploads import set_pass

log = logging.getLogger(__name__)

PATH = "/wecom/upload/{token}"


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
        web = context(request)
        try:
            view = await open_upload(web.issuance, token)
            if not code:
                back = f"{public}/wecom/upload/{token}"
                return RedirectResponse(authorize_url(settings, back), status_code=302)
            userid = await asker.member_of(code)
        except DomainError as error:
            return error_page(error)
        except WeComError as error:
            log.warning("wecom: could not ask who opened an upload link (%s)", error)
            return error_page(Forbidden("upload.wecom_unavailable"))
        person = (
            await web.issuance.store.person_for_account(Channel.WECOM, userid) if userid else None
        )
        if person is None or person.id != view.person.id:
            return error_page(Forbidden("upload.not_yours"))
        response = RedirectResponse(f"{public}/upload/{token}", status_code=303)
        set_pass(response, web.secret, token, web.secure_cookies)
        return response

    return [Route(PATH, open_link, methods=["GET"])]
