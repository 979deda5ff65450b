"""GET /wecom/bind: a WeCom member binds without a code. The app's 绑定 opens this page; WeCom's
browser goes to the authorize URL with scope snsapi_privateinfo (the member is asked to share
their mobile number), comes back with a code; `auth/getuserinfo` gives the UserID and a
user_ticket, `auth/getuserdetail` the mobile number. The person with that number is bound to
the member (audited). No match, or no consent: a clear page saying whom to ask for a code."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.wecom.api import WeComClient, WeComError
from bot.wecom.app import client_for
from bot.wecom.oauth import AUTHORIZE
from issuance.accounts import Accounts
from issuance.core.catalog import t
from issuance.core.errors import DomainError, NotFound
from issuance.core.people import Channel
from issuance.core.settings import Settings
from web.context import context, html
from web.pages import render

log = logging.getLogger(__name__)

PATH = "/wecom/bind"
SCOPE = "snsapi_privateinfo"
STATE = "qianfa-bind"


def authorize_url(settings: Settings, back: str) -> str:
    """WeCom's OAuth2 authorize URL asking for the member's private info (mobile number)."""
    query = urlencode(
        {
            "appid": settings.wecom_corp_id,
            "redirect_uri": back,
            "response_type": "code",
            "scope": SCOPE,
            "state": STATE,
            "agentid": str(settings.wecom_agent_id),
        },
        quote_via=quote,
    )
    return f"{AUTHORIZE}?{query}#wechat_redirect"


def page(title_key: str, body: str, status: int = 200) -> HTMLResponse:
    """A plain message page, Chinese first, never cached."""
    return html(render("message.html", title=t(title_key), body=body, detail=""), status, True)


def routes(settings: Settings, client: WeComClient | None = None) -> list[Route]:
    """The bind route when WeCom is configured, asking WeCom through `client` (made here unless
    given) who opened it and their mobile number."""
    if not settings.wecom_enabled:
        return []
    asker = client or client_for(settings)
    public = settings.public_url.rstrip("/")

    async def bind(request: Request) -> Response:
        code = request.query_params.get("code", "")
        if not code:
            return RedirectResponse(authorize_url(settings, f"{public}{PATH}"), status_code=302)
        accounts = Accounts(context(request).issuance)
        try:
            userid, ticket = await asker.member_and_ticket(code)
            mobile = await asker.mobile_of(ticket) if ticket else ""
        except WeComError as error:
            log.warning("wecom: could not read a member's mobile number (%s)", error)
            return page("web.message.error.title", t("web.message.error.body"), 502)
        if not userid or not mobile:
            return page("admin.bind.refused_title", t("admin.bind.refused_body"), 403)
        try:
            person = await accounts.bind_by_phone(Channel.WECOM, userid, mobile)
        except NotFound:
            admins = "、".join(
                f"{a.name}（{a.org_name}，{a.phone}）" for a in await accounts.administrators()
            )
            who = admins or t("admin.bind.no_admins")
            body = t("admin.bind.no_match_body", admins=who)
            return page("admin.bind.no_match_title", body, 404)
        except DomainError as error:
            return page("admin.bind.taken_title", error.message(), 409)
        facts = {"name": person.name, "org": person.org_name, "role": person.role}
        try:  # the app's chat says so too, where the member goes next
            await asker.send_text(userid, t("admin.bound_chat", **facts))
        except WeComError as error:
            log.warning("wecom: could not tell a member they are bound (%s)", error)
        return page("admin.bind.done_title", t("admin.bind.done_body", **facts))

    return [Route(PATH, bind, methods=["GET"])]
