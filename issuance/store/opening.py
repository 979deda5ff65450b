"""Opening a home's database the way every process should: checked, then anchored.

A missing or empty (0-byte) database file is never silently re-created outside `qianfa init`,
`PRAGMA quick_check` runs at every start, and the audit chain's anchor (key and head outside the
database, see issuance.store.anchor) is attached, created the first time.
"""

from __future__ import annotations

import asyncio
import hmac
import sqlite3
from pathlib import Path

from issuance.core.errors import DomainError
from issuance.core.settings import Settings
from issuance.store import Store
from issuance.store.anchor import AnchorError, AuditAnchor, Head
from issuance.store.heads import database_head, sign_database_head


class DatabaseProblem(DomainError):
    """The database file is missing, empty, damaged, or does not match its audit anchor."""


def check_file(path: Path, create: bool) -> None:
    """Refuse a missing database (unless creating) and an empty 0-byte one (always)."""
    if not path.exists():
        if not create:
            raise DatabaseProblem("db.missing", path=path)
        return
    if not path.is_file():
        raise DatabaseProblem("db.not_a_file", path=path)
    wal = path.with_name(path.name + "-wal")
    # A new WAL database may keep its first pages in the -wal file; only both empty is empty.
    if path.stat().st_size == 0 and (not wal.exists() or wal.stat().st_size == 0):
        raise DatabaseProblem("db.empty", path=path)


async def open_store(settings: Settings, create: bool = False) -> Store:
    """The home's store, checked (file, quick_check) and with its audit anchor attached."""
    path = settings.database
    if isinstance(path, Path):  # a PostgreSQL server keeps its own files
        check_file(path, create)
    try:
        store: Store = await Store.open(path, busy_seconds=settings.database_busy_timeout_seconds)
    except sqlite3.DatabaseError as error:
        raise DatabaseProblem("db.damaged", path=path, detail=str(error)) from None
    try:
        problems = await store.page_problems(full=False)
        if problems:
            raise DatabaseProblem("db.damaged", path=path, detail="; ".join(problems[:5]))
        await attach_anchor(store, AuditAnchor(settings.home))
        if not await store.has_final_digests():
            await store.seal_baseline()
    except BaseException:
        await store.close()
        raise
    return store


async def attach_anchor(store: Store, anchor: AuditAnchor) -> None:
    """Use the home's anchor; anchor the log now if it never was (old entries stay unkeyed)."""
    # The head outside the database is written after each appending commit; the commit must be on
    # disk first (WAL synced at commit), or a power cut could leave the head ahead of the log,
    # which `audit verify` would rightly read as entries deleted from the end.
    await store.strict_mode()
    # Under the lock: processes started together must not each create a key of their own.
    with anchor.locked():
        if not anchor.exists:
            if await store.audit_keyed_count():
                # Anchored elsewhere: re-anchoring here would bless whatever the log holds now.
                raise DatabaseProblem("db.anchor_missing", path=anchor.key_path.parent)
            entries = await store.audit_entries()
            last = entries[-1] if entries else None
            anchor.create(last.id if last else 0, last.hash if last else "")
        elif not anchor.head_path.exists() and anchor.key_path.exists():
            await _join(store, anchor)
    try:
        anchor.head()
    except AnchorError as error:
        raise DatabaseProblem("db.anchor_broken", detail=str(error)) from None
    await _meet_database_head(store, anchor)
    store.anchor = anchor


async def _join(store: Store, anchor: AuditAnchor) -> None:
    """Another host of a shared database, given the operator's key: its head file starts at the
    database's signed head, checked with the key."""
    found = await database_head(store)
    if found is None:
        raise DatabaseProblem("db.anchor_broken", detail="no signed head in the database to join")
    head, mac = found
    try:
        valid = hmac.compare_digest(mac, anchor.head_mac(head))
    except AnchorError as error:
        raise DatabaseProblem("db.anchor_broken", detail=str(error)) from None
    if not valid:
        raise DatabaseProblem(
            "db.anchor_broken", detail="the database's head is not signed by this key"
        )
    anchor.adopt(head)


async def _meet_database_head(store: Store, anchor: AuditAnchor) -> None:
    """Sign the log's end into a database that has no head yet (upgraded from before it, and only
    while the log matches this host's head); else move this host's head up to the database's,
    when that is signed and extends it. Anything else is left for `audit verify` to report."""
    found = await database_head(store)
    local = anchor.head()
    at_local = await store._one("SELECT hash FROM audit WHERE id = ?", (local.count,))
    if found is None:
        if anchor.problem(await store.audit_entries(), await store.audit_macs()) is None:
            async with store.transaction():
                # Under the audit lock: the end read here is the end the head names.
                await store._lock("audit")
                last = await store._one("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
                end = (int(last[0]), str(last[1])) if last else (0, "")
                if await database_head(store) is None:
                    await sign_database_head(store, anchor, Head(local.keyed_from, *end))
        return
    head, mac = found
    if hmac.compare_digest(mac, anchor.head_mac(head)) and head.keyed_from == local.keyed_from:
        hash_at = {local.count: at_local[0]} if at_local else {}
        await asyncio.to_thread(anchor.advance, head.count, head.last_hash, hash_at)
