"""The one outbox sender: drains queued notifications into Telegram within its limits.

Only the process holding the "outbox-sender" lease sends. A row is marked sent right after
Telegram accepts it, so it never goes twice; 429s and network errors come back later; a user who
blocked the bot is marked unreachable. Broadcast progress messages are kept up to date here.
"""

from __future__ import annotations

import base64
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.outbox import OutboxDrain
from bot.telegram.context import CHANNEL
from bot.telegram.pace import retry_seconds
from bot.telegram.ui import keyboard
from issuance.chat.notify import Notice, locale_of, send
from issuance.chat.xcert import progress_text
from issuance.core.messaging import OutboxItem
from issuance.telemetry import RATE_LIMITED
from issuance.xcert import broadcasting
from issuance.xcert.service import Issuance

log = logging.getLogger(__name__)

LEASE_NAME = "outbox-sender"
LEASE = timedelta(seconds=30)
ROW_LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 12
PROGRESS_EVERY = 2.0
BULK = {"bulk": True}  # rate_limit_args: queued sends give way to interactive replies
CHECK_EVERY = 0.3


def _file(payload: dict[str, Any]) -> InputFile:
    if "base64" in payload:
        data = base64.b64decode(payload["base64"])
    else:
        data = Path(payload["path"]).read_bytes()
    return InputFile(data, filename=payload.get("filename") or Path(payload.get("path", "")).name)


class OutboxSender(OutboxDrain):
    """Sends outbox rows through `bot` (whose rate limiter paces them) until stopped."""

    lease_name = LEASE_NAME
    channel = CHANNEL
    lease = LEASE
    row_lease = ROW_LEASE

    def __init__(self, bot: ExtBot[Any], issuance: Issuance, in_flight: int = 60) -> None:
        super().__init__(issuance, in_flight)
        self.bot = bot
        self._progress_at: dict[int, float] = {}
        self._checked_at: dict[int, float] = {}

    async def deliver(self, item: OutboxItem) -> None:
        account = await self.store.account_of(item.person_id, CHANNEL)
        chat = item.payload.get("chat_id") or account
        if chat is None:
            await self.store.outbox_settle(item.id, "failed", "not bound or unreachable")
            return
        try:
            ref = await self._send(item, chat)
        except RetryAfter as error:
            RATE_LIMITED.labels(CHANNEL, "429").inc()
            wait = retry_seconds(error)
            await self._later(item, wait, f"retry after {wait}s")
        except Forbidden as error:
            await self.store.mark_unreachable(item.person_id, CHANNEL)
            await self.store.outbox_settle(item.id, "unreachable", str(error))
        except BadRequest as error:
            if "not modified" in str(error).lower():
                await self.store.outbox_sent(item.id, None)
            else:
                await self.store.outbox_settle(item.id, "failed", str(error))
        except (NetworkError, OSError) as error:
            if item.attempts >= MAX_ATTEMPTS:
                await self.store.outbox_settle(item.id, "failed", str(error))
            else:
                await self._later(item, min(60.0, 2.0**item.attempts), str(error))
        except TelegramError as error:
            await self.store.outbox_settle(item.id, "failed", str(error))
        else:
            await self.store.outbox_sent(item.id, ref)

    async def _later(self, item: OutboxItem, seconds: float, why: str) -> None:
        log.info("outbox %s: again in %.1fs (%s)", item.id, seconds, why)
        await self.store.outbox_retry(item.id, self.store.now() + timedelta(seconds=seconds), why)

    async def _send(self, item: OutboxItem, chat: str | int) -> str:
        p = item.payload
        markup = keyboard(p.get("buttons"))
        sent: Message | bool
        if item.kind == "message":
            sent = await self.bot.send_message(
                chat,
                p["text"],
                reply_markup=markup,
                parse_mode=p.get("parse_mode"),
                rate_limit_args=BULK,
            )
        elif item.kind == "edit":
            sent = await self.bot.edit_message_text(
                p["text"],
                chat_id=chat,
                message_id=p["message_id"],
                reply_markup=markup,
                parse_mode=p.get("parse_mode"),
                rate_limit_args=BULK,
            )
        elif item.kind == "photo":
            sent = await self.bot.send_photo(
                chat, _file(p), caption=p.get("caption"), reply_markup=markup, rate_limit_args=BULK
            )
        elif item.kind == "document":
            sent = await self.bot.send_document(
                chat, _file(p), caption=p.get("caption"), reply_markup=markup, rate_limit_args=BULK
            )
        else:
            raise BadRequest(f"unknown outbox kind {item.kind}")
        return f"{chat}:{sent.message_id}" if isinstance(sent, Message) else f"{chat}"

    async def after_fill(self) -> None:
        """Keep each open broadcast's progress message current; the final report goes via the
        outbox, so it is retried like any message until delivered."""
        for broadcast_id in await self.store.open_broadcasts():
            now = time.monotonic()
            if now - self._checked_at.get(broadcast_id, 0) < CHECK_EVERY:
                continue
            self._checked_at[broadcast_id] = now
            info = await self.store.broadcast(broadcast_id)
            if info is None or info.progress_chat is None or info.progress_message is None:
                continue
            state = await broadcasting.progress(self.issuance, broadcast_id)
            if not state.finished and now - self._progress_at.get(broadcast_id, 0) < PROGRESS_EVERY:
                continue
            self._progress_at[broadcast_id] = now
            text = progress_text(state)
            if state.finished:
                if await self.store.finish_broadcast(broadcast_id):
                    message = {"chat_id": info.progress_chat, "message_id": info.progress_message}
                    done = Notice(
                        info.person_id,
                        text,
                        dedup_key=f"broadcast-done:{broadcast_id}",
                        edit={"channel": CHANNEL, **message},
                    )
                    await send(self.store, done)
                continue
            try:
                await self.bot.edit_message_text(
                    text.render(await locale_of(self.store, info.person_id)),
                    chat_id=info.progress_chat,
                    message_id=info.progress_message,
                )
            except TelegramError as error:
                log.info("broadcast %s: progress not shown now: %s", broadcast_id, error)
