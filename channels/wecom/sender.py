"""The WeCom outbox sender: delivers the queued notices of channel "wecom" within WeCom's limits.

Only the process holding the "wecom-outbox-sender" lease sends. A row is marked sent once WeCom
accepted every message it makes; WeCom busy, rate limits and network errors bring it back later
(WeCom's duplicate check, on for these sends, keeps a retried message from arriving twice); a
member who left the app is marked unreachable. WeCom cannot edit a sent text, so an "edit" row
(e.g. a signing result) arrives as a new message.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import socket
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from channels.wecom import cards
from channels.wecom.api import WeComClient, WeComError, fit
from channels.wecom.context import CHANNEL, new_task
from issuance.chat.notify import Notice, locale_of, send
from issuance.store import OutboxItem, Store
from issuance.xcert import broadcasting
from issuance.xcert.service import Issuance

log = logging.getLogger(__name__)

LEASE_NAME = "wecom-outbox-sender"
LEASE = timedelta(seconds=30)
ROW_LEASE = timedelta(seconds=300)
MAX_ATTEMPTS = 12
# A member whose minute is used up waits in the outbox, not in a sending slot.
HOLD_BACK = 5.0
REPORT_EVERY = 1.0
DUPLICATE_CHECK = {"enable_duplicate_check": 1, "duplicate_check_interval": 1800}


def _file(payload: dict[str, Any]) -> tuple[str, bytes]:
    if "base64" in payload:
        data = base64.b64decode(payload["base64"])
    else:
        data = Path(payload["path"]).read_bytes()
    return payload.get("filename") or Path(payload.get("path", "file")).name, data


class WeComSender:
    """Sends the outbox rows of channel "wecom" through `client` until stopped."""

    def __init__(self, client: WeComClient, issuance: Issuance, in_flight: int = 32) -> None:
        self.client = client
        self.issuance = issuance
        self.store: Store = issuance.store
        self._reported_at = 0.0
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self.in_flight = in_flight
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event, poll: float = 0.5) -> None:
        """Send until `stop` is set; rows in flight finish first."""
        try:
            while not stop.is_set():
                if await self.store.take_lease(LEASE_NAME, self.holder, LEASE):
                    await self._fill()
                    await self._reports()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll)
        finally:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.store.release_lease(LEASE_NAME, self.holder)

    async def _fill(self) -> None:
        room = self.in_flight - len(self._tasks)
        if room <= 0:
            return
        for item in await self.store.claim_outbox(room, ROW_LEASE, CHANNEL):
            task = asyncio.create_task(self._deliver(item))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()

    async def _reports(self) -> None:
        """Broadcasts started on WeCom (no message to keep current): once every notice went
        out, the final report goes to whoever started it, once, through the outbox."""
        now = time.monotonic()
        if now - self._reported_at < REPORT_EVERY:
            return
        self._reported_at = now
        for broadcast_id in await self.store.open_broadcasts():
            info = await self.store.broadcast(broadcast_id)
            if info is None or info.progress_chat is not None:
                continue  # the Telegram sender keeps its progress message
            if await self.store.account_of(info.person_id, CHANNEL) is None:
                continue
            state = await broadcasting.progress(self.issuance, broadcast_id)
            if state.finished and await self.store.finish_broadcast(broadcast_id):
                report = Notice(
                    info.person_id,
                    broadcasting.progress_text(state),
                    dedup_key=f"broadcast-done:{broadcast_id}",
                )
                await send(self.store, report)
                self.wake()

    async def _deliver(self, item: OutboxItem) -> None:
        account = await self.store.account_of(item.person_id, CHANNEL)
        if account is None:
            await self.store.outbox_settle(item.id, "failed", "not bound or unreachable")
            return
        wait = self.client.pace.user_wait(account)
        if wait > HOLD_BACK:
            await self._later(item, wait, "member's minute used up")
            return
        try:
            ref = await self._send(item, account)
        except WeComError as error:
            if error.unreachable:
                await self.store.mark_unreachable(item.person_id, CHANNEL)
                await self.store.outbox_settle(item.id, "unreachable", str(error))
            elif error.transient and item.attempts < MAX_ATTEMPTS:
                wait = 60.0 if error.rate_limited else min(60.0, 2.0**item.attempts)
                await self._later(item, wait, str(error))
            else:
                await self.store.outbox_settle(item.id, "failed", str(error))
        except OSError as error:
            await self.store.outbox_settle(item.id, "failed", str(error))
        else:
            await self.store.outbox_sent(item.id, ref)

    async def _later(self, item: OutboxItem, seconds: float, why: str) -> None:
        log.info("wecom outbox %s: again in %.1fs (%s)", item.id, seconds, why)
        await self.store.outbox_retry(item.id, self.store.now() + timedelta(seconds=seconds), why)

    async def _send(self, item: OutboxItem, account: str) -> str:
        p = item.payload
        client = self.client
        if item.kind in ("message", "edit"):
            sent = None
            for piece in [q for q in fit(p.get("text", "")) if q]:
                sent = await client.send(account, "text", {"content": piece}, DUPLICATE_CHECK)
        elif item.kind in ("photo", "document"):
            name, data = _file(p)
            kind = "image" if item.kind == "photo" else "file"
            sent = await client.send(
                account, kind, {"media_id": await client.upload(kind, name, data)}
            )
            if p.get("caption"):
                await client.send(account, "text", {"content": p["caption"]}, DUPLICATE_CHECK)
        else:
            raise WeComError(40008, f"unknown outbox kind {item.kind}")
        if p.get("buttons"):
            locale = await locale_of(self.store, item.person_id)
            for card in cards.button_cards(p["buttons"], new_task, locale):
                sent = await client.send(account, "template_card", card)
        return f"{account}:{sent.msgid if sent else ''}"
