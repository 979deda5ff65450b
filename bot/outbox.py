"""What every channel's outbox sender shares: while this process holds the channel's sender
lease, claim the channel's queued rows, render the typed notices among them for their reader, and
deliver each in its own task. The adapter says how to deliver.

A commit that added outbox rows wakes the senders of this process at once (the store rings);
rows added by other processes are found at the next poll."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import timedelta

from issuance.chat.notices import is_notice, rendered
from issuance.core.messaging import OutboxItem
from issuance.core.ports import Ports
from issuance.xcert.service import Issuance

log = logging.getLogger(__name__)


class OutboxDrain:
    """Drains one channel's outbox rows, at most `in_flight` at a time, until stopped."""

    lease_name: str
    channel: str
    lease = timedelta(seconds=30)
    row_lease: timedelta

    def __init__(self, issuance: Issuance, in_flight: int) -> None:
        self.issuance = issuance
        self.store: Ports = issuance.store
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self.in_flight = in_flight
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event, poll: float = 0.5) -> None:
        """Send until `stop` is set; rows in flight finish first."""
        self.store.listen_outbox(self._wake)
        try:
            while not stop.is_set():
                # cleared before looking: a commit while we look makes the next sleep short
                self._wake.clear()
                if await self.store.take_lease(self.lease_name, self.holder, self.lease):
                    await self._fill()
                    await self.after_fill()
                await self._sleep(stop, poll)
        finally:
            self.store.forget_outbox(self._wake)
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.store.release_lease(self.lease_name, self.holder)

    async def _sleep(self, stop: asyncio.Event, poll: float) -> None:
        """Until rows were added or one in flight finished, `stop` is set, or `poll` passed."""
        waits = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(waits, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
        for waiting in pending:
            waiting.cancel()

    async def _fill(self) -> None:
        room = self.in_flight - len(self._tasks)
        if room <= 0:
            return
        for item in await self.store.claim_outbox(room, self.row_lease, self.channel):
            task = asyncio.create_task(self._deliver(item))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()

    async def _deliver(self, item: OutboxItem) -> None:
        if is_notice(item):
            try:
                item = await rendered(self.store, item)
            except (KeyError, ValueError, TypeError) as error:
                log.exception("outbox %s: notice cannot be rendered", item.id)
                await self.store.outbox_settle(item.id, "failed", f"not rendered: {error!r}")
                return
        await self.deliver(item)

    async def after_fill(self) -> None:
        """Work done each turn while holding the lease (broadcast progress, reports)."""

    async def deliver(self, item: OutboxItem) -> None:
        """Send one claimed row and settle it in the store."""
        raise NotImplementedError
