"""WeCom's documented sending limits, shared by every message/send of the process.

Per app, one member may get at most 30 messages a minute and 1000 an hour; WeCom silently drops
the rest, so we must never go over. Each API may be called at most 10 000 times a minute per
corp. A rate-limit error (45009) pauses everything for the minute WeCom then blocks us.

WeCom counts a message when it arrives, somewhere between our sending it and its answer. So a
member's window counts each message from the moment its answer came back: the next message after
a full window is admitted a window after that answer, hence arrives at least a window after the
earlier message arrived, however late requests travel.
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
    margin: float = 0.5  # a little room on top of each window
    # WeCom blocks an over-limit caller for 60 seconds.
    blocked_for: float = 60.0


class Sending:
    """One admitted send: counted from admission until `done`, then from its answer."""

    def __init__(self, at: float) -> None:
        self.at = at

    def done(self) -> None:
        self.at = time.monotonic()


class Pace:
    """Admits sends first come first served within every window, checked as each goes out."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._interval = self.limits.minute / self.limits.per_minute
        self._next = 0.0
        self._users: dict[Hashable, deque[Sending]] = {}
        self._lock = asyncio.Lock()

    def user_wait(self, user: Hashable | None) -> float:
        """Seconds until `user` may get another message (0: now)."""
        if user is None:
            return 0.0
        sent = self._users.get(user)
        if not sent:
            return 0.0
        limits, now = self.limits, time.monotonic()
        hour, minute = limits.hour + limits.margin, limits.minute + limits.margin
        while sent and now - sent[0].at >= hour:
            sent.popleft()
        times = sorted(s.at for s in sent)
        recent = [t for t in times if now - t < minute]
        wait = 0.0
        if len(recent) >= limits.per_user_minute:
            wait = recent[-limits.per_user_minute] + minute - now
        if len(times) >= limits.per_user_hour:
            wait = max(wait, times[-limits.per_user_hour] + hour - now)
        return max(wait, 0.0)

    async def slot(self, user: Hashable | None) -> Sending:
        """Wait for a turn: the overall pace, and the member's minute and hour windows. Call
        `done()` on the result once WeCom answered."""
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
                sending = Sending(now)
                if user is not None:
                    self._users.setdefault(user, deque()).append(sending)
                return sending

    def pause(self, seconds: float | None = None) -> None:
        """WeCom said we went over: nobody sends until the block ends."""
        wait = self.limits.blocked_for if seconds is None else seconds
        self._next = max(self._next, time.monotonic() + wait)
