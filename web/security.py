"""Security response headers for every page, and log masking for ID numbers and signing links."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuance.core.logs import SensitiveDataFilter

# Telegram's web clients show a Mini App in an iframe; phone clients use a web view (no frame).
TELEGRAM_FRAME_ANCESTORS = ("https://web.telegram.org",)


def content_security_policy(frame_ancestors: Iterable[str] = ()) -> str:
    """The CSP: everything from our own origin, no inline script, no plugins, no foreign frames."""
    ancestors = " ".join(frame_ancestors) or "'none'"
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            # data: for the signature preview the pad exports; nothing else leaves the origin.
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            f"frame-ancestors {ancestors}",
        )
    )


def security_headers(allow_telegram_embedding: bool = False) -> dict[str, str]:
    """CSP, nosniff, no-referrer, framing and permissions headers for every response."""
    ancestors = TELEGRAM_FRAME_ANCESTORS if allow_telegram_embedding else ()
    headers = {
        "Content-Security-Policy": content_security_policy(ancestors),
        "X-Content-Type-Options": "nosniff",
        # Signing links carry a secret token: never leak it to another site in a Referer.
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if not allow_telegram_embedding:
        headers["X-Frame-Options"] = "DENY"
    return headers


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding CSP, nosniff, no-referrer, framing and permissions headers."""

    def __init__(self, app: ASGIApp, allow_telegram_embedding: bool = False) -> None:
        self.app = app
        self.headers = security_headers(allow_telegram_embedding)
        # Encoded once: every response carries them.
        self._raw = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request through, adding the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in self._raw if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_log_masking(logger_names: Iterable[str] = ("uvicorn.access", "uvicorn.error")) -> None:
    """Attach SensitiveDataFilter to uvicorn's loggers (call after logging is configured)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SensitiveDataFilter) for f in logger.filters):
            logger.addFilter(SensitiveDataFilter())
