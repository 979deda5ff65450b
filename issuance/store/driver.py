"""The layer under the store that differs per database: connections, transactions, dialect.

Store methods write one SQL text with `?` placeholders and portable syntax (RETURNING, ON CONFLICT);
a driver runs it on its database and says how the few non-portable clauses are spelled there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

# How long a process waits for another program's write to finish, unless `[database]
# busy_timeout_seconds` says otherwise (said in store.busy).
BUSY_SECONDS = 15


class Row(Protocol):
    """One result row: by position (`row[0]`) or by column name (`row["id"]`), and `dict(row)`."""

    def __getitem__(self, key: int | str) -> Any: ...

    def keys(self) -> Iterable[str]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Cursor(Protocol):
    """What running one statement gives back."""

    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...


class Connection(Protocol):
    """One connection, inside the transaction the store opened on it."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor: ...


class Driver(Protocol):
    """A database: hands out one connection per transaction and spells the non-portable clauses."""

    dialect: str
    # Appended to a SELECT that claims work rows: other processes skip rows claimed meanwhile.
    skip_locked: str
    # Appended to a SELECT whose rows the transaction will update on what it read.
    for_update: str
    # How many parameters one statement may carry.
    max_params: int

    def transaction(self, write: bool) -> Any:
        """An async context manager: a connection in a transaction, committed at a clean exit."""
        ...

    async def read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """The rows of one statement run on its own (a snapshot of its own, no BEGIN/COMMIT)."""
        ...

    async def lookup(self, sql: str, params: Sequence[Any]) -> Any:
        """The first row of one statement that reads a few rows through an index, or None."""
        ...

    def rows_table(
        self, types: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[tuple[str, list[Any]]]:
        """`rows` as a table `v` with columns column1, column2, … of SQL `types` (INTEGER or
        TEXT), to join or select from: (SQL, parameters) per statement's worth of rows."""
        ...

    def among(self, column: str, ids: Sequence[int]) -> list[tuple[str, list[Any]]]:
        """The condition "`column` is one of `ids`" (integers): (SQL, parameters) per
        statement's worth of ids."""
        ...

    def ids_table(self, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """`ids` (integers) as a table `v` of one column `id`, to list first in a FROM clause so
        that the join runs from it, one primary-key lookup per id: (SQL, parameters), a single
        parameter however many ids. Its rows come in no promised order."""
        ...

    async def lock(self, connection: Connection, name: str) -> None:
        """Serialize the rest of the transaction with every other one taking the same name."""
        ...

    def own(self) -> Any:
        """An async context manager: a driver on a connection of the caller's own for the block,
        so work tables (TEMP) on it share no transaction with the store's other tasks."""
        ...

    async def fill(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Append `rows` to a work table (TEMP) of this driver's own connection."""
        ...

    async def applied_migrations(self) -> set[int]: ...

    async def apply_migration(self, number: int, sql: str) -> None:
        """Run one migration and record its number, all or nothing, once across processes."""
        ...

    async def close(self) -> None: ...


# First line of a migration that rebuilds tables (to change a CHECK constraint, say). It must copy
# the indexes and triggers of those tables into _rebuild_kept(name, sql) first; any of them it
# does not define anew are recreated after it.
_REBUILDS_TABLES = "-- rebuilds tables"


class SqliteDriver:
    """One aiosqlite connection (WAL) shared by a process's tasks, one transaction at a time."""

    dialect = "sqlite"
    # BEGIN IMMEDIATE already serializes every writer of the file: nothing to add.
    skip_locked = ""
    for_update = ""
    max_params = 30_000  # SQLite takes up to 32,766 parameters per statement

    def __init__(
        self, db: aiosqlite.Connection, path: Path, busy_seconds: float = BUSY_SECONDS
    ) -> None:
        self.db = db
        self.path = path
        # How long a statement waits for another connection's write lock before failing.
        self.busy_seconds = busy_seconds
        self._lock = asyncio.Lock()
        self._reader: sqlite3.Connection | None = None
        # What every writing connection to the file runs first (a staging connection too).
        self.pragmas = [
            f"PRAGMA busy_timeout = {round(busy_seconds * 1000)}",
            "PRAGMA foreign_keys = ON",
            "PRAGMA synchronous = NORMAL",
        ]

    @classmethod
    async def open(cls, path: Path, busy_seconds: float = BUSY_SECONDS) -> SqliteDriver:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        driver = cls(db, path, busy_seconds)
        try:
            await driver.set_pragmas("PRAGMA journal_mode = WAL", *driver.pragmas)
        except BaseException:
            # aiosqlite's worker thread keeps the process alive until the connection is closed.
            await db.close()
            raise
        return driver

    async def set_pragmas(self, *pragmas: str) -> None:
        """Run `pragmas` on the shared connection, and on every staging connection opened later."""
        for pragma in pragmas:
            await self.db.execute(pragma)
        self.pragmas += [p for p in pragmas if p not in self.pragmas]

    def rows_table(
        self, types: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[tuple[str, list[Any]]]:
        # A VALUES list: its columns are column1, column2, … on SQLite (and PostgreSQL).
        row = "(" + ", ".join(f"CAST(? AS {kind})" for kind in types) + ")"
        return [
            (
                f"(VALUES {', '.join([row] * len(chunk))}) AS v",
                [value for values in chunk for value in values],
            )
            for chunk in chunks(rows, self.max_params // len(types))
        ]

    @asynccontextmanager
    async def transaction(self, write: bool) -> AsyncIterator[Connection]:
        async with self._lock:
            await self._begin("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    def among(self, column: str, ids: Sequence[int]) -> list[tuple[str, list[Any]]]:
        # An IN list: SQLite looks each id up (a joined VALUES table is a third slower).
        return [
            (f"{column} IN ({','.join('?' * len(chunk))})", chunk)
            for chunk in chunks(ids, self.max_params)
        ]

    def ids_table(self, ids: Sequence[int]) -> tuple[str, list[Any]]:
        # A JSON array read by json_each: as fast as an IN list, without its 30,000 limit.
        return "(SELECT value AS id FROM json_each(?)) AS v", [json.dumps([int(i) for i in ids])]

    async def read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        # One trip to aiosqlite's thread instead of four (BEGIN, execute, fetch, COMMIT).
        async with self._lock:
            return list(await self.db.execute_fetchall(sql, params))

    async def lookup(self, sql: str, params: Sequence[Any]) -> Any:
        # An indexed lookup takes microseconds: run here, on a read-only connection of this
        # thread, rather than queue behind the shared connection and hop to its thread and back.
        # WAL readers see the last commit and never wait for a writer.
        if self._reader is None:
            self._reader = sqlite3.connect(self.path, isolation_level=None)
            self._reader.row_factory = sqlite3.Row
            self._reader.execute("PRAGMA query_only = ON")
            self._reader.execute(f"PRAGMA busy_timeout = {round(self.busy_seconds * 1000)}")
        return self._reader.execute(sql, params).fetchone()

    async def _begin(self, statement: str) -> None:
        """Open a transaction; if the caller is cancelled meanwhile, end the one it opened."""
        # aiosqlite's thread runs a statement even when the task awaiting it was cancelled: left
        # open, that transaction would hold the file's write lock and make this connection's
        # next BEGIN fail ("cannot start a transaction within a transaction").
        begin = asyncio.ensure_future(self.db.execute(statement))
        try:
            await asyncio.shield(begin)
        except asyncio.CancelledError:
            with contextlib.suppress(sqlite3.Error):
                await begin
                await self.db.execute("ROLLBACK")
            raise

    async def lock(self, connection: Connection, name: str) -> None:
        """Nothing to do: a write transaction already holds the database's one write lock."""

    @asynccontextmanager
    async def own(self) -> AsyncIterator[SqliteDriver]:
        # Another connection to the same file: its TEMP tables are its own, and with WAL its
        # reads never wait for the shared connection's writers (its BEGIN IMMEDIATE does).
        driver = await SqliteDriver.open(self.path, self.busy_seconds)
        try:
            await driver.set_pragmas(*self.pragmas)
            yield driver
        finally:
            await driver.close()

    async def fill(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        # The rows as one JSON array inserted by one statement, atomic by itself: one trip to
        # aiosqlite's thread, where SQLite reads and inserts them without the GIL while the
        # caller reads on (executemany would take the GIL back for every row). Writing TEMP
        # tables only takes no lock on the database file.
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM json_each(?)"
        rows_json = json.dumps(list(rows))
        del rows  # not held while they go in: the caller reads on
        async with self._lock:
            await self.db.execute(sql, (rows_json,))

    async def applied_migrations(self) -> set[int]:
        await self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
        )
        rows = await (await self.db.execute("SELECT version FROM schema_version")).fetchall()
        return {int(row[0]) for row in rows}

    async def apply_migration(self, number: int, sql: str) -> None:
        # executescript commits whatever is open first, so the script carries its own transaction.
        async with self._lock:
            rebuild = sql.startswith(_REBUILDS_TABLES)
            if rebuild:
                # SQLite's documented table rebuild: foreign keys off (outside the transaction),
                # checked before commit.
                await self.db.execute("PRAGMA foreign_keys = OFF")
            script = f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_version VALUES ({number});"
            try:
                await self.db.executescript(script)
                if rebuild:
                    await self._keep_other_indexes_and_triggers()
                    broken = await (await self.db.execute("PRAGMA foreign_key_check")).fetchall()
                    if broken:
                        raise RuntimeError(f"migration {number} breaks foreign keys: {broken}")
                await self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    await self.db.execute("ROLLBACK")
                raise
            finally:
                if rebuild:
                    await self.db.execute("PRAGMA foreign_keys = ON")

    async def _keep_other_indexes_and_triggers(self) -> None:
        """Recreate indexes and triggers that a table rebuild dropped and did not define anew."""
        async with self.db.execute(
            "SELECT name, sql FROM _rebuild_kept WHERE name NOT IN (SELECT name FROM sqlite_schema)"
        ) as cursor:
            lost = list(await cursor.fetchall())
        for _name, definition in lost:
            await self.db.execute(definition)
        await self.db.execute("DROP TABLE _rebuild_kept")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        await self.db.close()


def chunks(values: Sequence[Any], size: int) -> Iterator[list[Any]]:
    """`values` in lists of at most `size`."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])
