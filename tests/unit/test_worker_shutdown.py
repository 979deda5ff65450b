"""A worker tick cut short by shutdown (SIGTERM during `qianfa run` start-up) is no error."""

from __future__ import annotations

import asyncio
import logging

import pytest

from worker.serve import _guarded


async def test_a_tick_cancelled_by_shutdown_ends_quietly(caplog: pytest.LogCaptureFixture) -> None:
    started = asyncio.Event()

    async def job() -> None:
        started.set()
        await asyncio.sleep(60)

    caplog.set_level(logging.INFO)
    tick = asyncio.create_task(_guarded("certificates", job))
    await started.wait()
    tick.cancel()
    await tick  # returns: the scheduler running it has nothing to log as ERROR
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "stopped mid-tick" in caplog.text
