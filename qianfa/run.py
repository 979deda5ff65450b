"""Run the parts (web server, bot, worker) together in one process and event loop."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal

from issuance.core.settings import Settings, SettingsError
from issuance.store import Store

log = logging.getLogger(__name__)
# Each part is served by modules with `async def serve(settings, store, stop)`; the chat part
# ("bot") runs each configured channel: Telegram, WeCom, or both.
PARTS = {
    "web": ("web.serve",),
    "bot": ("channels.telegram.serve", "channels.wecom.serve"),
    "worker": ("worker.serve",),
}


async def run_parts(settings: Settings, parts: set[str]) -> None:
    """Serve the chosen parts until SIGINT/SIGTERM, sharing one store."""
    if not settings.secret_key:
        # Signed links (QR codes, CSRF) need it; fail now, not on the first certificate.
        raise SettingsError("setting secret_key: empty; run `qianfa init` to generate one")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    store = await Store.open(settings.database_path)
    try:
        servers = []
        for name, modules in PARTS.items():
            if name not in parts:
                continue
            for path in modules:
                try:
                    module = importlib.import_module(path)
                except ModuleNotFoundError:
                    log.warning("%s is not part of this build; skipping it", path)
                    continue
                task = module.serve(settings, store, stop)
                servers.append(asyncio.create_task(task, name=path.removesuffix(".serve")))
        log.info("running: %s", ", ".join(t.get_name() for t in servers) or "nothing")
        done, _ = await asyncio.wait(servers, return_when=asyncio.FIRST_EXCEPTION)
        stop.set()
        await asyncio.gather(*servers, return_exceptions=True)
        for task in done:
            if task.exception():
                raise task.exception()  # type: ignore[misc]
    finally:
        await store.close()
