"""The WeCom outbox sender: delivers the queued notices of channel "wecom" within WeCom's limits.

Only the process holding the "wecom-outbox-sender" lease sends. A row is marked sent once WeCom
accepted every message it makes; WeCom busy, rate limits and network errors bring it back later
(WeCom's duplicate check, on for these sends, keeps a retried message from arriving twice); a
member who left the app is marked unreachable. WeCom cannot edit a sent text, so an "edit" row
(e.g. a signing result) arrives as a new message.
"""

from __future__ import annotations

import base64
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.outbox import OutboxDrain
from bot.wecom import cards
from bot.wecom.api import WeComClient, WeComError, fit
from bot.wecom.context import CHANNEL, new_task
from issuance.chat.notify import Notice, locale_of, send
from issuance.chat.xcert import progress_text
from issuance.core.messaging import OutboxItem
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


class WeComSender(OutboxDrain):
    """Sends the outbox rows of channel "wecom" through `client` until stopped."""

    lease_name = LEASE_NAME
    channel = CHANNEL
    lease = LEASE
    row_lease = ROW_LEASE

    def __init__(self, client: WeComClient, issuance: Issuance, in_flight: int = 32) -> None:
        super().__init__(issuance, in_flight)
        self.client = client
        self._reported_at = 0.0

    async def after_fill(self) -> None:
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
                    progress_text(state),
                    dedup_key=f"broadcast-done:{broadcast_id}",
                )
                await send(self.store, report)

    async def deliver(self, item: OutboxItem) -> None:
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
