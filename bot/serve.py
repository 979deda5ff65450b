"""Serve the Telegram bot inside the shared event loop (when a token is configured)."""

from __future__ import annotations

import asyncio
import logging

from issuance.catalog import t
from issuance.settings import Settings
from issuance.store import Store

log = logging.getLogger(__name__)


async def serve(settings: Settings, store: Store, stop: asyncio.Event) -> None:
    """Run the bot until `stop` is set; without a token, say how to set one and return."""
    if not settings.telegram_token:
        log.warning(t("bot.no_token", locale="en"))
        print(t("bot.no_token"), flush=True)
        return
    raise NotImplementedError("the Telegram bot arrives with the bot issue")
