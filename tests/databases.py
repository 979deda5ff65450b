"""Both databases under test: a PostgreSQL server for the run, a fresh database per test, and raw
SQL on either (to prove what the database itself refuses, past the store).

Which tests run on both (tests/conftest.py parametrizes every test using the `database` fixture):
- on both: every test of the store and what the database guarantees (triggers, constraints,
  migrations, `db copy`), of concurrency (processes allocating numbers, confirming, workers
  killed mid-render), of leases and queues between processes (the outbox senders, the webhook
  inbox, WeCom callbacks, broadcasts), the worker and web tests: that is where SQLite and
  PostgreSQL behave differently (locking, SKIP LOCKED, types, transaction isolation);
- on the first database only (SQLite unless QIANFA_TEST_BACKENDS says otherwise): modules
  marked `one_database`, the chat transcripts on Telegram and WeCom. They drive the chat layer,
  which reaches the database only through store methods tested on both above; running them
  twice doubled their time and tested the same store calls again;
- tests marked `both_databases` inside such modules run on both all the same: at least one
  complete chat flow per channel (sign-off, refusal, a graduation declaration) on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import queue
import sqlite3
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from issuance.store import Store
from issuance.store.postgresql import PostgresDriver, to_psycopg

REPO = Path(__file__).resolve().parents[1]
BACKENDS = ("sqlite", "postgresql")
# What a trigger or constraint raises, on either database.
IntegrityErrors = (sqlite3.IntegrityError, psycopg.errors.IntegrityError)
Execute = Callable[..., list[tuple[Any, ...]]]


@contextmanager
def postgres_server() -> Iterator[str]:
    """QIANFA_TEST_DATABASE_URL if set (scripts/test sets it), else a throwaway cluster."""
    given = os.environ.get("QIANFA_TEST_DATABASE_URL")
    if given:
        yield given
        return
    started = subprocess.run(
        [REPO / "scripts" / "throwaway-postgres", "start"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    found = dict(line.removeprefix("export ").split("=", 1) for line in started.splitlines())
    try:
        yield found["QIANFA_TEST_DATABASE_URL"]
    finally:
        subprocess.run(
            [REPO / "scripts" / "throwaway-postgres", "stop", found["QIANFA_TEST_PG_DIR"]],
            check=False,
            timeout=60,
        )


def _on(server: str, database: str) -> str:
    return server.rsplit("/", 1)[0] + "/" + database


@contextmanager
def migrated_template(server: str) -> Iterator[str]:
    """A database on `server` migrated to the latest schema once, for `fresh_database` to copy:
    copying it takes a fraction of the time running every migration per test did."""
    with fresh_database(server) as url:
        asyncio.run(_migrate(url))
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
        yield name


async def _migrate(url: str) -> None:
    await (await Store.open(url)).close()


@contextmanager
def fresh_database(server: str, template: str = "template0") -> Iterator[str]:
    """The URL of a new database on `server`, dropped afterwards: empty, or a copy of
    `template` (see `migrated_template`)."""
    name = _create(server, template)
    try:
        yield _on(server, name)
    finally:
        _drop(server, name)


def _create(server: str, template: str) -> str:
    name = f"qianfa_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template} ENCODING 'UTF8'")
    return name


def _drop(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Copies:
    """Fresh copies of a migrated template, each made ahead of its test in a thread of its own.

    Copying the template takes the server most of a second; a test waiting on the chat or the
    web has the time to spare, so while one test runs the next one's copy is made. Each test still
    gets a database nobody has used, and drops it afterwards."""

    def __init__(self, server: str, template: str, ahead: int = 2) -> None:
        self._server = server
        self._template = template
        self._ready: queue.Queue[str | BaseException] = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._make, name="database copies", daemon=True)
        self._thread.start()

    @contextmanager
    def fresh(self) -> Iterator[str]:
        """The URL of a new copy of the template, dropped afterwards."""
        made = self._ready.get(timeout=300)
        if isinstance(made, BaseException):
            raise RuntimeError("copying the template database failed") from made
        try:
            yield _on(self._server, made)
        finally:
            _drop(self._server, made)

    def close(self) -> None:
        """Stop copying and drop the copies no test took."""
        self._stop.set()
        self._thread.join(timeout=300)
        while not self._ready.empty():
            left = self._ready.get_nowait()
            if isinstance(left, str):
                _drop(self._server, left)

    def _make(self) -> None:
        while not self._stop.is_set():
            try:
                name = _create(self._server, self._template)
            except BaseException as error:  # handed to the test that waits for the copy
                self._ready.put(error)
                return
            while True:
                if self._stop.is_set():
                    _drop(self._server, name)
                    return
                try:
                    self._ready.put(name, timeout=0.1)
                    break
                except queue.Full:
                    continue


def location_of(store: Store) -> str:
    """Where an open store's database is, for `raw`: its PostgreSQL URL or its SQLite file."""
    driver = store.driver
    return driver.url if isinstance(driver, PostgresDriver) else str(driver.path)  # type: ignore[attr-defined]


@contextmanager
def raw(location: str | Path) -> Iterator[Execute]:
    """Run SQL with `?` placeholders straight on the database, autocommitting each statement."""
    if isinstance(location, str) and location.startswith("postgresql://"):
        with psycopg.connect(location, autocommit=True) as pg:

            def run_pg(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
                cursor = pg.execute(to_psycopg(sql), params)  # type: ignore[arg-type]
                return cursor.fetchall() if cursor.description else []

            yield run_pg
        return
    db = sqlite3.connect(location, isolation_level=None)
    try:

        def run_sqlite(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            return db.execute(sql, params).fetchall()

        yield run_sqlite
    finally:
        db.close()


def table_counts(location: str | Path) -> dict[str, int]:
    """Rows of every table of the schema, read on a raw connection (not the store's own list),
    without the database's signed audit head: the first process that opens a database writes it
    (a season built without an anchor has none), so it is not a row an act or a copy adds."""
    with raw(location) as execute:
        if isinstance(location, str):
            tables = execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        else:
            tables = execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {
            name: execute(f"SELECT COUNT(*) FROM {name}")[0][0]
            for (name,) in tables
            if not name.startswith("sqlite_") and name != "audit_head"
        }
