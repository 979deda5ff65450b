"""Fixtures for bot conversations: the demo world on the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.botworld import World, make_world
from tests.fakebot import FakeBotApi


@pytest.fixture
async def world(tmp_path: Path, bot_api: FakeBotApi, database: str) -> AsyncIterator[World]:
    made = await make_world(tmp_path, bot_api, database)
    yield made
    await made.store.close()
