"""Fixtures shared by every test tier: a loopback Bot API server, a sample certificate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from issuance.formats.certificate import DEFAULT_TEMPLATE, CertificateView, Template, load_template
from tests.fakebot import FakeBotApi, FakeBotServer
from tests.pictures import sample_certificate


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


@pytest.fixture(scope="session")
def template() -> Template:
    return load_template(DEFAULT_TEMPLATE)


@pytest.fixture
def certificate() -> CertificateView:
    return sample_certificate()
