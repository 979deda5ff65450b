"""SQLite connection, explicit transactions and numbered schema migrations."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from issuance.core.errors import DomainError
from issuance.store.anchor import AuditAnchor

log = logging.getLogger(__name__)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
SHANGHAI = ZoneInfo("Asia/Shanghai")
_IN_CHUNK = 500
# First line of a migration that rebuilds tables (to change a CHECK constraint, say). It must copy
# the indexes and triggers of those tables into _rebuild_kept(name, sql) first; any of them it
# does not define anew are recreated after it.
_REBUILDS_TABLES = "-- rebuilds tables"


def system_clock() -> datetime:
    """Now, in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped, in order."""
    found = []
    for entry in (resources.files("issuance.store") / "migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


class StoreUnavailable(DomainError):
    """The database cannot be opened or stays locked: a message for the operator, not a bug."""

    @classmethod
    def of(cls, path: Path, error: BaseException) -> StoreUnavailable:
        """The error explaining why `path` is unusable (busy, or not openable)."""
        if is_locked(error):
            return cls("store.busy", path=path)
        return cls("store.open_failed", path=path, why=error)


def is_locked(error: BaseException) -> bool:
    """Whether SQLite gave up waiting for another writer (busy timeout exceeded)."""
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


class BaseStore:
    """One aiosqlite connection; every method runs in a transaction that rolls back on error."""

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        # Set by the composition root (issuance.store.opening): audit entries then carry a MAC
        # and the head outside the database follows each commit that appends.
        self.anchor: AuditAnchor | None = None
        self._after_commit: list[Callable[[], Awaitable[None]]] = []

    @classmethod
    async def open(
        cls,
        path: Path,
        clock: Callable[[], datetime] = system_clock,
        upto: int | None = None,
    ) -> Any:
        """Open (creating if needed) the database at `path` and migrate it to the latest schema."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable.of(path, error) from error
        try:
            db.row_factory = aiosqlite.Row
            for pragma in (
                "PRAGMA busy_timeout = 15000",
                "PRAGMA journal_mode = WAL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA synchronous = NORMAL",
            ):
                await db.execute(pragma)
            store = cls(db, clock)
            await store._migrate(upto)
        except BaseException as error:
            # aiosqlite's worker thread keeps the process alive until the connection is closed.
            await db.close()
            if isinstance(error, sqlite3.OperationalError):
                raise StoreUnavailable.of(path, error) from error
            raise  # a damaged file (not a database, malformed): the caller says so
        return store

    async def close(self) -> None:
        await self._db.close()

    async def strict_mode(self) -> None:
        """Recursive triggers and a WAL synced at every commit, for a home's anchored store."""
        # With recursive triggers, REPLACE fires delete triggers too (final rows also have BEFORE
        # INSERT guards, for connections without this setting).
        await self._db.execute("PRAGMA recursive_triggers = ON")
        await self._db.execute("PRAGMA synchronous = FULL")

    async def page_problems(self, full: bool) -> list[str]:
        """What `PRAGMA quick_check` (or the fuller `integrity_check`) finds; [] when sound."""
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
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
        )
        rows = await (await self._db.execute("SELECT version FROM schema_version")).fetchall()
        return {int(row[0]) for row in rows}

    async def schema_version(self) -> int:
        return max(await self.applied_migrations(), default=0)

    async def _migrate(self, upto: int | None) -> None:
        # Applied migrations are tracked one by one, so an older database gets exactly the ones
        # it lacks, in order.
        applied = await self.applied_migrations()
        for number, _name, sql in migrations():
            if number in applied or (upto is not None and number > upto):
                continue
            rebuild = sql.startswith(_REBUILDS_TABLES)
            if rebuild:
                # SQLite's documented table rebuild: foreign keys off (outside the transaction),
                # checked before commit.
                await self._db.execute("PRAGMA foreign_keys = OFF")
            script = f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_version VALUES ({number});"
            try:
                await self._db.executescript(script)
                if rebuild:
                    await self._keep_other_indexes_and_triggers()
                    broken = await (await self._db.execute("PRAGMA foreign_key_check")).fetchall()
                    if broken:
                        raise RuntimeError(f"migration {number} breaks foreign keys: {broken}")
                await self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise
            finally:
                if rebuild:
                    await self._db.execute("PRAGMA foreign_keys = ON")

    async def _keep_other_indexes_and_triggers(self) -> None:
        """Recreate indexes and triggers that a table rebuild dropped and did not define anew."""
        async with self._db.execute(
            "SELECT name, sql FROM _rebuild_kept WHERE name NOT IN (SELECT name FROM sqlite_schema)"
        ) as cursor:
            lost = list(await cursor.fetchall())
        for _name, definition in lost:
            await self._db.execute(definition)
        await self._db.execute("DROP TABLE _rebuild_kept")

    @asynccontextmanager
    async def transaction(self, write: bool = True) -> AsyncIterator[None]:
        """Run the body in one transaction; nested calls from the same task join it."""
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            yield
            return
        async with self._lock:
            self._owner = task
            try:
                await self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield
                except BaseException:
                    self._after_commit.clear()
                    await self._db.execute("ROLLBACK")
                    raise
                await self._db.execute("COMMIT")
                await self._run_after_commit()
            finally:
                self._owner = None

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` once the current transaction has committed (never if it rolls back)."""
        if action not in self._after_commit:
            self._after_commit.append(action)

    async def _run_after_commit(self) -> None:
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            try:
                await action()
            except Exception:
                # The transaction is committed; a failed follow-up must not report it as failed.
                log.exception("after-commit step failed")

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self.transaction(write=False):
            cursor = await self._db.execute(sql, params)
            return list(await cursor.fetchall())

    async def _all_in(self, sql: str, values: Sequence[Any]) -> list[aiosqlite.Row]:
        """Rows of `sql` whose `{marks}` is filled with placeholders for `values`, in chunks
        (SQLite limits the number of parameters of one statement)."""
        rows: list[aiosqlite.Row] = []
        for start in range(0, len(values), _IN_CHUNK):
            chunk = list(values[start : start + _IN_CHUNK])
            rows.extend(await self._all(sql.format(marks=",".join("?" * len(chunk))), chunk))
        return rows

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Cursor:
        async with self.transaction():
            return await self._db.execute(sql, params)

    async def _execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        async with self.transaction():
            cursor = await self._db.executemany(sql, rows)
            return cursor.rowcount
