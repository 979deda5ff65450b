"""Fixtures shared by every test tier: a loopback Bot API server, both databases, a sample
certificate."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from typing import Any

import httpx._transports.default
import pytest

from issuance.formats.certificate import DEFAULT_TEMPLATE, CertificateView, Template, load_template
from tests.databases import BACKENDS, Copies, migrated_template, postgres_server
from tests.fakebot import FakeBotApi, FakeBotServer
from tests.pictures import sample_certificate


@pytest.fixture(scope="session", autouse=True)
def one_ssl_context() -> Iterator[None]:
    """Every httpx client (the tests', the bot's, the WeCom client's) builds an SSL context and
    parses certifi's CA bundle, about 0.1 s of CPU each, for hundreds of clients that all speak
    plain HTTP on loopback. The default context is built once and shared (an SSLContext is meant
    to be shared); any other verify or cert setting still gets its own."""
    build = httpx._transports.default.create_ssl_context
    shared: list[ssl.SSLContext] = []

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is not True or cert is not None:
            return build(verify=verify, cert=cert, trust_env=trust_env)
        if not shared:
            shared.append(build(verify=verify, cert=cert, trust_env=trust_env))
        return shared[0]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx._transports.default, "create_ssl_context", create_ssl_context)
        yield


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
def postgres() -> Iterator[str]:
    """The PostgreSQL server of the run (started on first use)."""
    with postgres_server() as url:
        yield url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test using `database` runs on SQLite and on PostgreSQL, but a `one_database` test
    (a chat transcript, see tests/databases.py) on the first only; QIANFA_TEST_BACKENDS=sqlite
    narrows a quick local run."""
    if "database" not in metafunc.fixturenames:
        return
    wanted = os.environ.get("QIANFA_TEST_BACKENDS", ",".join(BACKENDS)).split(",")
    backends = [backend for backend in BACKENDS if backend in wanted]
    marked = metafunc.definition.get_closest_marker
    if marked("one_database") and not marked("both_databases"):
        backends = backends[:1]
    metafunc.parametrize("database", backends, indirect=True)


@pytest.fixture(scope="session")
def postgres_template(postgres: str) -> Iterator[str]:
    """A PostgreSQL database migrated once for the run, copied by each test's `database`."""
    with migrated_template(postgres) as name:
        yield name


@pytest.fixture(scope="session")
def postgres_copies(postgres: str, postgres_template: str) -> Iterator[Copies]:
    """Copies of the template, each made while the test before runs (tests/databases.py)."""
    copies = Copies(postgres, postgres_template)
    yield copies
    copies.close()


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """The test's database setting: "" (the home's SQLite file, migrated when opened) or a fresh
    PostgreSQL database, already migrated."""
    if request.param == "sqlite":
        yield ""
        return
    with request.getfixturevalue("postgres_copies").fresh() as url:
        yield url


@pytest.fixture(scope="session")
def template() -> Template:
    return load_template(DEFAULT_TEMPLATE)


@pytest.fixture
def certificate() -> CertificateView:
    return sample_certificate()
