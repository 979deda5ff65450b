"""The PostgreSQL driver: psycopg 3 with an async connection pool, one connection per transaction.

The store's SQL is written once with `?` placeholders; here they become psycopg's `%s`. Work rows
are claimed with FOR UPDATE SKIP LOCKED, and what SQLite serializes with its one write lock (the
audit chain, migrations) takes a transaction-scoped advisory lock instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Any, ClassVar, cast

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool

_ARRAY_TYPES = {"INTEGER": "BIGINT[]", "TEXT": "TEXT[]"}

# Seconds to reach the server before saying it cannot be reached.
CONNECT_TIMEOUT = 10


class PgRow(tuple[Any, ...]):
    """A result row readable by position and by column name, like sqlite3.Row."""

    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> Iterable[str]:
        return self._index.keys()


def _rows(cursor: AsyncCursor[Any]) -> RowMaker[PgRow]:
    names = [column.name for column in cursor.description or ()]
    row_type = type("Row", (PgRow,), {"_index": {name: i for i, name in enumerate(names)}})
    return cast(RowMaker[PgRow], row_type)


@cache
def to_psycopg(sql: str) -> str:
    """`?` placeholders (outside string literals) as `%s`, literal `%` escaped as `%%`."""
    out: list[str] = []
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)


def array_literal(values: Iterable[Any], kind: str) -> str:
    """`values` as the text of a PostgreSQL array of `kind` (INTEGER or TEXT), for one parameter
    cast to that array type. psycopg dumps a list element by element, each matched against a
    regular expression for quoting: ~40 ms of a 10,000-record act's 9 arrays, ~5 ms this way.
    Texts are double-quoted with backslash and quote escaped, so any text comes back as sent."""
    if kind == "INTEGER":
        items = ("NULL" if v is None else str(int(v)) for v in values)
    else:
        items = (
            "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for v in values
        )
    return "{" + ",".join(items) + "}"


def _params(params: Sequence[Any]) -> tuple[Any, ...]:
    # SQLite stores booleans as 0/1 in INTEGER columns; so do we.
    return tuple(int(p) if isinstance(p, bool) else p for p in params)


class Result:
    """A statement's rows, fetched at once, and how many rows it changed."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows


