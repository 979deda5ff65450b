"""The store's base: a driver, explicit transactions and numbered schema migrations per dialect."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from issuance.core.errors import DomainError
from issuance.core.timing import SHANGHAI
from issuance.store.anchor import AuditAnchor
from issuance.store.driver import (
    BUSY_SECONDS,
    Connection,
    Cursor,
    Driver,
    Row,
    SqliteDriver,
    chunks,
)

log = logging.getLogger(__name__)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
DIALECTS = ("sqlite", "postgresql")


def system_clock() -> datetime:
    """Now, in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


def migrations(dialect: str, root: Traversable | None = None) -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped for `dialect`, in order.

    Each dialect has its own folder with the same list of version numbers, so PostgreSQL can have
    its own triggers; a version missing in one of them is an error, not a silent difference.
    """
    root = root or resources.files("issuance.store") / "migrations"
    stray = [e.name for e in root.iterdir() if e.name.endswith(".sql")]
    if stray:
        raise RuntimeError(
            f"migrations {stray} belong in migrations/sqlite/, each with a postgresql/ twin"
        )
    found: dict[str, list[tuple[int, str, str]]] = {}
    for name in DIALECTS:
        found[name] = sorted(
            (int(match.group(1)), entry.name, entry.read_text(encoding="utf-8"))
            for entry in (root / name).iterdir()
            if (match := _MIGRATION_NAME.match(entry.name))
        )
        numbers = [number for number, _, _ in found[name]]
        if len(set(numbers)) != len(numbers):
            raise RuntimeError(f"two {name} migrations share a number: {numbers}")
    versions = {name: {number for number, _, _ in found[name]} for name in DIALECTS}
    if len({frozenset(v) for v in versions.values()}) != 1:
        raise RuntimeError(f"migration versions differ between dialects: {versions}")
    return found[dialect]


class StoreUnavailable(DomainError):
    """The database cannot be opened or stays locked: a message for the operator, not a bug."""

    @classmethod
    def of(
        cls, path: Path | str, error: BaseException, busy_seconds: float = BUSY_SECONDS
    ) -> StoreUnavailable:
        """The error explaining why `path` is unusable (busy after waiting `busy_seconds`, or
        not openable)."""
        if is_locked(error):
            return cls("store.busy", path=path, seconds=f"{busy_seconds:g}")
        if is_refusal(error):
            # A constraint or trigger the use case did not foresee: nothing was written.
            return cls("store.refused")
        return cls("store.open_failed", path=path, why=error)


def _shown(location: Path | str) -> str:
    """The database's location as it may be shown: a URL without its password."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", str(location))


def is_refusal(error: BaseException) -> bool:
    """Whether either driver refused a write (a constraint or trigger: an IntegrityError)."""
    return any(kind.__name__ == "IntegrityError" for kind in type(error).__mro__)


def is_locked(error: BaseException) -> bool:
    """Whether SQLite gave up waiting for another writer (busy timeout exceeded)."""
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


