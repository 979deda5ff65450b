"""The operator's routes (/readyz, /metrics) and the middleware that measures every request."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
import uuid
from collections.abc import Iterator, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuance.core.settings import Settings
from issuance.store import Store
from issuance.store.figures import database_figures, pool_figures
from issuance.store.health import readiness
from issuance.telemetry import LATENCY, REQUEST_ID, REQUESTS, exposition

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MetricsMiddleware:
    """Counts requests and their latency per route template, and gives each request an id (the
    `request` of JSON log lines, echoed as X-Request-ID)."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def _template(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return str(getattr(route, "path", "other"))
        return "unmatched"  # never the raw path: it may hold a signing token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(request_id)
        route = self._template(scope)
        status = 500
        started = time.perf_counter()

        async def send_measured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"].append((b"x-request-id", request_id.encode("ascii")))
            await send(message)

        try:
            await self.app(scope, receive, send_measured)
        finally:
            LATENCY.labels(route).observe(time.perf_counter() - started)
            REQUESTS.labels(route, scope["method"], str(status)).inc()
            REQUEST_ID.reset(token)


async def readyz(request: Request) -> JSONResponse:
    """Readiness: database reachable, migrations current, the audit anchor present (503 if not)."""
    checks = await readiness(request.app.state.store)
    ready = all(check.ok for check in checks)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    return JSONResponse(body, 200 if ready else 503)


def metrics_endpoint(settings: Settings, store: Store) -> Route:
    """/metrics in the Prometheus text format; with `metrics.token` set, only for that bearer."""
    expected = f"Bearer {settings.metrics_token}".encode()

    async def metrics(request: Request) -> Response:
        if settings.metrics_token:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return Response("unauthorized\n", 401, {"WWW-Authenticate": "Bearer"})
        figures = await database_figures(store, store.now()) + pool_figures(store.driver)
        return Response(exposition(figures), media_type=CONTENT_TYPE)

    return Route("/metrics", metrics)


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the process's `stop` event governs shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_metrics(settings: Settings, store: Store, stop: asyncio.Event) -> None:
    """/metrics (and /readyz) on `metrics.host:metrics.port`, apart from the public site."""
    app = Starlette(routes=[metrics_endpoint(settings, store), Route("/readyz", readyz)])
    app.state.store = store
    config = uvicorn.Config(
        app,
        host=settings.metrics_host,
        port=settings.metrics_port,
        log_config=None,
        lifespan="off",
        access_log=False,
        server_header=False,
    )
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve())
    log.info(
        "metrics: listening on http://%s:%s/metrics", settings.metrics_host, settings.metrics_port
    )
    await asyncio.wait(
        [task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    server.should_exit = True
    await task
