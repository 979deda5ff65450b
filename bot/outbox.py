"""What every channel's outbox sender shares: while this process holds the channel's sender
lease, claim the channel's queued rows and deliver each in its own task. The adapter says how to
deliver."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from datetime import timedelta

from issuance.core.messaging import OutboxItem
from issuance.store import Store
from issuance.xcert.service import Issuance


class OutboxDrain:
    """Drains one channel's outbox rows, at most `in_flight` at a time, until stopped."""

    lease_name: str
    channel: str
    lease = timedelta(seconds=30)
    row_lease: timedelta

    def __init__(self, issuance: Issuance, in_flight: int) -> None:
        self.issuance = issuance
        self.store: Store = issuance.store
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
                if await self.store.take_lease(self.lease_name, self.holder, self.lease):
                    await self._fill()
                    await self.after_fill()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll)
        finally:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.store.release_lease(self.lease_name, self.holder)

    async def _fill(self) -> None:
        room = self.in_flight - len(self._tasks)
        if room <= 0:
            return
        for item in await self.store.claim_outbox(room, self.row_lease, self.channel):
            task = asyncio.create_task(self.deliver(item))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()

    async def after_fill(self) -> None:
        """Work done each turn while holding the lease (broadcast progress, reports)."""

    async def deliver(self, item: OutboxItem) -> None:
        """Send one claimed row and settle it in the store."""
        raise NotImplementedError
