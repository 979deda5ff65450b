"""Rate limiter: bursts pass, floods wait, buckets refill, memory stays bounded."""

from __future__ import annotations

import pytest

from issuance.core.ratelimit import RateLimiter


class Clock:
    """A hand-moved clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_next_request_waits() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=3, clock=clock)
    assert [limiter.hit("a").allowed for _ in range(3)] == [True, True, True]
    refused = limiter.hit("a")
    assert not refused.allowed and refused.retry_after == pytest.approx(10.0)


def test_tokens_refill_with_time() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=2, clock=clock)
    limiter.hit("a"), limiter.hit("a")
    assert not limiter.hit("a").allowed
    clock.now += 10
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed
    clock.now += 3600
    assert [limiter.hit("a").allowed for _ in range(3)] == [True, True, False]


def test_refused_requests_do_not_extend_the_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=1, clock=clock)
    limiter.hit("a")
    for _ in range(50):
        limiter.hit("a")
    clock.now += 1
    assert limiter.hit("a").allowed


def test_clients_are_limited_separately() -> None:
    limiter = RateLimiter(per_minute=1, burst=1, clock=Clock())
    assert limiter.hit("10.0.0.1").allowed
    assert not limiter.hit("10.0.0.1").allowed
    assert limiter.hit("10.0.0.2").allowed


def test_memory_is_bounded_by_forgetting_the_least_recent_client() -> None:
    limiter = RateLimiter(per_minute=1, burst=1, max_keys=2, clock=Clock())
    limiter.hit("a"), limiter.hit("b"), limiter.hit("a"), limiter.hit("c")
    assert len(limiter._buckets) == 2 and "b" not in limiter._buckets
    assert not limiter.hit("a").allowed


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(per_minute=0, burst=1)
