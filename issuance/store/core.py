"""Store queries for organizations, people, results, issuance records, sign-off and audit."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import astuple, fields
from operator import attrgetter
from typing import Any

from issuance.core.audit import GENESIS, AuditEntry, StoredEntry, entry_hash
from issuance.core.errors import Conflict
from issuance.core.people import Org, Person
from issuance.core.ports import SignoffEntry, Stamp, StoredStudent
from issuance.core.records import (
    ActRecord,
    Batch,
    IssuanceRecord,
    PlanInfo,
    RecordChange,
    RecordFilter,
    StagedResults,
)
from issuance.core.vocabulary import XStatus
from issuance.store.base import BaseStore
from issuance.store.driver import Driver, Row
from issuance.store.heads import follow_append
from issuance.store.staged_results import SqlStagedResults

_PERSON_SQL = """
    SELECT p.id, p.name, p.phone, p.org_id, o.name AS org_name, o.kind AS org_kind, p.role
    FROM person p JOIN org o ON o.id = p.org_id
"""

_RECORD_COLUMNS = """
    SELECT r.id, r.batch_id, r.cert_no, r.status, r.round, r.version,
           s.name AS student_name, s.id_number, s.student_type,
           school.code AS school_code, school.name AS school_name,
           pr.name AS program, pr.level, pr.issuer_id, issuer.name AS issuer_name,
           pl.name AS plan, site.id AS site_id, site.code AS site_code, site.name AS site_name,
           r.issued_at, r.void_at
"""
# What a record row joins (`r` is the record).
_RECORD_JOINS = """
    JOIN exam_result er ON er.id = r.result_id
    JOIN student s ON s.id = er.student_id
    LEFT JOIN org school ON school.id = s.school_id
    JOIN exam_plan pl ON pl.id = er.plan_id
    JOIN program pr ON pr.id = pl.program_id
    JOIN org issuer ON issuer.id = pr.issuer_id
    JOIN org site ON site.id = er.site_id
"""
_RECORD_SQL = f"{_RECORD_COLUMNS} FROM record r {_RECORD_JOINS}"


def record_rows_sql(driver: Driver, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """The statement reading the records with these ids (in no order), and its parameters: the
    ids listed first, so that each is one lookup by primary key (a batch act reads thousands)."""
    table, params = driver.ids_table(sorted(set(ids)))
    return f"{_RECORD_COLUMNS} FROM {table} JOIN record r ON r.id = v.id {_RECORD_JOINS}", params


# What a batch confirm reads of each record (`ActRecord`): none of the names shown.
_ACT_RECORD_COLUMNS = """
    SELECT r.id, r.status, r.round, r.version, s.id_number, pr.issuer_id, er.site_id, r.issued_at
"""
_ACT_RECORD_JOINS = """
    JOIN exam_result er ON er.id = r.result_id
    JOIN student s ON s.id = er.student_id
    JOIN exam_plan pl ON pl.id = er.plan_id
    JOIN program pr ON pr.id = pl.program_id
"""


def act_record_rows_sql(driver: Driver, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """As `record_rows_sql`, the columns of `ActRecord` only."""
    table, params = driver.ids_table(sorted(set(ids)))
    return (
        f"{_ACT_RECORD_COLUMNS} FROM {table} JOIN record r ON r.id = v.id {_ACT_RECORD_JOINS}",
        params,
    )


def record_where(record_filter: RecordFilter) -> tuple[str, list[Any]]:
    """SQL conditions and parameters for a record filter's set fields."""
    conditions: list[str] = []
    params: list[Any] = []
    clauses = {
        "name": "s.name LIKE ?",
        "id_number": "s.id_number = ?",
        "student_type": "s.student_type = ?",
        "school": "school.code = ?",
        "cert_no": "r.cert_no = ?",
        "program": "pr.name LIKE ?",
        "issuer": "(issuer.code = ? OR issuer.name = ?)",
        "plan": "pl.name = ?",
        "site": "site.code = ?",
        "status": "r.status = ?",
        "void": "r.void_at IS NOT NULL",
        "not_void": "r.void_at IS NULL",
        "batch_id": "r.batch_id = ?",
        "plan_id": "pl.id = ?",
        "site_id": "site.id = ?",
        "issuer_id": "pr.issuer_id = ?",
    }
    for f in fields(record_filter):
        value = getattr(record_filter, f.name)
        if value is None or value == "":
            continue
        clause = clauses[f.name]
        if f.name == "status" and value == XStatus.VOID:
            clause = clauses["void"]
        elif f.name == "status" and value == XStatus.CONFIRMED:
            # A voided certificate is no longer 确认签发 in lists, counts and exports.
            clause = f"{clause} AND {clauses['not_void']}"
        conditions.append(clause)
        if f.name in ("name", "program"):
            value = f"%{value}%"
        elif f.name == "id_number":
            value = str(value).upper()
        params.extend([value] * clause.count("?"))
    return (" WHERE " + " AND ".join(conditions)) if conditions else "", params


