"""Fixtures shared by every test tier."""

from collections.abc import Iterator

import pytest

from tests.fakebot import FakeBotApi, FakeBotServer


@pytest.fixture(scope="session")
def bot_api_server() -> Iterator[FakeBotServer]:
    """One loopback Bot API server (background thread) for the whole test run."""
    with FakeBotServer().running() as server:
        yield server


@pytest.fixture
def bot_api(bot_api_server: FakeBotServer) -> Iterator[FakeBotApi]:
    """A fresh fake bot: own token, empty chats, no faults; its token dies after the test."""
    api = bot_api_server.new_bot()
    yield api
    bot_api_server.remove(api)
