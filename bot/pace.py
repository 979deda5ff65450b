"""Telegram's flood limits, shared by every outgoing call of the process (replies and outbox).

About 30 messages per second overall and one per second per chat: each send waits for the next
free slot of both. A 429 (RetryAfter) pauses everything for as long as Telegram asks.
"""

from __future__ import annotations

import asyncio
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
EDIT_METHODS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})


@dataclass(frozen=True)
class Limits:
    """Messages per second overall, seconds between messages to one chat, retries of a 429."""

    per_second: float = 29.0
    # a little over a second: requests reach Telegram with jitter, and it measures on arrival
    per_chat_interval: float = 1.05
    retries: int = 5


class Pace:
    """Admits sends one at a time: evenly spaced, never more than a window's worth in any window,
    and at most one per interval per chat. Checked at the moment of sending, so a stalled event
    loop cannot release a burst of sends whose turns were reserved earlier."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._interval = 1 / limits.per_second
        self._window_count = max(1, int(limits.per_second))
        self._next = 0.0
        self._recent: deque[float] = deque()
        self._chat_next: dict[Any, float] = {}
        self._urgent = 0

    async def slot(self, chat: Any | None, bulk: bool = False) -> None:
        """Wait until this chat (None: no chat limit) may be sent to and a global turn is free.

        Bulk sends (the outbox) give way to replies a person is waiting for."""
        if bulk:
            await self._turn(chat, bulk)
            return
        self._urgent += 1
        try:
            await self._turn(chat, bulk)
        finally:
            self._urgent -= 1

    async def _turn(self, chat: Any | None, bulk: bool) -> None:
        while True:
            now = time.monotonic()
            while self._recent and now - self._recent[0] >= WINDOW:
                self._recent.popleft()
            ready = max(self._next, self._chat_next.get(chat, 0.0) if chat is not None else 0.0)
            if len(self._recent) >= self._window_count:
                ready = max(ready, self._recent[0] + WINDOW)
            if bulk and self._urgent:
                ready = max(ready, now + self._interval)
            if ready > now:
                await asyncio.sleep(ready - now)
                continue
            self._recent.append(now)
            self._next = now + self._interval
            if chat is not None:
                self._chat_next[chat] = now + self.limits.per_chat_interval
            return

    def pause(self, seconds: float) -> None:
        """Telegram said wait: no turn before then, for anyone."""
        self._next = max(self._next, time.monotonic() + seconds)


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
        paced = endpoint in SEND_METHODS or endpoint in EDIT_METHODS
        chat = data.get("chat_id") if endpoint in SEND_METHODS else None
        for attempt in range(self.pace.limits.retries + 1):
            if paced:
                await self.pace.slot(chat, bulk=bool(rate_limit_args and rate_limit_args["bulk"]))
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                delay = retry_seconds(error)
                self.pace.pause(delay)
                log.info("Telegram asked to wait %ss (%s, attempt %d)", delay, endpoint, attempt)
                if attempt == self.pace.limits.retries:
                    raise
        raise AssertionError("unreachable")