def _person(row: Row) -> Person:
    return Person(**dict(row))


def _record(row: Row) -> IssuanceRecord:
    # A batch act reads thousands: the frozen dataclass's __init__ (one object.__setattr__ per
    # field) cost twice the query. The columns are named as the fields, as **dict(row) needs.
    record = object.__new__(IssuanceRecord)
    record.__dict__.update(zip(row.keys(), row, strict=True))
    return record


def _act_record(row: Row) -> ActRecord:
    record = object.__new__(ActRecord)  # as `_record`
    record.__dict__.update(zip(row.keys(), row, strict=True))
    return record


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


class CoreQueries(BaseStore):
    """Task-named queries of the sign-off core."""

    # Organizations and people

    async def orgs_by_code(self, codes: Iterable[str]) -> dict[str, Org]:
        rows = await self._all_in(
            "SELECT id, code, name, kind FROM org WHERE code IN ({marks})", sorted(set(codes))
        )
        return {row["code"]: Org(**dict(row)) for row in rows}

    async def insert_orgs(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert (code, name, kind, region, parent code[, level, school_seq, final]) rows,
        parents resolved by code."""
        async with self.transaction():
            await self._db.executemany(
                "INSERT INTO org (code, name, kind, region, level, school_seq, final)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*row[:4], *(row[5:] or (None, None, 0))) for row in rows],
            )
            await self._db.executemany(
                "UPDATE org SET parent_id = (SELECT id FROM org WHERE code = ?) WHERE code = ?",
                [(row[4], row[0]) for row in rows if row[4]],
            )
        return len(rows)

    async def org_code(self, ref: str) -> str | None:
        """The code of the organization whose code, or else whose full name, is `ref`."""
        row = await self._one("SELECT code FROM org WHERE code = ?", (ref,))
        row = row or await self._one("SELECT code FROM org WHERE name = ? ORDER BY id", (ref,))
        return row["code"] if row else None

    async def people_by_phone(self, phones: Iterable[str]) -> dict[str, Person]:
        rows = await self._all_in(_PERSON_SQL + " WHERE p.phone IN ({marks})", sorted(set(phones)))
        return {row["phone"]: _person(row) for row in rows}

    async def orgs_with_head(self) -> set[int]:
        rows = await self._all("SELECT org_id FROM person WHERE role = '负责人'")
        return {row["org_id"] for row in rows}

    async def insert_people(self, rows: Sequence[tuple[str, str, int, str, str | None]]) -> int:
        """Insert (name, phone, org id, role, title) rows."""
        return await self._execute_many(
            "INSERT INTO person (name, phone, org_id, role, title) VALUES (?, ?, ?, ?, ?)", rows
        )

    async def person(self, person_id: int) -> Person | None:
        row = await self._one(f"{_PERSON_SQL} WHERE p.id = ?", (person_id,))
        return _person(row) if row else None

    async def person_by_ref(self, ref: str) -> Person | None:
        """A person by id or by phone number."""
        row = await self._one(f"{_PERSON_SQL} WHERE p.phone = ?", (ref,))
        if row is None and ref.isdigit() and len(ref) < 11:
            row = await self._one(f"{_PERSON_SQL} WHERE p.id = ?", (int(ref),))
        return _person(row) if row else None

    async def head_of(self, org_id: int) -> Person | None:
        row = await self._one(f"{_PERSON_SQL} WHERE p.org_id = ? AND p.role = '负责人'", (org_id,))
        return _person(row) if row else None

    async def directory_orgs(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Organizations for `qianfa orgs`: code, name, kind, the parent's code."""
        rows = await self._all(
            "SELECT o.code, o.name, o.kind, parent.code AS parent FROM org o"
            " LEFT JOIN org parent ON parent.id = o.parent_id"
            " WHERE (CAST(? AS TEXT) IS NULL OR o.kind = ?) ORDER BY o.id",
            (kind, kind),
        )
        return [dict(row) for row in rows]

    async def directory_people(
        self, org: str | None = None, role: str | None = None
    ) -> list[dict[str, Any]]:
        """People for `qianfa people`: id, name, phone, organization code, role, title."""
        rows = await self._all(
            "SELECT p.id, p.name, p.phone, o.code AS org, p.role, p.title FROM person p"
            " JOIN org o ON o.id = p.org_id"
            " WHERE (CAST(? AS TEXT) IS NULL OR o.code = ? OR o.name = ?)"
            " AND (CAST(? AS TEXT) IS NULL OR p.role = ?) ORDER BY p.id",
            (org, org, org, role, role),
        )
        return [dict(row) for row in rows]

    async def people_of(self, org_id: int, roles: Sequence[str]) -> list[Person]:
        rows = await self._all(
            f"{_PERSON_SQL} WHERE p.org_id = ? AND p.role IN ({_placeholders(len(roles))})"
            " ORDER BY p.id",
            (org_id, *roles),
        )
        return [_person(row) for row in rows]

    # Chat accounts and invites

    async def person_for_account(self, channel: str, account: str) -> Person | None:
        row = await self._one(
            f"{_PERSON_SQL} JOIN chat_account c ON c.person_id = p.id"
            " WHERE c.channel = ? AND c.account = ?",
            (channel, account),
        )
        return _person(row) if row else None

    async def account_of(self, person_id: int, channel: str) -> str | None:
        row = await self._one(
            "SELECT account FROM chat_account WHERE person_id = ? AND channel = ?"
            " AND unreachable_at IS NULL",
            (person_id, channel),
        )
        return row["account"] if row else None

    async def create_invite(self, code: str, person_id: int, expires_at: str) -> None:
        await self._execute(
            "INSERT INTO invite (code, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (code, person_id, self.now_iso(), expires_at),
        )

    async def redeem_invite(
        self, code: str, channel: str, account: str, language: str | None
    ) -> Person:
        """Bind `account` to the invite's person; the code is used up. Raises Conflict if not."""
        async with self.transaction():
            row = await self._one(
                f"SELECT person_id, expires_at, used_at FROM invite WHERE code = ?"
                f"{self.driver.for_update}",
                (code,),
            )
            if row is None:
                raise Conflict("invite.unknown")
            if row["used_at"] is not None:
                raise Conflict("invite.used")
            if row["expires_at"] <= self.now_iso():
                raise Conflict("invite.expired")
            bound = await self.person_for_account(channel, account)
            if bound is not None and bound.id != row["person_id"]:
                raise Conflict("invite.account_taken", name=bound.name)
            now = self.now_iso()
            await self._db.execute("UPDATE invite SET used_at = ? WHERE code = ?", (now, code))
            await self._db.execute(
                "DELETE FROM chat_account WHERE person_id = ? AND channel = ?",
                (row["person_id"], channel),
            )
            await self._db.execute(
                "INSERT INTO chat_account (channel, account, person_id, language, bound_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (channel, account, row["person_id"], language, now),
            )
            person = await self.person(row["person_id"])
            assert person is not None
            return person

    # Programs, plans, students, results

    async def plan(self, ref: str) -> PlanInfo | None:
        """An exam plan by name or id."""
        sql = """
            SELECT pl.id, pl.name, pr.id AS program_id, pr.name AS program, pr.level,
                   pr.issuer_id, pr.number_pattern
            FROM exam_plan pl JOIN program pr ON pr.id = pl.program_id
        """
        row = await self._one(f"{sql} WHERE pl.name = ?", (ref,))
        if row is None and ref.isdigit():
            row = await self._one(f"{sql} WHERE pl.id = ?", (int(ref),))
        return PlanInfo(**dict(row)) if row else None

    async def students_by_id_number(self, numbers: Iterable[str]) -> dict[str, StoredStudent]:
        rows = await self._all_in(
            "SELECT id, id_number, name, student_type, school_id FROM student"
            " WHERE id_number IN ({marks})",
            sorted(set(numbers)),
        )
        return {row["id_number"]: StoredStudent(**dict(row)) for row in rows}

    async def import_results(self, rows: Sequence[Any]) -> int:
        """Insert validated result rows (ids resolved), creating programs, plans and students."""
        async with self.transaction():
            programs: dict[tuple[str, str, int], int] = {}
            plans: dict[str, int] = {}
            cursor = await self._db.execute("SELECT id, name, level, issuer_id FROM program")
            for r in await cursor.fetchall():
                programs[(r["name"], r["level"], r["issuer_id"])] = r["id"]
            cursor = await self._db.execute("SELECT id, name FROM exam_plan")
            plans.update({r["name"]: r["id"] for r in await cursor.fetchall()})
            # Programs and plans are few: one statement each. Students and results are many:
            # one executemany each, the result finding its student by the unique ID number.
            for row in rows:
                program_key = (row.program, row.level, row.issuer_id)
                if program_key not in programs:
                    programs[program_key] = await self._insert(
                        "INSERT INTO program (name, level, issuer_id) VALUES (?, ?, ?)"
                        " RETURNING id",
                        program_key,
                    )
                if row.plan not in plans:
                    plans[row.plan] = await self._insert(
                        "INSERT INTO exam_plan (name, program_id) VALUES (?, ?) RETURNING id",
                        (row.plan, programs[program_key]),
                    )
            known = await self.students_by_id_number(row.id_number for row in rows)
            new_students: dict[str, tuple[str, str, str, int | None]] = {}
            for row in rows:
                if row.id_number not in known:
                    new_students.setdefault(
                        row.id_number, (row.id_number, row.name, row.student_type, row.school_id)
                    )
            await self._db.executemany(
                "INSERT INTO student (id_number, name, student_type, school_id)"
                " VALUES (?, ?, ?, ?)",
                new_students.values(),
            )
            await self._db.executemany(
                "INSERT INTO exam_result (student_id, plan_id, site_id, passed)"
                " VALUES ((SELECT id FROM student WHERE id_number = ?), ?, ?, ?)",
                [(row.id_number, plans[row.plan], row.site_id, row.passed) for row in rows],
            )
        return len(rows)

    @asynccontextmanager
    async def staged_results(self) -> AsyncIterator[StagedResults]:
        async with self.own_connection():
            staged = SqlStagedResults(self)
            await staged.create()
            yield staged

    async def set_number_pattern(self, program_id: int, pattern: str) -> None:
        await self._execute(
            "UPDATE program SET number_pattern = ? WHERE id = ?", (pattern, program_id)
        )

    # Pending lists and certificate numbers

    async def unlisted_passed_results(
        self, plan_id: int, site_id: int | None
    ) -> dict[int, list[int]]:
        """site id -> result ids of passed results of the plan that have no record yet."""
        sql = (
            "SELECT er.id, er.site_id FROM exam_result er"
            " LEFT JOIN record r ON r.result_id = er.id"
            " WHERE er.plan_id = ? AND er.passed = 1 AND r.id IS NULL"
        )
        params: list[Any] = [plan_id]
        if site_id is not None:
            sql += " AND er.site_id = ?"
            params.append(site_id)
        by_site: dict[int, list[int]] = {}
        for row in await self._all(sql + " ORDER BY er.id", params):
            by_site.setdefault(row["site_id"], []).append(row["id"])
        return by_site

    async def allocate_numbers(self, scope: str, count: int) -> int:
        """Reserve `count` consecutive sequence values in `scope`; returns the first."""
        async with self.transaction():
            await self._db.execute(
                "INSERT INTO number_sequence (scope, last) VALUES (?, 0)"
                " ON CONFLICT (scope) DO NOTHING",
                (scope,),
            )
            cursor = await self._db.execute(
                "UPDATE number_sequence SET last = last + ? WHERE scope = ? RETURNING last",
                (count, scope),
            )
            row = await cursor.fetchone()
            assert row is not None
            return int(row[0]) - count + 1

    async def insert_batch(
        self, plan_id: int, site_id: int, records: Sequence[tuple[int, str]], status: str
    ) -> int:
        """A new batch holding (result id, certificate number) records in `status`."""
        async with self.transaction():
            now = self.now_iso()
            batch_id = await self._insert(
                "INSERT INTO batch (plan_id, site_id, created_at) VALUES (?, ?, ?) RETURNING id",
                (plan_id, site_id, now),
            )
            await self._db.executemany(
                "INSERT INTO record (batch_id, result_id, cert_no, status, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(batch_id, result_id, cert_no, status, now) for result_id, cert_no in records],
            )
            if records:
                await self._count_statuses({(batch_id, status): len(records)})
            return batch_id

    async def _count_statuses(self, deltas: Mapping[tuple[int, str], int]) -> None:
        """Add to the per-batch count of records in each shown status (作废 once void), in the
        transaction of the act that moved them: /pending reads these counts, so that the
        record's indexes can leave status out (an act's UPDATE of thousands of records is then
        HOT on PostgreSQL: no index entry per record moved)."""
        rows = [(batch_id, status, n) for (batch_id, status), n in deltas.items() if n]
        if rows:
            await self._db.executemany(
                "INSERT INTO batch_count (batch_id, status, n) VALUES (?, ?, ?)"
                " ON CONFLICT (batch_id, status) DO UPDATE SET n = batch_count.n + excluded.n",
                rows,
            )

    # Issuance records and batches

    async def status_counts(self, record_filter: RecordFilter) -> dict[str, int]:
        where, params = record_where(record_filter)
        rows = await self._all(
            "SELECT CASE WHEN void_at IS NULL THEN status ELSE ? END AS shown, COUNT(*) AS n"
            f" FROM ({_RECORD_SQL}{where}) AS f GROUP BY shown",
            [XStatus.VOID, *params],
        )
        return {row["shown"]: row["n"] for row in rows}

    async def records(
        self, record_filter: RecordFilter, limit: int | None = None, offset: int = 0
    ) -> list[IssuanceRecord]:
        where, params = record_where(record_filter)
        sql = f"{_RECORD_SQL}{where} ORDER BY r.id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [_record(row) for row in await self._all(sql, params)]

    async def records_by_ids(self, ids: Sequence[int]) -> list[IssuanceRecord]:
        """The records with these ids, by id."""
        records = [_record(row) for row in await self._all(*record_rows_sql(self.driver, ids))]
        # Sorted here: PostgreSQL would sort the wide rows on disk once past its work_mem.
        records.sort(key=attrgetter("id"))
        return records

    async def act_records_by_ids(self, ids: Sequence[int]) -> list[ActRecord]:
        """What a batch confirm checks of the records with these ids, by id."""
        rows = await self._all(*act_record_rows_sql(self.driver, ids))
        records = [_act_record(row) for row in rows]
        records.sort(key=attrgetter("id"))
        return records

    async def record_by_cert_no(self, cert_no: str) -> IssuanceRecord | None:
        row = await self._one(f"{_RECORD_SQL} WHERE r.cert_no = ?", (cert_no,))
        return _record(row) if row else None

    async def record_and_file_sha256(
        self, cert_no: str
    ) -> tuple[IssuanceRecord, str | None] | None:
        """证书查验's one indexed lookup: the record and, once rendered, its PDF's SHA-256."""
        row = await self._lookup(
            "SELECT f.*, c.sha256 AS file_sha256"
            f" FROM ({_RECORD_SQL} WHERE r.cert_no = ?) AS f"
            " LEFT JOIN certificate c ON c.record_id = f.id",
            (cert_no,),
        )
        if row is None:
            return None
        fields = dict(row)
        sha256 = fields.pop("file_sha256")
        return IssuanceRecord(**fields), sha256

    async def void_record(self, record_id: int, reason: str, audit: AuditEntry) -> None:
        """作废: mark a confirmed certificate void, with the audit entry, once."""
        async with self.transaction():
            # The audit lock before the record's row lock, in the order sign-off takes them.
            await self._lock("audit")
            cursor = await self._db.execute(
                "UPDATE record SET void_at = ?, void_reason = ?, version = version + 1"
                " WHERE id = ? AND void_at IS NULL RETURNING batch_id, status",
                (audit.at, reason, record_id),
            )
            voided = list(await cursor.fetchall())
            if len(voided) != 1:
                raise Conflict("void.already")
            batch_id, status = voided[0][0], voided[0][1]
            await self._count_statuses({(batch_id, status): -1, (batch_id, XStatus.VOID): 1})
            await self.append_audit(audit)
            await self.seal_final("record", [record_id])  # type: ignore[attr-defined]

    async def batches(
        self,
        issuer_id: int | None = None,
        site_id: int | None = None,
        plan_id: int | None = None,
        batch_id: int | None = None,
    ) -> list[Batch]:
        """Batches with their status counts, newest first."""
        conditions, params = [], []
        for column, value in (
            ("pr.issuer_id", issuer_id),
            ("b.site_id", site_id),
            ("b.plan_id", plan_id),
            ("b.id", batch_id),
        ):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
        rows = await self._all(
            "SELECT b.id, pl.name AS plan, pr.name AS program, pr.level, b.site_id,"
            " site.code AS site_code, site.name AS site_name, pr.issuer_id,"
            " issuer.name AS issuer_name"
            " FROM batch b JOIN exam_plan pl ON pl.id = b.plan_id"
            " JOIN program pr ON pr.id = pl.program_id"
            " JOIN org site ON site.id = b.site_id JOIN org issuer ON issuer.id = pr.issuer_id"
            f"{where} ORDER BY b.id DESC",
            params,
        )
        # Only the batches found: the cost follows what the viewer sees, not every record. The
        # counts are kept per batch by the acts themselves (`_count_statuses`).
        counts: dict[int, dict[str, int]] = {}
        for row in await self._all_in(
            "SELECT batch_id, status, n FROM batch_count WHERE batch_id IN ({marks}) AND n > 0",
            [row["id"] for row in rows],
        ):
            counts.setdefault(row["batch_id"], {})[row["status"]] = row["n"]
        return [Batch(**dict(row), counts=counts.get(row["id"], {})) for row in rows]

    async def batch(self, batch_id: int) -> Batch | None:
        found = await self.batches(batch_id=batch_id)
        return found[0] if found else None

    # Sign-off

    async def open_problems(self, record_ids: Sequence[int]) -> set[int]:
        """Which of the records still have student info to complete."""
        found: set[int] = set()
        for condition, params in self.driver.among("record_id", record_ids):
            rows = await self._all(
                "SELECT DISTINCT record_id FROM info_problem WHERE resolved_at IS NULL"
                f" AND {condition}",
                params,
            )
            found.update(row[0] for row in rows)
        return found

    async def add_signature(self, person_id: int, png: bytes, sha256: str, strokes: str) -> int:
        return await self._insert(
            "INSERT INTO signature (person_id, png, sha256, strokes, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (person_id, png, sha256, strokes, self.now_iso()),
        )

    async def signature_owner_and_hash(self, signature_id: int) -> tuple[int, str] | None:
        row = await self._one(
            "SELECT person_id, sha256 FROM signature WHERE id = ?", (signature_id,)
        )
        return (row["person_id"], row["sha256"]) if row else None

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
        """Move every record as planned, or none: a record that changed meanwhile is a Conflict.
        The act is one history row (who, what, signature, audit entry), each record moved one
        slim row naming it: one check of the person and signature per act, not per record."""
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            now = audit.at
            act_id = await self._insert(
                "INSERT INTO signoff_act (party, act, person_id, reason, signature_id, audit_id,"
                " at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (party, act, person_id, reason, signature_id, audit_id, now),
            )
            moves: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
            for c in changes:
                moves.setdefault((c.status, c.new_status), []).append(
                    (c.record_id, c.version, c.round)
                )
            moved = 0
            deltas: Counter[tuple[int, str]] = Counter()
            # The changes as a table joined in, one statement per move (a few on SQLite) and not
            # per record: one round trip for thousands of records on PostgreSQL.
            for (before, after), rows in moves.items():
                for table, params in self.driver.rows_table(("INTEGER",) * 3, rows):
                    n_moved, live = await self._move_records(
                        table, params, (before, after), act_id, now, done_status
                    )
                    moved += n_moved
                    for batch_id, n in live:  # a void record shows 作废 whatever its status
                        deltas[batch_id, before] -= n
                        deltas[batch_id, after] += n
            if moved != len(changes):
                raise Conflict("signoff.changed_meanwhile")
            await self._count_statuses(deltas)
            confirmed = [c.record_id for c in changes if c.new_status == done_status]
            await self.seal_final("record", confirmed)  # type: ignore[attr-defined]

    async def _move_records(
        self,
        table: str,
        params: list[Any],
        move: tuple[str, str],
        act_id: int,
        now: str,
        done_status: str,
    ) -> tuple[int, list[tuple[int, int]]]:
        """The records of `table` (id, version, round) from `before` to `after`, if still at
        that version and status, and their history rows; how many moved, and of the moved
        records not void how many per batch (batch id, count)."""
        before, after = move
        update = (
            "UPDATE record SET status = ?, round = v.column3, version = record.version + 1,"
            " updated_at = ?, issued_at = COALESCE(?, record.issued_at)"
            f" FROM {table}"
            " WHERE record.id = v.column1 AND record.version = v.column2 AND record.status = ?"
        )
        update_params = [after, now, now if after == done_status else None, *params, before]
        if self.dialect == "postgresql":
            # Counted as they are updated, in the one statement, not read again by a join
            # (SQLite has no UPDATE inside WITH).
            cursor = await self._db.execute(
                f"WITH moved AS ({update} RETURNING record.batch_id, record.void_at IS NULL AS"
                " live) SELECT batch_id, live, COUNT(*) FROM moved GROUP BY batch_id, live",
                update_params,
            )
            counted = await cursor.fetchall()
            moved = sum(row[2] for row in counted)
            live = [(row[0], row[2]) for row in counted if row[1]]
        else:
            cursor = await self._db.execute(update, update_params)
            moved = cursor.rowcount
            # Every record of the table: if one did not move, the act is a conflict anyway.
            live = [
                (row[0], row[1])
                for row in await self._all(
                    f"SELECT r.batch_id, COUNT(*) FROM {table} JOIN record r"
                    " ON r.id = v.column1 WHERE r.void_at IS NULL GROUP BY r.batch_id",
                    params,
                )
            ]
        await self._db.execute(
            "INSERT INTO signoff_record (record_id, act_id, round)"
            f" SELECT v.column1, CAST(? AS INTEGER), v.column3 FROM {table}",
            [act_id, *params],
        )
        return int(moved), live

    async def signoff_history(self, record_id: int) -> list[SignoffEntry]:
        rows = await self._all(
            "SELECT s.round, a.party, a.act, a.reason, a.at, p.name AS person"
            " FROM signoff_record s JOIN signoff_act a ON a.id = s.act_id"
            " LEFT JOIN person p ON p.id = a.person_id"
            " WHERE s.record_id = ? ORDER BY s.act_id",
            (record_id,),
        )
        return [SignoffEntry(**dict(row)) for row in rows]

    async def latest_refusals(self, record_ids: Sequence[int]) -> dict[int, str]:
        """record id -> reason of its most recent refusal."""
        rows = await self._all_in(
            "SELECT s.record_id, a.reason FROM signoff_record s JOIN signoff_act a"
            " ON a.id = s.act_id WHERE a.act = 'refuse' AND s.record_id IN ({marks})"
            " ORDER BY s.act_id",
            record_ids,
        )
        return {row["record_id"]: row["reason"] for row in rows}

    # Stamps

    async def current_stamp(self, org_id: int) -> Stamp | None:
        row = await self._one(
            "SELECT id, png, sha256, person_id, created_at FROM stamp WHERE org_id = ?"
            " ORDER BY id DESC LIMIT 1",
            (org_id,),
        )
        if row is None:
            return None
        return Stamp(
            row["id"], bytes(row["png"]), row["sha256"], row["person_id"], row["created_at"]
        )

    async def save_stamp(self, org_id: int, person_id: int, png: bytes, sha256: str) -> int:
        now = self.now_iso()
        async with self.transaction():
            stamp_id = await self._insert(
                "INSERT INTO stamp (org_id, person_id, png, sha256, consent_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (org_id, person_id, png, sha256, now, now),
            )
            await self.append_audit(
                AuditEntry(
                    now, f"person:{person_id}", "stamp.save", f"org:{org_id}", signature=sha256
                )
            )
            return stamp_id

    # Audit log

    async def append_audit(self, entry: AuditEntry) -> int:
        async with self.transaction():
            # One chain: concurrent writers must not both link to the same previous entry. The id
            # is the next one, not a sequence's: a rolled-back entry must leave no gap.
            await self._lock("audit")
            cursor = await self._db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
            row = await cursor.fetchone()
            last, prev = (row[0], row[1]) if row else (0, GENESIS)
            digest = entry_hash(prev, entry)
            mac = self.anchor.mac(digest) if self.anchor else None
            entry_id = await self._insert(
                "INSERT INTO audit (id, at, actor, action, subject, reason, signature, prev_hash,"
                " hash, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (last + 1, *astuple(entry), prev, digest, mac),
            )
            if self.anchor:
                # The database's signed head moves in the same transaction (several hosts).
                previous = (last, prev if last else "")
                await follow_append(self, self.anchor, previous, (entry_id, digest))
                self.after_commit(self._advance_audit_head)
            return entry_id

    async def _advance_audit_head(self) -> None:
        """Move the anchored head to the log's end (called after the appending commit)."""
        anchor = self.anchor
        assert anchor is not None
        head = await asyncio.to_thread(anchor.head)
        # Entries are numbered 1..n (the public chain check holds that), so the last id is the
        # count, found through the primary key instead of counting every row.
        last = await self._one("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
        at_head = await self._one("SELECT hash FROM audit WHERE id = ?", (head.count,))
        if last is None:
            return
        hash_at = {head.count: at_head[0]} if at_head else {}
        await asyncio.to_thread(anchor.advance, int(last[0]), last[1], hash_at)

    async def audit_keyed_count(self) -> int:
        """How many audit entries carry a keyed MAC (0: the log was never anchored)."""
        row = await self._one("SELECT COUNT(*) FROM audit WHERE mac IS NOT NULL")
        return int(row[0]) if row else 0

    async def audit_macs(self) -> dict[int, str | None]:
        """Entry id -> its keyed MAC (None for entries written before the chain was anchored)."""
        return {row[0]: row[1] for row in await self._all("SELECT id, mac FROM audit")}

    async def audit_entries(self) -> list[StoredEntry]:
        rows = await self._all("SELECT * FROM audit ORDER BY id")
        return [
            StoredEntry(
                row["id"],
                AuditEntry(
                    row["at"],
                    row["actor"],
                    row["action"],
                    row["subject"],
                    row["reason"],
                    row["signature"],
                ),
                row["prev_hash"],
                row["hash"],
            )
            for row in rows
        ]

    async def last_referenced_audit_id(self) -> int:
        row = await self._one("SELECT MAX(audit_id) FROM signoff_act")
        return int(row[0] or 0) if row else 0
