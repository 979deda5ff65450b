"""Serve the Telegram bot inside the shared event loop (when a token is configured)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update

from bot.telegram.app import NotStarted, running
from bot.telegram.context import BotApp
from bot.telegram.webhook import Inbox, StoredInbox
from issuance.core.catalog import t
from issuance.core.settings import Settings
from issuance.store import Store

log = logging.getLogger(__name__)


async def serve(
    settings: Settings, store: Store, stop: asyncio.Event, inbox: Inbox | StoredInbox | None = None
) -> None:
    """Run the bot until `stop` is set; without a token, say how to set one and return.

    With a webhook, updates arrive in `inbox`, filled by the web part of this process; without
    one (web and bot in different processes) through the database, taken by the lease holder."""
    if not settings.telegram_token:
        log.warning(t("bot.no_token", locale="en"))
        print(t("bot.no_token"), flush=True)
        return
    webhook = bool(settings.telegram_webhook_url)
    if webhook and inbox is None:
        inbox = StoredInbox(store)
    with contextlib.suppress(NotStarted):
        await _serve(settings, store, stop, webhook, inbox)


async def _serve(
    settings: Settings,
    store: Store,
    stop: asyncio.Event,
    webhook: bool,
    inbox: Inbox | StoredInbox | None,
) -> None:
    async with running(settings, store, webhook=webhook, shutdown=stop) as app:
        if webhook:
            await app.bot.set_webhook(
                settings.telegram_webhook_url,
                secret_token=str(settings.telegram_webhook_secret) or None,
            )
            assert inbox is not None
            feeding = asyncio.create_task(feed(app, inbox))
        log.info("bot: running (%s)", "webhook" if webhook else "long polling")
        await stop.wait()
        if webhook:
            feeding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeding


async def feed(app: BotApp, inbox: Inbox | StoredInbox) -> None:
    """Move updates the webhook route received into the Application."""
    while True:
        data = await inbox.get()
        update = Update.de_json(data, app.bot)
        if update is not None:
            await app.update_queue.put(update)
