"""Telegram's flood limits, shared by every outgoing call of the process (replies and outbox).

About 30 messages per second overall and one per second per chat: each new message waits for
its turn under both (edits of existing messages are not new messages and are not held back).
A 429 (RetryAfter) pauses everything for as long as Telegram asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage"}
)
# Telegram counts messages per second: sending at most 29 in any second leaves one message of
# room for requests bunching up on the way.
WINDOW = 1.0


@dataclass(frozen=True)
class Limits:
    """Messages per second overall, seconds between messages to one chat, retries of a 429."""

    per_second: float = 29.0
    # a little over a second: requests reach Telegram with jitter, and it measures on arrival
    per_chat_interval: float = 1.05
    retries: int = 5


class Pace:
    """Admits sends one at a time, first come first served: evenly spaced, at most a window's
    worth in any window, at most one per interval per chat. Queued (bulk) sends take turns one at a
    time behind replies a person is waiting for. Checked at the moment of sending, so a stalled
    event loop cannot release a burst."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._interval = 1 / limits.per_second
        self._window_count = max(1, int(limits.per_second))
        self._next = 0.0
        self._recent: deque[float] = deque()
        self._chat_next: dict[Any, float] = {}
        self._lock = asyncio.Lock()  # asyncio locks are fair: waiters go in arrival order
        self._bulk_lock = asyncio.Lock()

    async def slot(self, chat: Any | None, bulk: bool = False) -> None:
        """Wait until this chat (None: no chat limit) may be sent to and a global turn is free."""
        while True:
            await self._chat_ready(chat)
            async with self._bulk_lock if bulk else contextlib.nullcontext(), self._lock:
                await self._global_turn()
                if self._chat_wait(chat) > 0:
                    continue  # another send to this chat went first
                now = time.monotonic()
                self._recent.append(now)
                # Keep to the schedule when woken late, but never closer than half a turn: with at
                # most 29 a second, any 31 sends then span over a second plus that half turn, room
                # for requests bunching on the way (Telegram refuses the 31st within a second).
                self._next = max(self._next + self._interval, now + self._interval / 2)
                if chat is not None:
                    self._chat_next[chat] = now + self.limits.per_chat_interval
                return

    def pause(self, seconds: float) -> None:
        """Telegram said wait: no turn before then, for anyone."""
        self._next = max(self._next, time.monotonic() + seconds)

    def _chat_wait(self, chat: Any | None) -> float:
        if chat is None:
            return 0.0
        return self._chat_next.get(chat, 0.0) - time.monotonic()

    async def _chat_ready(self, chat: Any | None) -> None:
        while (wait := self._chat_wait(chat)) > 0:
            await asyncio.sleep(wait)

    async def _global_turn(self) -> None:
        while True:
            now = time.monotonic()
            while self._recent and now - self._recent[0] >= WINDOW:
                self._recent.popleft()
            ready = self._next
            if len(self._recent) >= self._window_count:
                ready = max(ready, self._recent[0] + WINDOW)
            if ready <= now:
                return
            await asyncio.sleep(ready - now)


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked us to wait (int or timedelta, depending on PTB settings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value: Any = error.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


class PacedLimiter(BaseRateLimiter[dict[str, Any]]):
    """python-telegram-bot's rate-limiter hook over one Pace; answers every 429 by waiting."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        paced = endpoint in SEND_METHODS
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        for attempt in range(self.pace.limits.retries + 1):
            if paced:
                await self.pace.slot(data.get("chat_id"), bulk)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                delay = retry_seconds(error)
                self.pace.pause(delay)
                log.info("Telegram asked to wait %ss (%s, attempt %d)", delay, endpoint, attempt)
                # a queued send goes back to the outbox (its row lease must not run out while
                # it waits); a reply someone is waiting for is retried here
                if bulk or attempt == self.pace.limits.retries:
                    raise
        raise AssertionError("unreachable")
