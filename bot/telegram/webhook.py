"""Webhook mode: Telegram posts updates to a route of the web part's Starlette server.

The route checks X-Telegram-Bot-Api-Secret-Token, then hands the update to the bot running in
the same process through an `Inbox` the process's composition root (`qianfa.run`) makes and gives
to both parts (python-telegram-bot's customwebhookbot pattern).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import socket
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from issuance.core.people import Channel
from issuance.core.ports import InboxQueue
from issuance.core.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = Channel.TELEGRAM
INBOX_LEASE = "telegram-inbox"
INBOX_LEASE_FOR = timedelta(seconds=30)


class Inbox:
    """Updates received by the web part, waiting for the bot part of this process."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)

    async def put(self, update: dict[str, Any]) -> None:
        """Queue one update; QueueFull when the bot is not keeping up (never waits)."""
        self.queue.put_nowait(update)

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()


class StoredInbox:
    """Updates passed through the database, when the web and bot parts run in different processes
    (or hosts): any web process keeps them, the bot process holding the inbox lease takes them."""

    def __init__(self, store: InboxQueue, poll: float = 0.2) -> None:
        self.store = store
        self.poll = poll
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self._taken: list[dict[str, Any]] = []

    async def put(self, update: dict[str, Any]) -> None:
        # Telegram retries a webhook call it did not see answered: the update id keeps it once.
        await self.store.receive_update(CHANNEL, str(update.get("update_id", "")), update)

    async def get(self) -> dict[str, Any]:
        while not self._taken:
            if await self.store.take_lease(INBOX_LEASE, self.holder, INBOX_LEASE_FOR):
                self._taken = await self.store.take_updates(CHANNEL, 100)
            if not self._taken:
                await asyncio.sleep(self.poll)
        return self._taken.pop(0)


def path_of(settings: Settings) -> str:
    return urlparse(settings.telegram_webhook_url).path or "/telegram"


def routes(settings: Settings, inbox: Inbox | StoredInbox) -> list[Route]:
    """The webhook route, or none when the bot runs with long polling."""
    if not (settings.telegram_webhook_url and settings.telegram_token):
        return []
    secret = str(settings.telegram_webhook_secret)

    async def receive(request: Request) -> Response:
        # Header values arrive as Latin-1 text; compared as bytes, non-ASCII cannot raise.
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode("latin-1")
        if not secret or not hmac.compare_digest(given, secret.encode("utf-8")):
            return Response(status_code=403)
        try:
            update = await request.json()
        except ValueError:
            return Response(status_code=400)
        if not isinstance(update, dict):
            return Response(status_code=400)
        try:
            await inbox.put(update)
        except asyncio.QueueFull:
            # The bot is not keeping up: Telegram retries later instead of the route hanging.
            return Response(status_code=503)
        return Response(status_code=200)

    return [Route(path_of(settings), receive, methods=["POST"])]
