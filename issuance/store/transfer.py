"""Moving and keeping data: a whole database copied to another (SQLite ⇄ PostgreSQL), and backups.

The copy reads the source in one snapshot and writes the target in one transaction, checked
before it commits (row counts, the audit chain): a failed copy leaves the target as it was, and
the source is only ever read.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from issuance.core.audit import first_broken
from issuance.core.errors import DomainError
from issuance.store.base import BaseStore
from issuance.store.driver import SqliteDriver, chunks

_ROWS_PER_STATEMENT = 2000
# References PostgreSQL checks by a trigger per statement instead of a foreign key (0230): the
# copy still writes the rows referred to first.
_TRIGGER_REFERENCES = {"signoff_record": {"record", "signoff_act"}}


@dataclass(frozen=True)
class CopyReport:
    """Rows copied per table, and the audit chain's length on the copy."""

    tables: dict[str, int]
    audit_entries: int


async def _tables(store: BaseStore) -> dict[str, set[str]]:
    """Table name -> the tables it refers to, for the tables the migrations created."""
    if store.dialect == "sqlite":
        names = [
            row[0]
            for row in await store._all(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version'"
            )
        ]
        refers: dict[str, set[str]] = {}
        for name in names:
            rows = await store._all(f"SELECT * FROM pragma_foreign_key_list('{name}')")
            refers[name] = {row["table"] for row in rows} - {name}
        return refers
    rows = await store._all(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        " AND table_type = 'BASE TABLE' AND table_name <> 'schema_version'"
    )
    refers = {row[0]: set() for row in rows}
    for row in await store._all(
        "SELECT cl.relname, target.relname FROM pg_constraint c"
        " JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class target ON target.oid = c.confrelid"
        " WHERE c.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace"
    ):
        if row[0] in refers and row[0] != row[1]:
            refers[row[0]].add(row[1])
    for table, tables in _TRIGGER_REFERENCES.items():
        if table in refers:
            refers[table] |= tables
    return refers


async def _columns(store: BaseStore, table: str) -> list[str]:
    if store.dialect == "sqlite":
        return [
            row["name"] for row in await store._all(f"SELECT * FROM pragma_table_info('{table}')")
        ]
    rows = await store._all(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = ? ORDER BY ordinal_position",
        (table,),
    )
    return [row[0] for row in rows]


async def _self_references(store: BaseStore, table: str) -> list[str]:
    """Columns of `table` that refer to `table` itself (filled in after every row is in)."""
    if store.dialect == "sqlite":
        rows = await store._all(f"SELECT * FROM pragma_foreign_key_list('{table}')")
        return [row["from"] for row in rows if row["table"] == table]
    rows = await store._all(
        "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a"
        " ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
        " WHERE c.contype = 'f' AND c.conrelid = ?::regclass AND c.confrelid = c.conrelid",
        (table,),
    )
    return [row[0] for row in rows]


async def _insert(target: BaseStore, table: str, columns: list[str], rows: list[Any]) -> None:
    """The table's rows into `target`; a column referring to its own table is filled in after
    every row is there (a row may refer to a later one)."""
    later = await _self_references(target, table)
    placed = [0 if c in later else None for c in columns]
    marks = ", ".join("?" for _ in columns)
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    try:
        for chunk in chunks(rows, _ROWS_PER_STATEMENT):
            await target._db.executemany(
                insert,
                [
                    tuple(None if placed[i] is not None else v for i, v in enumerate(row))
                    for row in chunk
                ],
            )
    except Exception as error:
        # A trigger or constraint of the target: name the table, not the driver's text.
        if any(kind.__name__ == "IntegrityError" for kind in type(error).__mro__):
            raise DomainError("db.copy.refused", table=table) from error
        raise
    for column in later:
        index = columns.index(column)
        key = columns.index("id")
        await target._db.executemany(
            f"UPDATE {table} SET {column} = ? WHERE id = ?",
            [(row[index], row[key]) for row in rows if row[index] is not None],
        )


async def copy_database(source: BaseStore, target: BaseStore) -> CopyReport:
    """Copy every row of `source` into the empty, migrated `target`, all or nothing."""
    if await source.schema_version() != await target.schema_version():
        raise DomainError("db.copy.versions")
    async with source.transaction(write=False):
        if source.dialect == "postgresql":
            # One snapshot for every table read below.
            await source._db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        refers = await _tables(source)
        order = list(TopologicalSorter(refers).static_order())
        data: dict[str, tuple[list[str], list[Any]]] = {}
        for table in order:
            columns = await _columns(source, table)
            rows = await source._all(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1")
            data[table] = (columns, [tuple(row) for row in rows])
    target_tables = set(await _tables(target))
    if missing := set(order) - target_tables:
        raise DomainError("db.copy.schema", tables=", ".join(sorted(missing)))
    copied: dict[str, int] = {}
    async with target.transaction():
        for table in order:
            row = await target._one(f"SELECT COUNT(*) FROM {table}")
            if row is not None and row[0]:
                raise DomainError("db.copy.not_empty", table=table)
        for table in order:
            columns, rows = data[table]
            await _insert(target, table, columns, rows)
            if target.dialect == "postgresql" and "id" in columns:
                # Identities continue after the copied ids.
                await target._db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id))"
                    f" FROM {table} HAVING MAX(id) IS NOT NULL"
                )
            row = await target._one(f"SELECT COUNT(*) FROM {table}")
            copied[table] = int(row[0]) if row else 0
            if copied[table] != len(rows):
                raise DomainError("db.copy.count", table=table)
        entries = await target.audit_entries()  # type: ignore[attr-defined]
        if (broken := first_broken(entries)) is not None:
            raise DomainError("db.copy.audit", id=broken[0], why=broken[1])
    return CopyReport(copied, len(entries))


async def backup(store: BaseStore, out: Path) -> str:
    """An online backup of `store` at `out`; returns how it was made ("sqlite", "pg_dump", "copy").

    SQLite: the backup API, consistent while others write. PostgreSQL: pg_dump's custom format
    when `out` ends in .dump and pg_dump is installed, else a logical copy into a SQLite file
    (restored with `qianfa db copy --to postgresql://…` from it).
    """
    if out.exists():
        raise DomainError("db.backup.exists", path=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(store.driver, SqliteDriver):
        target = sqlite3.connect(out)
        try:
            await store.driver.db.backup(target)
        finally:
            target.close()
        return "sqlite"
    pg_dump = shutil.which("pg_dump")
    if out.suffix == ".dump" and pg_dump:
        url = getattr(store.driver, "url", "")
        subprocess.run([pg_dump, "--format=custom", "--file", str(out), url], check=True)
        return "pg_dump"
    copy = await type(store).open(out)  # type: ignore[attr-defined]
    try:
        await copy_database(store, copy)
    except BaseException:
        await copy.close()
        out.unlink(missing_ok=True)
        raise
    await copy.close()
    return "copy"
