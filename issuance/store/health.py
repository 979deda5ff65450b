"""Whether a process's store is ready: database reachable, schema current, audit anchored."""

from __future__ import annotations

import time
from dataclasses import dataclass

from issuance.store.anchor import AnchorError
from issuance.store.base import BaseStore, migrations


@dataclass(frozen=True)
class Check:
    """One readiness check: its name, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


async def clock_skew(store: BaseStore) -> float | None:
    """Seconds the database server's clock is ahead of this host's (None for SQLite: one clock)."""
    if store.dialect == "sqlite":
        return None
    before = time.time()
    row = await store._one("SELECT EXTRACT(EPOCH FROM clock_timestamp())")
    after = time.time()
    assert row is not None
    return float(row[0]) - (before + after) / 2


async def readiness(store: BaseStore) -> list[Check]:
    """The database answers, every shipped migration is applied (and none unknown), and the audit
    chain's anchor is attached and readable."""
    try:
        row = await store._one("SELECT 1")
        reachable = Check("database", row is not None and row[0] == 1, store.dialect)
    except Exception as error:  # the server went away, the file is locked past the timeout
        return [Check("database", False, type(error).__name__)]
    shipped = {number for number, _, _ in migrations(store.dialect)}
    applied = await store.applied_migrations()
    missing, unknown = sorted(shipped - applied), sorted(applied - shipped)
    schema = Check(
        "migrations",
        not missing and not unknown,
        f"schema {max(applied, default=0)}"
        + (f", missing {missing}" if missing else "")
        + (f", unknown (newer release?) {unknown}" if unknown else ""),
    )
    if store.anchor is None:
        anchor = Check("audit_anchor", False, "not attached")
    else:
        try:
            head = store.anchor.head()
            anchor = Check("audit_anchor", True, f"head at entry {head.count}")
        except AnchorError as error:
            anchor = Check("audit_anchor", False, str(error))
    return [reachable, schema, anchor]
