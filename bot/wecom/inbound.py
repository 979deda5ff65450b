"""Handles stored WeCom callbacks: one process at a time (a lease), each member's in order.

A callback is leased before it is handled and settled after; if the process dies meanwhile, the
lease runs out and it is handled again (acts re-check everything, taps are claimed once).
WeCom being unreachable puts a callback back for a later try, a few times.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.wecom.api import WeComError
from bot.wecom.callback import Doorbell
from bot.wecom.context import Services
from issuance.core.messaging import Inbound

log = logging.getLogger(__name__)

LEASE_NAME = "wecom-inbound"
LEASE = timedelta(seconds=30)
ROW_LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 3
KEEP = timedelta(days=7)  # settled callbacks kept this long (replays are refused after 5 min)
PRUNE_EVERY = 3600.0
Handle = Callable[[Services, Inbound], Awaitable[None]]


class InboundWorker:
    """Claims stored callbacks and runs `handle` on each; members in parallel, each in order."""

    def __init__(
        self, services: Services, handle: Handle, doorbell: Doorbell, limit: int = 50
    ) -> None:
        self.services = services
        self.handle = handle
        self.doorbell = doorbell
        self.limit = limit
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self._busy: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._pruned_at = 0.0

    async def run(self, stop: asyncio.Event, poll: float = 0.5) -> None:
        """Handle callbacks until `stop` is set; those under way finish first."""
        store = self.services.store
        self.doorbell.listen(self._wake)
        try:
            while not stop.is_set():
                if await store.take_lease(LEASE_NAME, self.holder, LEASE):
                    await self._fill()
                    await self._prune()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll)
        finally:
            self.doorbell.forget(self._wake)
            if self._busy:
                await asyncio.gather(*self._busy.values(), return_exceptions=True)
            await store.release_lease(LEASE_NAME, self.holder)

    async def _prune(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            store = self.services.store
            removed = await store.prune_inbound(store.now() - KEEP)
            if removed:
                log.info("wecom: %d settled callbacks older than %s forgotten", removed, KEEP)

    async def _fill(self) -> None:
        room = self.limit - len(self._busy)
        if room <= 0:
            return
        items = await self.services.store.claim_inbound(room, ROW_LEASE, busy=set(self._busy))
        by_account: dict[str, list[Inbound]] = {}
        for item in items:
            by_account.setdefault(item.account, []).append(item)
        for account, queue in by_account.items():
            task = asyncio.create_task(self._member(queue))
            self._busy[account] = task
            task.add_done_callback(functools.partial(self._done, account))

    def _done(self, account: str, task: asyncio.Task[None]) -> None:
        self._busy.pop(account, None)
        self._wake.set()

    async def _member(self, queue: list[Inbound]) -> None:
        store = self.services.store
        for item in queue:
            try:
                await self.handle(self.services, item)
            except WeComError as error:
                log.warning("wecom: callback %s not answered: %s", item.id, error)
                if error.transient and item.attempts < MAX_ATTEMPTS:
                    await store.inbound_release(item.id, str(error))
                else:
                    await store.inbound_settle(item.id, str(error))
            except Exception as error:
                log.exception("wecom: callback %s failed", item.id)
                await store.inbound_settle(item.id, f"{type(error).__name__}: {error}")
            else:
                await store.inbound_settle(item.id)
