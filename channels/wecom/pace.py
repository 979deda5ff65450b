"""WeCom's documented sending limits, shared by every message/send of the process.

Per app, one member may get at most 30 messages a minute and 1000 an hour; WeCom silently drops
the rest, so we must never go over. Each API may be called at most 10 000 times a minute per
corp. A rate-limit error (45009) pauses everything for the minute WeCom then blocks us.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Sends per member per minute and per hour; calls per minute overall."""

    per_user_minute: int = 30
    per_user_hour: int = 1000
    per_minute: int = 10_000
    minute: float = 60.0  # the windows' lengths (shorter in tests)
    hour: float = 3600.0
    # WeCom counts on arrival: requests may reach it a little later than we sent them.
    margin: float = 0.5
    # WeCom blocks an over-limit caller for 60 seconds.
    blocked_for: float = 60.0


class Pace:
    """Admits sends first come first served within every window, checked as each goes out."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._interval = self.limits.minute / self.limits.per_minute
        self._next = 0.0
        self._users: dict[Hashable, deque[float]] = {}
        self._lock = asyncio.Lock()

    def user_wait(self, user: Hashable | None) -> float:
        """Seconds until `user` may get another message (0: now)."""
        if user is None:
            return 0.0
        sent = self._users.get(user)
        if not sent:
            return 0.0
        limits, now = self.limits, time.monotonic()
        while sent and now - sent[0] >= limits.hour + limits.margin:
            sent.popleft()
        wait = 0.0
        window = limits.minute + limits.margin
        minute = [t for t in sent if now - t < window]
        if len(minute) >= limits.per_user_minute:
            wait = minute[-limits.per_user_minute] + window - now
        if len(sent) >= limits.per_user_hour:
            wait = max(wait, sent[-limits.per_user_hour] + limits.hour + limits.margin - now)
        return max(wait, 0.0)

    async def slot(self, user: Hashable | None) -> None:
        """Wait for a turn: the overall pace, and the member's minute and hour windows."""
        while True:
            # A member waiting for their window must not hold up everyone else's turn.
            while (wait := self.user_wait(user)) > 0:
                await asyncio.sleep(wait)
            async with self._lock:
                while (wait := self._next - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                if self.user_wait(user) > 0:
                    continue  # another send to this member went first
                now = time.monotonic()
                self._next = max(self._next, now) + self._interval
                if user is not None:
                    self._users.setdefault(user, deque()).append(now)
                return

    def pause(self, seconds: float | None = None) -> None:
        """WeCom said we went over: nobody sends until the block ends."""
        wait = self.limits.blocked_for if seconds is None else seconds
        self._next = max(self._next, time.monotonic() + wait)
