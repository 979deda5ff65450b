"""The web part's Starlette application: signing and verification pages, health check."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from issuance.core.ratelimit import RateLimiter
from issuance.core.settings import Settings, SettingsError
from issuance.store import Store
from issuance.xcert.service import Issuance
from web import (
    grad_verification,
    signing,
    uploads,
    verification,
    wecom_bind,
    wecom_signing,
    wecom_upload,
)
from web.bodylimit import BodyLimitMiddleware
from web.context import MAX_BODY, WebContext, context, html
from web.observability import MetricsMiddleware, metrics_endpoint, readyz
from web.pages import MessageKind, message_page, static_files
from web.security import SecurityHeadersMiddleware, security_headers

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers and the database is reachable."""
    version = await context(request).issuance.store.schema_version()
    return JSONResponse({"status": "ok", "schema": version})


async def server_error(request: Request, exc: Exception) -> Response:
    """A plain Chinese error page; the traceback goes to the log, never to the client."""
    log.error("web: unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    response = html(message_page("error"), 500, private=True)
    # This handler answers outside the middleware stack, so the headers are added here.
    embedding = request.app.state.settings.public_url.startswith("https://")
    response.headers.update(security_headers(embedding))
    return response


_HTTP_ERRORS: dict[int, MessageKind] = {
    400: "bad_request",
    404: "not_found",
    405: "method",
    413: "too_large",
}


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown page, wrong method, body too large) as Chinese pages."""
    assert isinstance(exc, HTTPException)
    response = html(message_page(_HTTP_ERRORS.get(exc.status_code, "error")), exc.status_code)
    response.headers.update(exc.headers or {})
    return response


def build_app(
    settings: Settings, store: Store, extra_routes: Sequence[BaseRoute] = ()
) -> Starlette:
    """The web application over an open store; `extra_routes` (e.g. the bot's webhook) join it."""
    if not settings.secret_key:
        raise SettingsError("setting secret_key: empty; run `qianfa init` to generate one")
    web = WebContext(
        issuance=Issuance(store, settings),
        settings=settings,
        secret=settings.secret_key.encode("utf-8"),
        verify_limiter=RateLimiter(settings.web_verify_per_minute, settings.web_verify_burst),
    )
    # /metrics on the main site only behind its token; else on its own listener (or not at all).
    metrics = [metrics_endpoint(settings, store)] if settings.metrics_token else []
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *metrics,
        *signing.routes,
        *uploads.routes,
        *verification.routes,
        *grad_verification.routes,
        *wecom_signing.routes(settings),
        *wecom_upload.routes(settings),
        *wecom_bind.routes(settings),
        Mount("/static", static_files(), name="static"),
        *extra_routes,
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(MetricsMiddleware, routes=routes),
            Middleware(
                SecurityHeadersMiddleware,
                allow_telegram_embedding=settings.public_url.startswith("https://"),
            ),
            Middleware(
                BodyLimitMiddleware,
                limit=MAX_BODY,
                larger={uploads.PREFIX: uploads.MAX_UPLOAD_BODY},
            ),
        ],
        exception_handlers={
            500: server_error,
            **{status: http_error for status in _HTTP_ERRORS},
        },
    )
    app.state.web = web
    app.state.settings = settings
    app.state.store = store
    return app
