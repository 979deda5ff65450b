"""An in-memory fake of the ports the X-certificate sign-off acts use, for the rule tables.

It implements just what `Issuance.confirm`, `refuse` and `resubmit` reach: the records
(`RecordRepository`: records by id, signatures, stamps, open student-info problems, the sign-off
itself with its version check), the audit log, and the graduates an issued certificate would
release (`GraduateRepository.unqualified_by_id_number`: none here). Transactions roll back every
change on an exception, as the database does. What only the database enforces (triggers, unique
keys, concurrent writers) stays tested on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from issuance.core.audit import AuditEntry
from issuance.core.errors import Conflict
from issuance.core.graduates import XQualified
from issuance.core.notices import Notice
from issuance.core.people import Person, Role
from issuance.core.records import ActRecord, IssuanceRecord, RecordChange, SignoffEntry, Stamp

NOW = datetime(2025, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class FakeSignoffPorts:
    """Records, signatures, stamps, problems and the audit log in dictionaries and lists."""

    def __init__(self, records: Iterable[IssuanceRecord], people: Iterable[Person]) -> None:
        self.records = {record.id: record for record in records}
        self.people = {person.id: person for person in people}
        self.history: list[tuple[int, SignoffEntry]] = []
        self.audit: list[AuditEntry] = []
        self.signatures: dict[int, tuple[int, str]] = {}
        self.stamps: dict[int, Stamp] = {}
        self.open_problem_ids: set[int] = set()
        self.notices: list[Notice] = []
        self._depth = 0

    # Clock

    @asynccontextmanager
    async def transaction(self, write: bool = True) -> AsyncIterator[None]:
        """Nested calls join the outer transaction; an exception undoes all of it."""
        if self._depth:
            yield
            return
        saved = copy.deepcopy(
            (self.records, self.history, self.audit, self.signatures, self.notices)
        )
        self._depth += 1
        try:
            yield
        except BaseException:
            self.records, self.history, self.audit, self.signatures, self.notices = saved
            raise
        finally:
            self._depth -= 1

    def now(self) -> datetime:
        return NOW

    def now_iso(self) -> str:
        return NOW.isoformat(timespec="milliseconds")

    # RecordRepository (the part sign-off uses)

    async def records_by_ids(self, ids: Sequence[int]) -> list[IssuanceRecord]:
        return [self.records[i] for i in sorted(set(ids)) if i in self.records]

    async def act_records_by_ids(self, ids: Sequence[int]) -> list[ActRecord]:
        return [
            ActRecord(
                r.id, r.status, r.round, r.version, r.id_number, r.issuer_id, r.site_id, r.issued_at
            )
            for r in await self.records_by_ids(ids)
        ]

    async def add_signature(self, person_id: int, png: bytes, sha256: str, strokes: str) -> int:
        signature_id = len(self.signatures) + 1
        self.signatures[signature_id] = (person_id, sha256)
        return signature_id

    async def signature_owner_and_hash(self, signature_id: int) -> tuple[int, str] | None:
        return self.signatures.get(signature_id)

    async def current_stamp(self, org_id: int) -> Stamp | None:
        return self.stamps.get(org_id)

    async def save_stamp(self, org_id: int, person_id: int, png: bytes, sha256: str) -> int:
        stamp_id = len(self.stamps) + 1
        self.stamps[org_id] = Stamp(stamp_id, png, sha256, person_id, self.now_iso())
        return stamp_id

    async def open_problems(self, record_ids: Sequence[int]) -> set[int]:
        return self.open_problem_ids & set(record_ids)

    async def apply_signoff(
        self,
        changes: Sequence[RecordChange],
        party: str,
        act: str,
        person_id: int | None,
        reason: str | None,
        signature_id: int | None,
        audit: AuditEntry,
        done_status: str,
    ) -> None:
        """Every record moves from the status and version it was read at, or none does."""
        async with self.transaction():
            await self.append_audit(audit)
            for change in changes:
                record = self.records.get(change.record_id)
                if record is None or (record.status, record.version) != (
                    change.status,
                    change.version,
                ):
                    raise Conflict("signoff.changed_meanwhile")
            name = self.people[person_id].name if person_id in self.people else None
            for change in changes:
                record = self.records[change.record_id]
                done = change.new_status == done_status
                self.records[change.record_id] = replace(
                    record,
                    status=change.new_status,
                    round=change.round,
                    version=record.version + 1,
                    issued_at=audit.at if done else record.issued_at,
                )
                entry = SignoffEntry(change.round, party, act, reason, audit.at, name)
                self.history.append((change.record_id, entry))

    async def signoff_history(self, record_id: int) -> list[SignoffEntry]:
        return [entry for rid, entry in self.history if rid == record_id]

    # AuditLog (the part sign-off uses)

    async def append_audit(self, entry: AuditEntry) -> int:
        self.audit.append(entry)
        return len(self.audit)

    # HoldRelease (where an issued certificate reaches graduation): no graduates are held here

    async def qualify_by_x_certificates(
        self, numbers: Iterable[str], actor: str
    ) -> list[XQualified]:
        return []

    # PeopleRepository and OutboxQueue (the part a resubmit's notice reaches)

    async def head_of(self, org_id: int) -> Person | None:
        heads = (p for p in self.people.values() if p.org_id == org_id and p.role == Role.HEAD)
        return next(heads, None)

    async def append_notice(self, notice: Notice, broadcast_id: int | None = None) -> int | None:
        self.notices.append(notice)
        return len(self.notices)