class PgConnection:
    """One pooled connection inside its transaction."""

    def __init__(self, connection: AsyncConnection[Any]) -> None:
        self.connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        cursor = self.connection.cursor(row_factory=_rows)
        await cursor.execute(to_psycopg(sql), _params(params))
        rows = await cursor.fetchall() if cursor.description is not None else []
        return Result(rows, cursor.rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Result:
        batch = [_params(row) for row in rows]
        if not batch:
            return Result([], 0)
        cursor = self.connection.cursor()
        await cursor.executemany(to_psycopg(sql), batch)
        return Result([], cursor.rowcount)


class PostgresDriver:
    """A PostgreSQL database shared by any number of processes on any hosts."""

    dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    for_update = " FOR UPDATE"
    max_params = 10_000

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]], url: str) -> None:
        self.pool = pool
        self.url = url

    @classmethod
    async def open(cls, url: str, size: int = 4) -> PostgresDriver:
        # One connection first, bounded: a server that is down or unreachable is said at once,
        # not after the pool's retries (and their warnings) run out.
        probe = await AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT)
        await probe.close()
        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=size,
            kwargs={"autocommit": True},
            open=False,
            name="qianfa",
        )
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        return cls(pool, url)

    def rows_table(
        self, types: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> list[tuple[str, list[Any]]]:
        # One array per column, unnested: a single statement and a parameter per column, however
        # many rows (a VALUES list would be parsed and planned value by value).
        if not rows:
            return []
        names = ", ".join(f"column{i}" for i in range(1, len(types) + 1))
        arrays = ", ".join(f"CAST(? AS {_ARRAY_TYPES[kind]})" for kind in types)
        columns = zip(*rows, strict=True)
        return [
            (
                f"unnest({arrays}) AS v({names})",
                [array_literal(column, kind) for column, kind in zip(columns, types, strict=True)],
            )
        ]

    def ids_table(self, ids: Sequence[int]) -> tuple[str, list[Any]]:
        # Listed first, the array drives the join: one index lookup per id. Joined after the
        # tables, the planner reads every record and sorts the lot (three times slower).
        return "unnest(CAST(? AS BIGINT[])) AS v(id)", [array_literal(ids, "INTEGER")]

    @asynccontextmanager
    async def transaction(self, write: bool) -> AsyncIterator[PgConnection]:
        async with self.pool.connection() as connection, connection.transaction():
            yield PgConnection(connection)

    def among(self, column: str, ids: Sequence[int]) -> list[tuple[str, list[Any]]]:
        # One array parameter: an IN list of thousands is parsed and planned value by value.
        if not ids:
            return []
        return [(f"{column} = ANY(CAST(? AS BIGINT[]))", [array_literal(ids, "INTEGER")])]

    async def read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        # Autocommit: one round trip instead of three (BEGIN, the statement, COMMIT).
        async with self.pool.connection() as connection:
            return await (await PgConnection(connection).execute(sql, params)).fetchall()

    async def lookup(self, sql: str, params: Sequence[Any]) -> Any:
        rows = await self.read(sql, params)
        return rows[0] if rows else None

    async def lock(self, connection: Any, name: str) -> None:
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (f"qianfa:{name}",))

    @asynccontextmanager
    async def own(self) -> AsyncIterator[HeldConnection]:
        async with self.pool.connection() as connection:
            try:
                yield HeldConnection(self.pool, self.url, connection)
            finally:
                # Back in the pool without this task's work tables (a broken connection, which
                # cannot take this, the pool drops).
                with contextlib.suppress(psycopg.Error):
                    await connection.execute("DISCARD TEMP")

    async def fill(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        async with self.pool.connection() as connection, connection.transaction():
            await _copy(connection, table, columns, rows)

    async def applied_migrations(self) -> set[int]:
        async with self.transaction(write=True) as connection:
            await self.lock(connection, "schema")
            # Only when missing: the processes' role may lack the right to create tables.
            found = await connection.execute("SELECT to_regclass('schema_version')")
            if (await found.fetchone())[0] is None:
                await connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            rows = await (await connection.execute("SELECT version FROM schema_version")).fetchall()
            return {int(row[0]) for row in rows}

    async def apply_migration(self, number: int, sql: str) -> None:
        async with self.transaction(write=True) as connection:
            # Processes starting at once: the first applies it, the others find it applied.
            await self.lock(connection, "schema")
            done = await connection.execute(
                "SELECT 1 FROM schema_version WHERE version = ?", (number,)
            )
            if await done.fetchone() is not None:
                return
            await connection.connection.execute(sql.encode())
            await connection.execute("INSERT INTO schema_version VALUES (?)", (number,))

    async def close(self) -> None:
        await self.pool.close()


class HeldConnection(PostgresDriver):
    """The driver on one pool connection a task holds (`own`): its transactions and lone
    statements run there, so its TEMP tables are seen by all of them."""

    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        url: str,
        connection: AsyncConnection[Any],
    ) -> None:
        super().__init__(pool, url)
        self.connection = connection

    @asynccontextmanager
    async def transaction(self, write: bool) -> AsyncIterator[PgConnection]:
        async with self.connection.transaction():
            yield PgConnection(self.connection)

    async def read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return await (await PgConnection(self.connection).execute(sql, params)).fetchall()

    async def fill(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        await _copy(self.connection, table, columns, rows)


async def _copy(
    connection: AsyncConnection[Any],
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """COPY `rows` into `table`: streamed in one statement, not planned row by row."""
    cursor = connection.cursor()
    async with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            await copy.write_row(_params(row))
