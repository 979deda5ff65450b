"""Signing links on WeCom cards: through WeCom's OAuth2 (the web part's /wecom/sign/{token},
`web.wecom_signing`), which names the member who opened the link, where WeCom allows it."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from issuance.core.settings import Settings

PATH = "/wecom/sign/{token}"
AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"


def authorize_url(settings: Settings, back: str) -> str:
    """WeCom's OAuth2 authorize URL that returns to `back` with ?code=…&state=…."""
    query = urlencode(
        {
            "appid": settings.wecom_corp_id,
            "redirect_uri": back,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": "qianfa",
            "agentid": str(settings.wecom_agent_id),
        },
        quote_via=quote,
    )
    return f"{AUTHORIZE}?{query}#wechat_redirect"


def wecom_link(settings: Settings, url: str) -> str:
    """The signing link to put on a WeCom card: through OAuth2 where WeCom allows it (HTTPS on
    the app's trusted domain), else the plain link."""
    public = settings.public_url.rstrip("/")
    if public.startswith("https://") and url.startswith(f"{public}/sign/"):
        return f"{public}/wecom" + url.removeprefix(public)
    return url
