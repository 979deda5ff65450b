"""How many certificates the worker claims at once: bigger chunks while many are due, small ones
for the end of a run and under a short lease."""

from __future__ import annotations

from datetime import timedelta

from worker.jobs import CHUNK, MAX_CHUNK, chunk_size

LEASE = timedelta(minutes=5)


def test_a_long_queue_is_claimed_in_the_largest_chunks() -> None:
    assert chunk_size(10_000, 1, LEASE) == MAX_CHUNK
    assert chunk_size(10_000, 4, LEASE) == MAX_CHUNK


def test_the_end_of_a_run_and_work_found_left_over_are_claimed_in_small_chunks() -> None:
    assert chunk_size(60, 1, LEASE) == CHUNK
    assert chunk_size(0, 1, LEASE) == CHUNK  # pending jobs from an earlier run: none discovered
    assert CHUNK < chunk_size(300, 1, LEASE) < MAX_CHUNK


def test_chunks_shrink_as_the_queue_drains_and_with_more_processes() -> None:
    sizes = [chunk_size(left, 1, LEASE) for left in (1000, 400, 300, 200, 100)]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]
    assert chunk_size(400, 2, LEASE) < chunk_size(400, 1, LEASE)


def test_a_short_lease_keeps_the_smallest_chunk() -> None:
    # Every chunk claimed ahead must be rendered before its lease ends, even on a busy machine.
    assert chunk_size(10_000, 1, timedelta(seconds=1)) == CHUNK