class BaseStore:
    """A database behind a driver; every method runs in a transaction that rolls back on error."""

    def __init__(self, driver: Driver, clock: Callable[[], datetime]) -> None:
        self.driver = driver
        self._clock = clock
        # The connection each task's open transaction runs on: nested calls join it.
        self._current: dict[asyncio.Task[Any] | None, Connection] = {}
        # Set by the composition root (issuance.store.opening): audit entries then carry a MAC
        # and the head outside the database follows each commit that appends.
        self.anchor: AuditAnchor | None = None
        # Per task: on PostgreSQL the tasks of a process run transactions side by side.
        self._after_commit: dict[asyncio.Task[Any] | None, list[Callable[[], Awaitable[None]]]] = {}
        # The driver of a task inside `own_connection`, and the rows it is filling in.
        self._own: dict[asyncio.Task[Any] | None, Driver] = {}
        self._filling: dict[asyncio.Task[Any] | None, asyncio.Future[None]] = {}

    @classmethod
    async def open(
        cls,
        location: Path | str,
        clock: Callable[[], datetime] = system_clock,
        upto: int | None = None,
        busy_seconds: float = BUSY_SECONDS,
    ) -> Any:
        """Open the database at `location` (a SQLite file, or a postgresql:// URL) and migrate it
        to the latest schema (or to version `upto`); a SQLite file's statements wait up to
        `busy_seconds` for another process's write lock."""
        driver: Driver
        shown = _shown(location)
        try:
            if isinstance(location, str) and location.startswith(("postgresql://", "postgres://")):
                from issuance.store.postgresql import PostgresDriver

                driver = await PostgresDriver.open(location)
            else:
                driver = await SqliteDriver.open(Path(location), busy_seconds)
        except (OSError, sqlite3.OperationalError) as error:
            raise StoreUnavailable.of(shown, error, busy_seconds) from error
        except sqlite3.Error:
            raise  # a damaged file (not a database, malformed): the caller says so
        except Exception as error:  # the PostgreSQL server refused or did not answer
            why = (str(error).strip().splitlines() or [type(error).__name__])[0].strip()[:200]
            raise StoreUnavailable("store.unreachable", path=shown, why=why) from error
        store = cls(driver, clock)
        try:
            await store._migrate(upto)
        except BaseException as error:
            # aiosqlite's worker thread keeps the process alive until the connection is closed.
            await driver.close()
            if isinstance(error, sqlite3.OperationalError):
                raise StoreUnavailable.of(shown, error, busy_seconds) from error
            raise  # a damaged file (not a database, malformed): the caller says so
        return store

    async def close(self) -> None:
        await self.driver.close()

    @property
    def dialect(self) -> str:
        return self.driver.dialect

    async def strict_mode(self) -> None:
        """Recursive triggers and a WAL synced at every commit, for a home's anchored store."""
        if not isinstance(self.driver, SqliteDriver):
            return  # PostgreSQL has no REPLACE, and commits are durable (synchronous_commit)
        # With recursive triggers, REPLACE fires delete triggers too (final rows also have BEFORE
        # INSERT guards, for connections without this setting).
        await self.driver.set_pragmas("PRAGMA recursive_triggers = ON", "PRAGMA synchronous = FULL")

    async def page_problems(self, full: bool) -> list[str]:
        """What `PRAGMA quick_check` (or the fuller `integrity_check`) finds; [] when sound."""
        if not isinstance(self.driver, SqliteDriver):
            return []  # PostgreSQL's pages are the server's (data checksums, amcheck)
        pragma = "integrity_check" if full else "quick_check"
        try:
            rows = await self._all(f"PRAGMA {pragma}")
        except sqlite3.DatabaseError as error:
            return [str(error)]
        found = [str(row[0]) for row in rows]
        return [] if found == ["ok"] else found

    def now(self) -> datetime:
        return self._clock()

    def now_iso(self) -> str:
        return self._clock().astimezone(SHANGHAI).isoformat(timespec="seconds")

    async def applied_migrations(self) -> set[int]:
        return await self.driver.applied_migrations()

    async def schema_version(self) -> int:
        return max(await self.applied_migrations(), default=0)

    async def _migrate(self, upto: int | None) -> None:
        # Applied migrations are tracked one by one, so an older database gets exactly the ones
        # it lacks, in order.
        applied = await self.applied_migrations()
        for number, _name, sql in migrations(self.driver.dialect):
            if number in applied or (upto is not None and number > upto):
                continue
            await self.driver.apply_migration(number, sql)

    @property
    def _db(self) -> Connection:
        """The connection of the calling task's open transaction."""
        try:
            return self._current[asyncio.current_task()]
        except KeyError:
            raise RuntimeError("store statement outside a transaction") from None

    @asynccontextmanager
    async def own_connection(self) -> AsyncIterator[Driver]:
        """The calling task's statements run on a connection of its own until the block ends
        (SQLite: another connection to the file; PostgreSQL: one pool connection held): a work
        table filled there (`Driver.fill`) shares no transaction with the store's other tasks,
        and the task's `transaction` can apply it."""
        task = asyncio.current_task()
        if task in self._current:
            # Its statements would join that transaction's connection, not the one of its own.
            raise RuntimeError("own_connection inside a transaction")
        async with self.driver.own() as driver:
            self._own[task] = driver
            try:
                yield driver
            finally:
                try:
                    await self._filled()
                finally:
                    del self._own[task]

    async def _fill(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Append `rows` to a work table of the task's own connection while the task goes on
        (reading and checking the next rows): done before its next `_fill` or `_filled`."""
        await self._filled()
        filling = asyncio.ensure_future(self._driver.fill(table, columns, rows))
        self._filling[asyncio.current_task()] = filling
        # Started now, up to its first wait on the database: the rows go in while the caller
        # reads on without awaiting anything.
        await asyncio.sleep(0)

    async def _temp_work(self, statements: Sequence[str], params: Sequence[Any] = ()) -> None:
        """Run `statements` on the task's own connection's work tables (TEMP): a transaction
        that takes no write lock on the database."""
        async with self.transaction(write=False):
            for statement in statements:
                await self._db.execute(statement, params)

    async def _filled(self) -> None:
        """Wait for the rows the task is filling in."""
        filling = self._filling.pop(asyncio.current_task(), None)
        if filling is not None:
            await filling

    @property
    def _driver(self) -> Driver:
        """The calling task's driver: its own connection's (`own_connection`), else the store's."""
        return self._own.get(asyncio.current_task(), self.driver)

    @asynccontextmanager
    async def transaction(self, write: bool = True) -> AsyncIterator[None]:
        """Run the body in one transaction; nested calls from the same task join it."""
        task = asyncio.current_task()
        if task in self._current:
            yield
            return
        async with self._driver.transaction(write) as connection:
            self._current[task] = connection
            try:
                try:
                    yield
                except BaseException:
                    self._after_commit.pop(task, None)
                    raise
            finally:
                del self._current[task]
        await self._run_after_commit(task)

    async def _lock(self, name: str) -> None:
        """Serialize the rest of this transaction with others taking `name` (the audit chain)."""
        await self.driver.lock(self._db, name)

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` once the current transaction has committed (never if it rolls back)."""
        actions = self._after_commit.setdefault(asyncio.current_task(), [])
        if action not in actions:
            actions.append(action)

    async def _run_after_commit(self, task: asyncio.Task[Any] | None) -> None:
        for action in self._after_commit.pop(task, []):
            try:
                await action()
            except Exception:
                # The transaction is committed; a failed follow-up must not report it as failed.
                log.exception("after-commit step failed")

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if asyncio.current_task() not in self._current:
            # A lone statement is atomic by itself: no transaction around it.
            return await self._driver.read(sql, params)
        async with self.transaction(write=False):
            cursor = await self._db.execute(sql, params)
            return list(await cursor.fetchall())

    async def _all_in(self, sql: str, values: Sequence[Any]) -> list[Row]:
        """Rows of `sql` whose `{marks}` is filled with placeholders for `values`, in chunks
        (a statement's number of parameters is limited)."""
        rows: list[Row] = []
        for chunk in chunks(values, self.driver.max_params):
            rows.extend(await self._all(sql.format(marks=",".join("?" * len(chunk))), chunk))
        return rows

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _lookup(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """`_one` for a statement that reads a few rows through an index (see Driver.lookup)."""
        if asyncio.current_task() in self._current:
            return await self._one(sql, params)
        row: Row | None = await self._driver.lookup(sql, params)
        return row

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        async with self.transaction():
            return await self._db.execute(sql, params)

    async def _insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an `INSERT … RETURNING id` and give the new row's id."""
        async with self.transaction():
            row = await (await self._db.execute(sql, params)).fetchone()
            return int(row[0])

    async def _execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        async with self.transaction():
            cursor = await self._db.executemany(sql, rows)
            return cursor.rowcount
