"""Hash-chained audit log: each entry's hash covers its fields and the previous entry's hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import astuple, dataclass

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One state change: who did what to which subject, when, why, with which signature."""

    # The field order is the order hashed and stored: never reorder.
    at: str
    actor: str
    action: str
    subject: str
    reason: str | None = None
    signature: str | None = None


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """SHA-256 over the previous hash and the entry's fields, canonically encoded."""
    encoded = json.dumps([prev_hash, *astuple(entry)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """An entry as stored, with its id and both hashes."""

    id: int
    entry: AuditEntry
    prev_hash: str
    hash: str


def first_broken(entries: Iterable[StoredEntry]) -> tuple[int, str] | None:
    """(id, why) of the first entry that was edited, deleted or reordered; None if intact."""
    expected_prev = GENESIS
    expected_id = None
    for stored in entries:
        if expected_id is not None and stored.id != expected_id:
            return stored.id, f"entry {expected_id} is missing"
        if stored.prev_hash != expected_prev:
            return stored.id, "previous-hash link does not match (an earlier entry was changed)"
        if entry_hash(stored.prev_hash, stored.entry) != stored.hash:
            return stored.id, "entry content does not match its hash (entry was edited)"
        expected_prev = stored.hash
        expected_id = stored.id + 1
    return None
