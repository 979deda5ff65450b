"""Run the parts (web server, bot, worker) together in one process and event loop."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Coroutine
from typing import Any

from issuance.core.settings import Settings
from issuance.store import Store
from issuance.store.serving import require_secret, serve_until_stopped

log = logging.getLogger(__name__)
# Each part is served by modules with `async def serve(settings, store, stop, **wiring)`; the
# chat part ("bot") runs each configured channel: Telegram, WeCom, or both.
MODULES = {
    "web": ("web.serve",),
    "bot": ("bot.telegram.serve", "bot.wecom.serve"),
    "worker": ("worker.serve",),
}
PARTS = tuple(MODULES)


def wiring(settings: Settings, parts: set[str], store: Store) -> dict[str, dict[str, Any]]:
    """What the modules of this process share, made here and handed to each (no module globals):
    the webhook updates and WeCom callbacks the web part receives for the chat part. Telegram
    webhook updates go in memory when the chat part runs in this process, else through the
    database for whichever chat process holds the inbox lease; WeCom callbacks are stored in the
    database either way (the doorbell only wakes a chat part in this process)."""
    shared: dict[str, dict[str, Any]] = {}
    routes: list[Any] = []
    if "web" in parts and settings.telegram_webhook_url:
        from bot.telegram.webhook import Inbox, StoredInbox
        from bot.telegram.webhook import routes as telegram_routes

        if "bot" in parts:
            inbox = Inbox()
            routes += telegram_routes(settings, inbox)
            shared["bot.telegram.serve"] = {"inbox": inbox}
        else:
            routes += telegram_routes(settings, StoredInbox(store))
    if "web" in parts and settings.wecom_enabled:
        # served by the web part even when the chat part runs elsewhere (it polls the database)
        from bot.wecom.callback import Doorbell
        from bot.wecom.callback import routes as wecom_routes

        doorbell = Doorbell()
        routes += wecom_routes(settings, doorbell)
        shared["bot.wecom.serve"] = {"doorbell": doorbell}
    if routes:
        shared["web.serve"] = {"extra_routes": routes}
    return shared


async def run_parts(settings: Settings, parts: set[str]) -> None:
    """Serve the chosen parts until SIGINT/SIGTERM, sharing one store."""
    require_secret(settings)
    modules = {}
    for name, module_names in MODULES.items():
        if name not in parts:
            continue
        for module_name in module_names:
            try:
                modules[module_name] = importlib.import_module(module_name)
            except ModuleNotFoundError:
                log.warning("%s is not part of this build; skipping it", module_name)
    # A part may check what it needs (the web part: its port) before anything starts.
    for module in modules.values():
        check = getattr(module, "check_can_start", None)
        if check is not None:
            check(settings)

    def servers(store: Store, stop: asyncio.Event) -> dict[str, Coroutine[Any, Any, None]]:
        shared = wiring(settings, parts, store)
        running = {
            name: module.serve(settings, store, stop, **shared.get(name, {}))
            for name, module in modules.items()
        }
        if settings.metrics_port:
            from web.observability import serve_metrics

            running["metrics"] = serve_metrics(settings, store, stop)
        return running

    await serve_until_stopped(settings, servers)
