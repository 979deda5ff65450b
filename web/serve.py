"""Serve the web part with uvicorn inside the shared event loop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Iterator, Sequence

import uvicorn
from starlette.routing import BaseRoute

from issuance.core.errors import DomainError
from issuance.core.settings import Settings
from issuance.store import Store
from web.app import build_app
from web.security import install_log_masking

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the process's `stop` event governs shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def check_can_start(settings: Settings) -> None:
    """Refuse at once, with one line naming it, when web.port is already taken."""
    family = socket.AF_INET6 if ":" in settings.web_host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # uvicorn binds with SO_REUSEADDR too: a port in TIME_WAIT is free, a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.web_host, settings.web_port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise DomainError(
                    "run.port_taken", host=settings.web_host, port=settings.web_port
                ) from None
            raise


async def serve(
    settings: Settings,
    store: Store,
    stop: asyncio.Event,
    extra_routes: Sequence[BaseRoute] = (),
) -> None:
    """Listen on web.host:web.port until `stop` is set; `extra_routes` (the bot's webhook)
    come from the process's composition root."""
    config = uvicorn.Config(
        build_app(settings, store, extra_routes=extra_routes),
        host=settings.web_host,
        port=settings.web_port,
        log_config=None,
        lifespan="off",
        # Behind the HTTPS reverse proxy: client address and scheme from X-Forwarded-*, but
        # only when the connection comes from a trusted proxy address.
        proxy_headers=True,
        forwarded_allow_ips=settings.web_forwarded_allow_ips,
        server_header=False,
    )
    install_log_masking()
    server = _Server(config)
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
