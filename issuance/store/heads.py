"""The audit log's signed head in the database: what lets every host sharing it check the log.

Each home keeps its own head file (issuance.store.anchor): the newest head that host has seen.
The database keeps one more, signed with the same key, written in the transaction of each append
(under the audit lock) while it still matches the log it extends. `audit verify` on any host then
finds, with the operator's key only:
- an entry edited and re-hashed: its keyed MAC no longer matches;
- entries cut off the end: the database's head names more than the log holds (and a replayed older
  head, or a whole database rolled back to an older copy, is behind the head file of every host
  that saw the newer one; each process moves its host's head forward at start, after each append
  it commits and at each `audit verify`).
"""

from __future__ import annotations

import hmac
from typing import Any

from issuance.store.anchor import AuditAnchor, Head


async def database_head(store: Any) -> tuple[Head, str] | None:
    """The signed head kept in the database, and its MAC; None when none was written yet."""
    row = await store._one("SELECT keyed_from, count, last_hash, mac FROM audit_head WHERE id = 1")
    if row is None:
        return None
    return Head(int(row[0]), int(row[1]), str(row[2])), str(row[3])


async def sign_database_head(store: Any, anchor: AuditAnchor, head: Head) -> None:
    """Write `head`, signed, as the database's head (inside the caller's transaction)."""
    await store._execute(
        "INSERT INTO audit_head (id, keyed_from, count, last_hash, mac) VALUES (1, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET keyed_from = excluded.keyed_from,"
        " count = excluded.count, last_hash = excluded.last_hash, mac = excluded.mac",
        (head.keyed_from, head.count, head.last_hash, anchor.head_mac(head)),
    )


async def follow_append(
    store: Any, anchor: AuditAnchor, previous: tuple[int, str], appended: tuple[int, str]
) -> None:
    """After appending entry `appended` (id, hash) onto `previous`: move the database's head, if it
    is signed by this key and named `previous` (any other head stays put, as evidence)."""
    found = await database_head(store)
    if found is None:
        return  # only a checked log gets its first head (issuance.store.opening, at open)
    head, mac = found
    signed = hmac.compare_digest(mac, anchor.head_mac(head))
    if not signed or (head.count, head.last_hash) != previous:
        return
    await sign_database_head(store, anchor, Head(head.keyed_from, *appended))


def head_problem(
    anchor: AuditAnchor, found: tuple[Head, str] | None, last: tuple[int, str]
) -> str | None:
    """Why the database's signed head does not vouch for the log ending at `last`, or None."""
    if found is None:
        return "the database holds no signed audit head (written without the key, or removed)"
    head, mac = found
    if not hmac.compare_digest(mac, anchor.head_mac(head)):
        return "the database's audit head signature does not match (written without the key)"
    if anchor.head().keyed_from != head.keyed_from:
        return "the database's audit head and this host's head disagree on the keyed start"
    if last[0] < head.count:
        return (
            f"the log ends at entry {last[0]}, the database's signed head recorded {head.count}"
            " (entries deleted from the end)"
        )
    if last != (head.count, head.last_hash):
        return f"the log's end (entry {last[0]}) differs from the database's signed head"
    local = anchor.head()
    if local.count > head.count:
        return (
            f"this host saw the log at entry {local.count}, the database's head is at"
            f" {head.count} (the database was rolled back to an older copy)"
        )
    return None
