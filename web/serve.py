"""Serve the web part with uvicorn inside the shared event loop."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from issuance.settings import Settings
from issuance.store import Store
from web.app import build_app

log = logging.getLogger(__name__)


async def serve(settings: Settings, store: Store, stop: asyncio.Event) -> None:
    """Listen on web.host:web.port until `stop` is set."""
    config = uvicorn.Config(
        build_app(settings, store),
        host=settings.web_host,
        port=settings.web_port,
        log_config=None,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    log.info(
        "web: listening on http://%s:%s (public %s)",
        settings.web_host,
        settings.web_port,
        settings.public_url,
    )
    await asyncio.wait(
        [task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    server.should_exit = True
    await task
