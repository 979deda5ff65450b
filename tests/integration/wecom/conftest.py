"""Fixtures for WeCom conversations: the fake WeCom server and the demo world on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.fakewecom import FakeWeCom
from tests.wecomworld import World, wecom_world


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    """A fresh fake WeCom server (own port, empty state) for one test."""
    with FakeWeCom().running() as server:
        yield server


@pytest.fixture
async def world(tmp_path: Path, fake: FakeWeCom, database: str) -> AsyncIterator[World]:
    async with wecom_world(tmp_path, fake, database_url=database) as made:
        yield made
