"""The web part's Starlette application: signing and verification pages, health check."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from issuance.settings import Settings
from issuance.store import Store


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers and the database is reachable."""
    store: Store = request.app.state.store
    version = await store.schema_version()
    return JSONResponse({"status": "ok", "schema": version})


def build_app(
    settings: Settings, store: Store, extra_routes: Sequence[BaseRoute] = ()
) -> Starlette:
    """The web application over an open store (plus e.g. the bot's webhook route)."""
    app = Starlette(routes=[Route("/healthz", healthz), *extra_routes])
    app.state.settings = settings
    app.state.store = store
    return app
