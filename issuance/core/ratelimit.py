"""In-memory token-bucket rate limiter keyed by client: public verification look-ups (web, chat)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """Whether one request may pass, and if not, how many seconds until it would."""

    allowed: bool
    retry_after: float


class RateLimiter:
    """Token bucket per key: `burst` requests at once, refilled at `per_minute` a minute."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be positive and burst at least 1")
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def hit(self, key: str) -> Decision:
        """Count one request from `key` and decide on it."""
        now = self._clock()
        tokens, last = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens >= 1.0:
            decision = Decision(True, 0.0)
            tokens -= 1.0
        else:
            decision = Decision(False, (1.0 - tokens) / self._rate)
        self._buckets[key] = (tokens, now)
        # Memory stays bounded; the least recently seen client loses its history first.
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return decision
