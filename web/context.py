"""What every handler reaches through the app: typed context, the client's key, HTML replies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from issuance.core.errors import DomainError
from issuance.core.ratelimit import RateLimiter
from issuance.core.settings import Settings
from issuance.xcert.service import Issuance
from web import csrf
from web.pages import MessageKind, message_page

# Domain error key -> (page kind, HTTP status) of the message page that explains it.
_MESSAGES: dict[str, tuple[MessageKind, int]] = {
    "signing.unknown": ("forged", 404),
    "signing.expired": ("expired", 410),
    "signing.used": ("used", 410),
    "signing.failed": ("changed", 409),
    "signing.records_changed": ("changed", 409),
    "signing.not_yours": ("foreign", 403),
    "web.csrf": ("forged", 403),
    "upload.unknown": ("link_forged", 404),
    "upload.expired": ("link_expired", 410),
    "upload.used": ("link_used", 410),
    "upload.not_yours": ("link_foreign", 403),
    "upload.wecom_unavailable": ("link_foreign", 403),
    "upload.kind_not_allowed": ("link_foreign", 403),
}
MAX_BODY = 2 * 1024 * 1024


@dataclass(frozen=True)
class WebContext:
    """The web part's dependencies: use cases, settings, signing key and rate limiter."""

    issuance: Issuance
    settings: Settings
    secret: bytes
    verify_limiter: RateLimiter

    @property
    def secure_cookies(self) -> bool:
        return self.settings.public_url.startswith("https://")


def context(request: Request) -> WebContext:
    """The app's WebContext."""
    web: WebContext = request.app.state.web
    return web


def client_key(request: Request) -> str:
    """The client's address (the proxy's X-Forwarded-For, when uvicorn trusts the proxy)."""
    return request.client.host if request.client else "unknown"


def html(body: str, status: int = 200, private: bool = False) -> HTMLResponse:
    """An HTML page; `private` pages (signing links) are never cached."""
    response = HTMLResponse(body, status_code=status)
    response.headers["Cache-Control"] = "no-store" if private else "no-cache"
    return response


def form_page(
    request: Request, body_for: Callable[[str], str], scope: str, status: int = 200
) -> HTMLResponse:
    """Render a page holding a form: `body_for(csrf_token)` gets a token bound to the cookie."""
    web = context(request)
    cookie = csrf.cookie_value(request)
    body = body_for(csrf.form_token(web.secret, cookie, scope))
    response = html(body, status, private=scope.startswith(("sign:", "upload:")))
    csrf.set_cookie(response, cookie, web.secure_cookies)
    return response


def error_page(error: DomainError, default: MessageKind = "error") -> HTMLResponse:
    """A message page for a domain error, with the error's own text as detail."""
    kind, status = _MESSAGES.get(error.key, (default, 409))
    return html(message_page(kind, detail=error.message()), status, private=True)


def too_many(retry_after: float) -> HTMLResponse:
    """429 with Retry-After."""
    response = html(message_page("rate_limited"), 429)
    response.headers["Retry-After"] = str(max(1, round(retry_after + 0.5)))
    return response


def body_too_large(request: Request) -> bool:
    """Whether the declared body exceeds MAX_BODY (forms are read whole)."""
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) > MAX_BODY


async def form_fields(request: Request) -> Mapping[str, str]:
    """The posted form's fields (a repeated one's last value, as Starlette's `form.get`); an HTML
    form's urlencoded body is parsed here directly, several times faster than Starlette's parser."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        body = (await request.body()).decode("utf-8", "replace")
        try:
            return dict(parse_qsl(body, keep_blank_values=True, max_num_fields=1000))
        except ValueError:  # more fields than any of our forms has: none of them counts
            return {}
    form = await request.form()
    return {name: str(value) for name, value in form.items()}


async def read_form(request: Request) -> FormData:
    """The form; a multipart part over Starlette's own size limit is a body too large (413),
    not a bad request."""
    try:
        return await request.form()
    except HTTPException as error:
        if error.status_code == 400 and "maximum size" in str(error.detail):
            raise HTTPException(413) from error
        raise
