"""Fixtures of the integration tier: the web part served on loopback over a demo database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.webserver import Live, live_app


@pytest.fixture
async def live(tmp_path: Path, database: str) -> AsyncIterator[Live]:
    async with live_app(tmp_path, database_url=database) as running:
        yield running


@pytest.fixture
async def client(live: Live) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.base_url) as http:
        yield http
