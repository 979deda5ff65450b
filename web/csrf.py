"""CSRF protection for the forms: a cookie plus a form field signed over the cookie's value."""

from __future__ import annotations

import re
import time

from starlette.requests import Request
from starlette.responses import Response

from issuance.core.errors import Invalid
from issuance.core.tokens import new_token, sign, unsign

COOKIE = "qf_csrf"
FIELD = "csrf"
LIFETIME_S = 2 * 3600
_COOKIE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def cookie_value(request: Request) -> str:
    """The client's CSRF cookie if it looks like ours, else a fresh value to set."""
    value = request.cookies.get(COOKIE, "")
    return value if _COOKIE_SHAPE.match(value) else new_token()


def form_token(secret: bytes, cookie: str, scope: str) -> str:
    """The hidden form value: the cookie and the form's scope, signed, valid two hours."""
    return sign(secret, "csrf", f"{cookie}|{scope}", int(time.time()) + LIFETIME_S)


def check(secret: bytes, request: Request, submitted: str, scope: str) -> None:
    """Raise Invalid unless the submitted token matches this client's cookie and this form."""
    cookie = request.cookies.get(COOKIE, "")
    if not _COOKIE_SHAPE.match(cookie) or not submitted:
        raise Invalid("web.csrf")
    try:
        payload = unsign(secret, "csrf", submitted)
    except Invalid:
        raise Invalid("web.csrf") from None
    if payload != f"{cookie}|{scope}":
        raise Invalid("web.csrf")


def set_cookie(response: Response, cookie: str, secure: bool) -> None:
    """Send the CSRF cookie: script-proof, same-site only."""
    # Spelled as Starlette's set_cookie spells it, without its SimpleCookie round (a fifth of a
    # verification's time); the value is URL-safe base64, nothing to quote.
    header = f"{COOKIE}={cookie}; HttpOnly; Max-Age={LIFETIME_S}; Path=/; SameSite=strict"
    response.raw_headers.append((b"set-cookie", (header + ("; Secure" if secure else "")).encode()))
