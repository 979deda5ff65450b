"""Store queries of graduation certificates: schools and departments, graduates, declarations and
requests (chain items and their acts), numbers and the blank-certificate stock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import astuple, fields
from itertools import groupby
from typing import TYPE_CHECKING, Any

from issuance.core.errors import Conflict
from issuance.core.graduates import (
    Blank,
    BlankEvent,
    GradActEntry,
    GradItem,
    GradOrg,
    GradRequest,
    Graduate,
    GraduateCells,
    GraduateChange,
    GraduateListed,
    GraduateState,
    ItemChange,
    NewGraduate,
    NumberingInput,
    PendingItems,
    Waiting,
)
from issuance.core.ports import StagedGraduate, StagedOnFile
from issuance.core.vocabulary import BlankState, GradStatus, RequestKind, XStatus
from issuance.store.base import BaseStore
from issuance.store.driver import Row

if TYPE_CHECKING:
    from issuance.core.audit import AuditEntry

GRADUATE_FIELDS = (
    "name",
    "id_number",
    "sex",
    "major_code",
    "major",
    "class_level",
    "enrolled",
    "graduated",
    "years",
    "study_mode",
    "qualification_no",
    "qualification_level",
    "employment",
)


_GRADUATE_COLUMNS = ", ".join(f"g.{field.name}" for field in fields(Graduate))


def _graduate(row: Row) -> Graduate:
    return Graduate(**dict(row))


def _request(row: Row) -> GradRequest:
    values = dict(row)
    values["approvers"] = tuple(json.loads(values["approvers"]))
    return GradRequest(**values)


_REQUEST_SQL = """
    SELECT r.id, r.kind, r.school_id, o.code AS school_code, o.name AS school_name, r.term,
           r.blank_kind, r.blank_count, r.changes, r.approvers, r.created_by, r.created_at
    FROM grad_request r JOIN org o ON o.id = r.school_id
"""
# Ids per statement of a set-wise update (SQLite limits the parameters of one statement).
_CHUNK = 500
_ORG_SQL = "SELECT id, code, name, kind, region, parent_id, level, school_seq, final FROM org"


# json.dumps with an option builds an encoder per call; an import writes one per row.
_as_json = json.JSONEncoder(ensure_ascii=False).encode

# A graduates import's staging (TEMP tables of the import's own connection): the cells rows share,
# each checked row with its cells' id, the rows whose graduate (ID number and term) is on file,
# and their corrections: refused (the catalog key), or old and new values as JSON, the fields
# changed comma-separated and their new values.
_ROW_COLUMNS = ("line", "cells", "name", "id_number", "qualification_no")
_CORRECTION_COLUMNS = ("line", "graduate_id", "refused", "old", "new", "fields", *GRADUATE_FIELDS)
_STAGING = (
    f"""CREATE TEMP TABLE graduate_cells (
        id INTEGER PRIMARY KEY, school_id INTEGER NOT NULL,
        {", ".join(f"{field} TEXT" for field in GraduateCells._fields[2:])})""",
    """CREATE TEMP TABLE graduate_staged (
        line INTEGER PRIMARY KEY, cells INTEGER NOT NULL, name TEXT NOT NULL,
        id_number TEXT NOT NULL, qualification_no TEXT)""",
    "CREATE TEMP TABLE graduate_on_file (line INTEGER PRIMARY KEY, graduate_id INTEGER NOT NULL)",
    f"""CREATE TEMP TABLE graduate_correction (
        line INTEGER PRIMARY KEY, graduate_id INTEGER NOT NULL, refused TEXT, old TEXT, new TEXT,
        fields TEXT, {", ".join(f"{field} TEXT" for field in GRADUATE_FIELDS)})""",
)
_STAGED_ROWS = "graduate_staged s JOIN graduate_cells c ON c.id = s.cells"
# A staged row as NewGraduate's fields: its sex is its ID number's (the 17th digit odd: 男), an
# empty 职业资格证书编号 none.
_NEW_VALUES = (
    "c.school_id, s.name, s.id_number,"
    " CASE WHEN substr(s.id_number, 17, 1) IN ('1', '3', '5', '7', '9') THEN '男' ELSE '女' END,"
    " c.major_code, c.major, c.class_level, c.enrolled, c.graduated, c.years, c.study_mode,"
    " NULLIF(s.qualification_no, ''), c.qualification_level, c.employment"
)
_NEW_GRADUATE = "school_id, " + ", ".join(GRADUATE_FIELDS)
_STAGED_NEW = "NOT EXISTS (SELECT 1 FROM graduate_on_file k WHERE k.line = s.line)"
_MATCH_ON_FILE = f"""
    INSERT INTO graduate_on_file (line, graduate_id)
    SELECT s.line, g.id FROM {_STAGED_ROWS}
    JOIN graduate g ON g.id_number = s.id_number AND g.graduated = c.graduated
"""
# A graduate's declaration status (None before declared).
_STATUS = (
    "(SELECT MAX(i.status) FROM grad_item i WHERE i.graduate_id = g.id AND i.declaration = 1)"
    " AS status"
)
# Lines repeating an earlier line's ID number and term (only ID numbers the file repeats can),
# then the refused corrections of lines not repeating one.
_REFUSALS = """
    WITH repeated AS (
        SELECT line, first FROM (
            SELECT s.line, MIN(s.line) OVER (PARTITION BY s.id_number, c.graduated) AS first
            FROM graduate_staged s JOIN graduate_cells c ON c.id = s.cells
            WHERE s.id_number IN (
                SELECT id_number FROM graduate_staged GROUP BY id_number HAVING COUNT(*) > 1)
        ) AS d WHERE line > first
    )
    SELECT line, NULL AS refused, first FROM repeated
    UNION ALL
    SELECT line, refused, line FROM graduate_correction
    WHERE refused IS NOT NULL AND line NOT IN (SELECT line FROM repeated)
    ORDER BY 1
"""


class GraduationQueries(BaseStore):
    """Task-named queries of the graduation workflow."""

    if TYPE_CHECKING:

        async def append_audit(self, entry: AuditEntry) -> int: ...

    # Organizations

    async def grad_orgs_by_code(self, codes: Iterable[str]) -> dict[str, GradOrg]:
        rows = await self._all_in(_ORG_SQL + " WHERE code IN ({marks})", sorted(set(codes)))
        return {row["code"]: GradOrg(**dict(row)) for row in rows}

    async def grad_org(self, org_id: int) -> GradOrg | None:
        row = await self._one(_ORG_SQL + " WHERE id = ?", (org_id,))
        return GradOrg(**dict(row)) if row else None

    async def departments(self) -> list[GradOrg]:
        rows = await self._all(_ORG_SQL + " WHERE kind = '主管部门' ORDER BY id")
        return [GradOrg(**dict(row)) for row in rows]

    async def used_school_seqs(self) -> set[tuple[str, str]]:
        """(region's first two digits, 学校序号) of every 技工院校."""
        rows = await self._all(
            "SELECT substr(region, 1, 2), school_seq FROM org WHERE kind = '技工院校'"
        )
        return {(row[0] or "", row[1]) for row in rows}

    # Graduates

    async def graduates_by_id_number(
        self, numbers: Iterable[str]
    ) -> dict[tuple[str, str], GraduateState]:
        """Existing graduates keyed by (ID number, graduation term), with their state."""
        rows = await self._all_in(
            f"SELECT {_GRADUATE_COLUMNS}, {_STATUS} FROM graduate g"
            " WHERE g.id_number IN ({marks})",
            sorted(set(numbers)),
        )
        return {(row["id_number"], row["graduated"]): GraduateState(**dict(row)) for row in rows}

    @asynccontextmanager
    async def graduate_import(self) -> AsyncIterator[None]:
        """A graduates import's staging, on a connection of the import's own for the block: the
        checked rows (`stage_graduates`) and corrections (`stage_graduates_on_file`) are seen
        by no other transaction; what spans the file is checked there (`staged_on_file`,
        `staged_graduate_refusals`), then, in one transaction of the block, the graduates are
        inserted and corrected."""
        async with self.own_connection():
            await self._temp_work(_STAGING)
            yield

    async def stage_graduates(
        self, cells: Sequence[GraduateCells], rows: Sequence[StagedGraduate]
    ) -> None:
        # Filled while the import reads on; the next fill or check waits for it.
        if cells:
            await self._fill("graduate_cells", GraduateCells._fields, cells)
        if rows:
            await self._fill("graduate_staged", _ROW_COLUMNS, rows)

    async def staged_on_file(
        self, size: int = 1000
    ) -> AsyncIterator[list[tuple[int, NewGraduate, GraduateState]]]:
        """The staged rows whose graduate (ID number and term) is on file: line, as staged and
        as on file with its state; in file order, in lists of at most `size`."""
        await self._filled()
        await self._temp_work([_MATCH_ON_FILE])
        after = 0
        while rows := await self._all(
            f"SELECT k.line, {_NEW_VALUES}, {_GRADUATE_COLUMNS}, {_STATUS}"
            " FROM graduate_on_file k JOIN graduate_staged s ON s.line = k.line"
            " JOIN graduate_cells c ON c.id = s.cells JOIN graduate g ON g.id = k.graduate_id"
            " WHERE k.line > ? ORDER BY k.line LIMIT ?",
            (after, size),
        ):
            found = [tuple(row) for row in rows]
            yield [(row[0], NewGraduate(*row[1:15]), GraduateState(*row[15:])) for row in found]
            after = found[-1][0]

    async def stage_graduates_on_file(self, rows: Sequence[StagedOnFile]) -> None:
        """Stage the corrections of graduates on file: refused, or changing fields."""
        corrections = [
            (line, graduate_id, refused, *_changes(old, new))
            for line, graduate_id, refused, old, new in rows
            if refused is not None or new is not None
        ]
        if corrections:
            await self._fill("graduate_correction", _CORRECTION_COLUMNS, corrections)

    async def staged_graduate_refusals(self) -> list[tuple[int, str | None, int]]:
        """(line, catalog key refusing its correction, first line of its ID number and term)
        of each line repeating an earlier one (line > first) or whose correction is refused,
        in file order."""
        await self._filled()
        rows = await self._all(_REFUSALS)
        return [(int(row[0]), row[1], int(row[2])) for row in rows]

    async def insert_staged_graduates(self) -> int:
        """Insert the staged graduates not on file, in file order; how many."""
        await self._filled()
        cursor = await self._execute(
            f"INSERT INTO graduate ({_NEW_GRADUATE}, updated_at) SELECT {_NEW_VALUES}, ?"
            f" FROM {_STAGED_ROWS} WHERE {_STAGED_NEW} ORDER BY s.line",
            (self.now_iso(),),
        )
        return cursor.rowcount

    async def correct_staged_graduates(self, source: str) -> int:
        """Apply the staged corrections, keeping the old values in history; how many."""
        await self._filled()
        return await apply_staged_corrections(self, "graduate_correction", GRADUATE_FIELDS, source)

    async def staged_x_certified(self, size: int = 5000) -> AsyncIterator[list[str]]:
        """ID numbers of the staged new graduates with an X certificate issued (确认签发, not
        void), in lists of at most `size`."""
        await self._filled()
        after = ""
        while True:
            rows = await self._all(
                "SELECT DISTINCT s.id_number FROM graduate_staged s"
                " JOIN student t ON t.id_number = s.id_number"
                " JOIN exam_result e ON e.student_id = t.id JOIN record r ON r.result_id = e.id"
                f" WHERE {_STAGED_NEW} AND s.id_number > ? AND r.status = ?"
                " AND r.void_at IS NULL ORDER BY s.id_number LIMIT ?",
                (after, XStatus.CONFIRMED.value, size),
            )
            if not rows:
                return
            yield [row[0] for row in rows]
            after = rows[-1][0]

    async def insert_graduates(self, rows: Sequence[NewGraduate]) -> int:
        now = self.now_iso()
        return await self._execute_many(
            "INSERT INTO graduate (school_id, name, id_number, sex, major_code, major,"
            " class_level, enrolled, graduated, years, study_mode, qualification_no,"
            " qualification_level, employment, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((*astuple(row), now) for row in rows),
        )

    async def correct_graduates(
        self, corrections: Sequence[tuple[int, dict[str, Any], dict[str, Any]]], source: str
    ) -> int:
        """Apply (graduate id, old values, new values) corrections, keeping the old values."""
        now = self.now_iso()
        async with self.transaction():
            # One executemany per run of corrections changing the same fields (an import's
            # rows mostly change the same ones), in the given order.
            for fields, run in groupby(corrections, key=lambda c: tuple(c[2])):
                assignments = ", ".join(f"{field} = ?" for field in fields)
                await self._db.executemany(
                    f"UPDATE graduate SET {assignments}, version = version + 1, updated_at = ?"
                    " WHERE id = ?",
                    [(*new.values(), now, graduate_id) for graduate_id, _old, new in run],
                )
            await self._db.executemany(
                "INSERT INTO graduate_history (graduate_id, old, new, source, at)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        gid,
                        _as_json(old),
                        _as_json(new),
                        source,
                        now,
                    )
                    for gid, old, new in corrections
                ],
            )
        return len(corrections)

    async def graduate_history(self, graduate_id: int) -> list[GraduateChange]:
        rows = await self._all(
            "SELECT old, new, source, at FROM graduate_history WHERE graduate_id = ? ORDER BY id",
            (graduate_id,),
        )
        return [GraduateChange(**dict(row)) for row in rows]

    async def graduate(self, graduate_id: int) -> Graduate | None:
        row = await self._one(
            f"SELECT {_GRADUATE_COLUMNS} FROM graduate g WHERE id = ?", (graduate_id,)
        )
        return _graduate(row) if row else None

    async def graduate_by_ref(self, ref: str) -> Graduate | None:
        """A graduate by certificate number or ID number (the latest term)."""
        row = await self._one(
            f"SELECT {_GRADUATE_COLUMNS} FROM graduate g WHERE cert_no = ?", (ref,)
        )
        if row is None:
            row = await self._one(
                f"SELECT {_GRADUATE_COLUMNS} FROM graduate g WHERE id_number = ?"
                " ORDER BY graduated DESC LIMIT 1",
                (ref.upper(),),
            )
        return _graduate(row) if row else None

    async def amend_graduate(
        self, graduate_id: int, changes: dict[str, Any], amendment_id: int
    ) -> None:
        """Apply an approved 毕业证修改 (how a printed graduate changes), keeping history."""
        async with self.transaction():
            row = await self.graduate(graduate_id)
            assert row is not None
            old = {field: getattr(row, field) for field in changes}
            sex = (
                {"sex": "男" if int(changes["id_number"][16]) % 2 else "女"}
                if ("id_number" in changes)
                else {}
            )
            new = {**changes, **sex, "amendment_id": amendment_id}
            assignments = ", ".join(f"{field} = ?" for field in new)
            await self._db.execute(
                f"UPDATE graduate SET {assignments}, version = version + 1, updated_at = ?"
                " WHERE id = ?",
                (*new.values(), self.now_iso(), graduate_id),
            )
            await self._db.execute(
                "INSERT INTO graduate_history (graduate_id, old, new, source, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    graduate_id,
                    json.dumps(old, ensure_ascii=False),
                    json.dumps(changes, ensure_ascii=False),
                    f"amendment:{amendment_id}",
                    self.now_iso(),
                ),
            )

    async def approved_since_print(self, graduate_id: int, kinds: Sequence[str]) -> bool:
        row = await self._one(
            "SELECT 1 FROM grad_item i JOIN grad_request r ON r.id = i.request_id"
            " JOIN graduate g ON g.id = i.graduate_id"
            " WHERE i.graduate_id = ? AND i.status = ? AND r.kind IN"
            f" ({','.join('?' * len(kinds))}) AND i.updated_at >= COALESCE(g.printed_at, '')",
            (graduate_id, GradStatus.APPROVED, *kinds),
        )
        return row is not None

    async def undeclared_graduates(self, school_id: int, term: str) -> list[int]:
        rows = await self._all(
            "SELECT g.id FROM graduate g WHERE g.school_id = ? AND g.graduated = ?"
            " AND NOT EXISTS (SELECT 1 FROM grad_item i WHERE i.graduate_id = g.id"
            " AND i.declaration = 1) ORDER BY g.id",
            (school_id, term),
        )
        return [row[0] for row in rows]

    # Requests and their items

    async def create_request(
        self,
        kind: str,
        school_id: int,
        approvers: Sequence[int],
        created_by: int,
        graduate_ids: Sequence[int | None],
        audit: AuditEntry,
        *,
        term: str | None = None,
        blank_kind: str | None = None,
        blank_count: int | None = None,
        changes: str | None = None,
    ) -> int:
        """A new request with one item per graduate (one item without a graduate for blanks)."""
        async with self.transaction():
            request_id = await self._insert(
                "INSERT INTO grad_request (kind, school_id, term, blank_kind, blank_count,"
                " changes, approvers, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (
                    kind,
                    school_id,
                    term,
                    blank_kind,
                    blank_count,
                    changes,
                    json.dumps(list(approvers)),
                    created_by,
                    audit.at,
                ),
            )
            declaration = int(kind == RequestKind.DECLARATION)
            await self._db.executemany(
                "INSERT INTO grad_item (request_id, graduate_id, declaration, status,"
                " waiting_org_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (request_id, gid, declaration, GradStatus.PENDING_REVIEW, school_id, audit.at)
                    for gid in graduate_ids
                ],
            )
            await self.append_audit(audit)
        return request_id

    async def grad_request(self, request_id: int) -> GradRequest | None:
        row = await self._one(_REQUEST_SQL + " WHERE r.id = ?", (request_id,))
        return _request(row) if row else None

    async def grad_items(
        self, request_id: int, item_ids: Sequence[int] | None = None
    ) -> list[GradItem]:
        sql = (
            "SELECT id, request_id, graduate_id, status, stage, round, version FROM grad_item"
            " WHERE request_id = ?"
        )
        rows = await self._all(sql + " ORDER BY id", (request_id,))
        items = [GradItem(**dict(row)) for row in rows]
        if item_ids is not None:
            wanted = set(item_ids)
            items = [item for item in items if item.id in wanted]
        return items

    async def apply_grad_acts(
        self,
        changes: Sequence[ItemChange],
        act: str,
        person_id: int,
        reason: str | None,
        audit: AuditEntry,
        numbers: Sequence[tuple[int, str]] = (),
    ) -> None:
        """Move every item as planned and record the act, or nothing (a changed item conflicts)."""
        groups: dict[tuple[Any, ...], list[int]] = {}
        for c in changes:
            key = (c.status, c.stage, c.waiting_org_id, c.round, c.act_stage, c.version)
            groups.setdefault(key, []).append(c.item_id)
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            now = audit.at
            # Items of one act move alike: one statement per group of ids, not one per item.
            moved = 0
            for (status, stage, waiting, round_, act_stage, version), ids in groups.items():
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    cursor = await self._db.execute(
                        "UPDATE grad_item SET status = ?, stage = ?, waiting_org_id = ?, round = ?,"
                        " version = version + 1, updated_at = ?"
                        f" WHERE version = ? AND id IN ({marks})",
                        (status, stage, waiting, round_, now, version, *chunk),
                    )
                    moved += cursor.rowcount
                    await self._db.execute(
                        "INSERT INTO grad_act (item_id, round, stage, act, person_id, reason,"
                        " audit_id, at) SELECT id, ?, ?, ?, ?, ?, ?, ? FROM grad_item"
                        f" WHERE id IN ({marks})",
                        (round_, act_stage, act, person_id, reason, audit_id, now, *chunk),
                    )
            if moved != len(changes):
                raise Conflict("grad.changed_meanwhile")
            if numbers:
                await self._db.executemany(
                    "UPDATE graduate SET cert_no = ?, numbered_at = ? WHERE id = ?",
                    [(cert_no, now, gid) for gid, cert_no in numbers],
                )

    async def numbering_rows(self, graduate_ids: Sequence[int]) -> list[NumberingInput]:
        """What a number is made of, per graduate, in id order (unnumbered ones only)."""
        rows = await self._all_in(
            "SELECT id, graduated, class_level, major_code FROM graduate"
            " WHERE cert_no IS NULL AND id IN ({marks})",
            list(graduate_ids),
        )
        return sorted((NumberingInput(**dict(row)) for row in rows), key=lambda row: row.id)

    async def grad_acts(self, request_id: int) -> list[GradActEntry]:
        """The act history of a request, one row per act and round (items grouped)."""
        rows = await self._all(
            "SELECT a.round, a.stage, a.act, a.reason, a.at, p.name AS person, COUNT(*) AS items"
            " FROM grad_act a JOIN grad_item i ON i.id = a.item_id JOIN person p"
            " ON p.id = a.person_id WHERE i.request_id = ?"
            " GROUP BY a.audit_id, a.round, a.stage, a.act, a.reason, a.at, p.name"
            " ORDER BY a.audit_id",
            (request_id,),
        )
        return [GradActEntry(**dict(row)) for row in rows]

    async def grad_request_opened(self, request_id: int) -> dict[str, Any] | None:
        """Who submitted a request, when, with how many items: its history's first line."""
        row = await self._one(
            "SELECT r.created_at AS at, p.name AS person, r.kind,"
            " (SELECT COUNT(*) FROM grad_item i WHERE i.request_id = r.id) AS items"
            " FROM grad_request r JOIN person p ON p.id = r.created_by WHERE r.id = ?",
            (request_id,),
        )
        return dict(row) if row else None

    async def latest_return_reasons(self, request_ids: Sequence[int]) -> dict[int, str]:
        """request id -> reason of its latest 退回, for the requests that have one."""
        rows = await self._all_in(
            "SELECT i.request_id, a.reason FROM grad_act a JOIN grad_item i ON i.id = a.item_id"
            " WHERE a.act = 'refuse' AND i.request_id IN ({marks}) ORDER BY a.id",
            request_ids,
        )
        return {row[0]: row[1] for row in rows}

    async def waiting_for(self, org_id: int, statuses: Sequence[str]) -> list[Waiting]:
        """Requests with items waiting for `org_id` in one of `statuses`, oldest first."""
        rows = await self._all(
            "SELECT r.id AS request_id, r.kind, o.name AS school_name, r.term, r.blank_kind,"
            " r.blank_count, COUNT(*) AS waiting, MIN(i.updated_at) AS oldest"
            " FROM grad_item i JOIN grad_request r ON r.id = i.request_id"
            " JOIN org o ON o.id = r.school_id"
            f" WHERE i.waiting_org_id = ? AND i.status IN ({','.join('?' * len(statuses))})"
            " GROUP BY r.id, o.name ORDER BY oldest, r.id",
            (org_id, *statuses),
        )
        return [Waiting(**dict(row)) for row in rows]

    async def returned_to(self, school_id: int) -> list[Waiting]:
        """The school's requests with items returned (退回) to its 经办人."""
        rows = await self._all(
            "SELECT r.id AS request_id, r.kind, o.name AS school_name, r.term, r.blank_kind,"
            " r.blank_count, COUNT(*) AS waiting, MIN(i.updated_at) AS oldest"
            " FROM grad_item i JOIN grad_request r ON r.id = i.request_id"
            " JOIN org o ON o.id = r.school_id"
            " WHERE r.school_id = ? AND i.status IN (?, ?)"
            " GROUP BY r.id, o.name ORDER BY oldest, r.id",
            (school_id, GradStatus.REVIEW_RETURNED, GradStatus.APPROVAL_RETURNED),
        )
        return [Waiting(**dict(row)) for row in rows]

    async def blank_requests_to_issue(self) -> list[Waiting]:
        """Approved 空白毕业证申报 whose blanks are not handed out yet, oldest first."""
        rows = await self._all(
            "SELECT r.id AS request_id, r.kind, o.name AS school_name, r.term, r.blank_kind,"
            " r.blank_count, 1 AS waiting, i.updated_at AS oldest"
            " FROM grad_request r JOIN grad_item i ON i.request_id = r.id"
            " JOIN org o ON o.id = r.school_id"
            " WHERE r.kind = ? AND i.status = ?"
            " AND NOT EXISTS (SELECT 1 FROM blank_event e WHERE e.request_id = r.id"
            " AND e.event = 'issue') ORDER BY i.updated_at, r.id",
            (RequestKind.BLANK_REQUEST, GradStatus.APPROVED),
        )
        return [Waiting(**dict(row)) for row in rows]

    async def request_round(self, request_id: int) -> int:
        row = await self._one(
            "SELECT MAX(round) FROM grad_item WHERE request_id = ?", (request_id,)
        )
        return int(row[0] or 1) if row else 1

    async def request_rounds(self, request_ids: Sequence[int]) -> dict[int, int]:
        """request id -> its current round (`request_round` for many requests at once)."""
        rows = await self._all_in(
            "SELECT request_id, MAX(round) FROM grad_item WHERE request_id IN ({marks})"
            " GROUP BY request_id",
            request_ids,
        )
        return {row[0]: int(row[1] or 1) for row in rows}

    async def waiting_orgs(self, request_id: int) -> list[int]:
        """Departments with items of the request waiting for their 审批."""
        rows = await self._all(
            "SELECT DISTINCT waiting_org_id FROM grad_item WHERE request_id = ?"
            " AND status = ? ORDER BY waiting_org_id",
            (request_id, GradStatus.PENDING_APPROVAL),
        )
        return [row[0] for row in rows]

    async def request_counts(self, request_id: int) -> dict[str, int]:
        rows = await self._all(
            "SELECT status, COUNT(*) FROM grad_item WHERE request_id = ? GROUP BY status",
            (request_id,),
        )
        return {row[0]: row[1] for row in rows}

    async def graduate_counts(self, school_id: int | None, term: str | None) -> dict[str, int]:
        """Graduates per status of their declaration (作废 once voided); undeclared under None."""
        where, params = graduate_where(school_id, term)
        rows = await self._all(
            f"SELECT {_SHOWN_STATUS}, COUNT(*) FROM graduate g LEFT JOIN grad_item i"
            f" ON i.graduate_id = g.id AND i.declaration = 1 {where} GROUP BY 1",
            params,
        )
        return {row[0]: row[1] for row in rows}

    async def graduates_listed(
        self, school_id: int | None, term: str | None, status: str | None = None
    ) -> list[GraduateListed]:
        where, params = graduate_where(school_id, term)
        if status == VOIDED:
            where += f" AND {_VOIDED}"
        elif status == UNDECLARED:
            where += " AND i.status IS NULL"
        elif status:
            where += f" AND i.status = ? AND NOT {_VOIDED}"
            params.append(status)
        rows = await self._all(
            "SELECT g.id, g.name, g.id_number, o.code AS school_code, g.major_code, g.major,"
            f" g.class_level, g.enrolled, g.graduated, g.years, g.study_mode, {_SHOWN_STATUS},"
            " i.request_id, g.cert_no,"
            " (SELECT b.serial FROM blank b WHERE b.graduate_id = g.id"
            f"  AND b.state IN ('{BlankState.PRINTED}', '{BlankState.SEALED}')"
            " ORDER BY b.updated_at DESC LIMIT 1) AS serial"
            " FROM graduate g JOIN org o ON o.id = g.school_id"
            f" LEFT JOIN grad_item i ON i.graduate_id = g.id AND i.declaration = 1 {where}"
            " ORDER BY g.school_id, g.graduated, g.id",
            params,
        )
        return [GraduateListed(**dict(row)) for row in rows]

    async def waiting_since(self, before: str) -> list[PendingItems]:
        """Items pending since before `before`, per waiting organization and request."""
        rows = await self._all(
            "SELECT waiting_org_id AS org_id, request_id, COUNT(*) AS items, MIN(updated_at) AS"
            " oldest FROM grad_item WHERE status IN (?, ?) AND updated_at < ?"
            " GROUP BY waiting_org_id, request_id ORDER BY waiting_org_id, request_id",
            (GradStatus.PENDING_REVIEW, GradStatus.PENDING_APPROVAL, before),
        )
        return [PendingItems(**dict(row)) for row in rows]

    # Blank stock

    async def receive_blanks(
        self, kind: str, serials: Sequence[str], person_id: int, audit: AuditEntry
    ) -> None:
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            await self._db.executemany(
                "INSERT INTO blank (serial, kind, received_by, updated_at) VALUES (?, ?, ?, ?)",
                [(serial, kind, person_id, audit.at) for serial in serials],
            )
            await self._events(serials, "receive", person_id, None, audit_id, audit.at)

    async def issue_blanks(
        self,
        request_id: int,
        school_id: int,
        kind: str,
        serials: Sequence[str],
        person_id: int,
        audit: AuditEntry,
    ) -> None:
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            await self._events(
                serials, "issue", person_id, school_id, audit_id, audit.at, request_id=request_id
            )
            issued, in_stock = BlankState.ISSUED, BlankState.IN_STOCK
            cursor = await self._db.executemany(
                "UPDATE blank SET state = ?, issued_by = ?, school_id = ?, request_id = ?,"
                " updated_at = ? WHERE serial = ? AND kind = ? AND state = ?",
                [
                    (issued, person_id, school_id, request_id, audit.at, s, kind, in_stock)
                    for s in serials
                ],
            )
            if cursor.rowcount != len(serials):
                raise Conflict("stock.not_in_stock")

    async def print_blanks(
        self,
        school_id: int,
        printed: Sequence[tuple[str, int]],
        person_id: int | None,
        audit: AuditEntry,
    ) -> None:
        """Record (serial, graduate id) printings; the database refuses a blank printed twice."""
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            for serial, graduate_id in printed:
                await self._events(
                    [serial],
                    "print",
                    person_id,
                    school_id,
                    audit_id,
                    audit.at,
                    graduate_id=graduate_id,
                )
            await self._db.executemany(
                "UPDATE blank SET state = ?, graduate_id = ?, updated_at = ? WHERE serial = ?",
                [(BlankState.PRINTED, gid, audit.at, serial) for serial, gid in printed],
            )
            await self._db.executemany(
                "UPDATE graduate SET printed_at = ? WHERE id = ?",
                [(audit.at, gid) for _, gid in printed],
            )

    async def void_blank(
        self, serial: str, reason: str, person_id: int | None, audit: AuditEntry
    ) -> None:
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            blank = await self.blank(serial)
            if blank is None or blank.state not in (BlankState.ISSUED, BlankState.PRINTED):
                raise Conflict("stock.not_voidable", serial=serial)
            await self._events(
                [serial], "void", person_id, blank.school_id, audit_id, audit.at, reason=reason
            )
            await self._db.execute(
                "UPDATE blank SET state = ?, updated_at = ? WHERE serial = ?",
                (BlankState.VOIDED, audit.at, serial),
            )

    async def return_blanks(
        self, serials: Sequence[str], person_id: int, audit: AuditEntry
    ) -> None:
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            cursor = await self._db.executemany(
                "UPDATE blank SET state = ?, updated_at = ? WHERE serial = ? AND state = ?",
                [(BlankState.RETURNED, audit.at, serial, BlankState.VOIDED) for serial in serials],
            )
            if cursor.rowcount != len(serials):
                raise Conflict("stock.not_returnable")
            await self._events(serials, "return", person_id, None, audit_id, audit.at)

    async def _events(
        self,
        serials: Sequence[str],
        event: str,
        person_id: int | None,
        school_id: int | None,
        audit_id: int,
        at: str,
        *,
        request_id: int | None = None,
        graduate_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        await self._db.executemany(
            "INSERT INTO blank_event (serial, event, person_id, school_id, request_id,"
            " graduate_id, reason, audit_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (s, event, person_id, school_id, request_id, graduate_id, reason, audit_id, at)
                for s in serials
            ],
        )

    async def blank(self, serial: str) -> Blank | None:
        row = await self._one(
            "SELECT serial, kind, state, received_by, issued_by, school_id, request_id,"
            " graduate_id, updated_at FROM blank WHERE serial = ?",
            (serial,),
        )
        return Blank(**dict(row)) if row else None

    async def serial_width(self, prefix: str) -> int | None:
        """How many digits follow `prefix` (any case) in the serials booked with it, if any."""
        row = await self._one(
            "SELECT length(serial) FROM blank WHERE upper(substr(serial, 1, ?)) = ?"
            " AND substr(serial, ?, 1) BETWEEN '0' AND '9' LIMIT 1",
            (len(prefix), prefix, len(prefix) + 1),
        )
        return int(row[0]) - len(prefix) if row else None

    async def existing_serials(self, serials: Sequence[str]) -> set[str]:
        rows = await self._all_in(
            "SELECT serial FROM blank WHERE serial IN ({marks})", list(serials)
        )
        return {row[0] for row in rows}

    async def blank_events(self, serial: str) -> list[BlankEvent]:
        rows = await self._all(
            "SELECT e.at, e.event, p.name AS by, o.name AS school, g.cert_no, e.reason"
            " FROM blank_event e LEFT JOIN person p ON p.id = e.person_id"
            " LEFT JOIN org o ON o.id = e.school_id"
            " LEFT JOIN graduate g ON g.id = e.graduate_id"
            " WHERE e.serial = ? ORDER BY e.id",
            (serial,),
        )
        return [BlankEvent(**dict(row)) for row in rows]

    async def blank_balance(self, school_id: int | None) -> list[tuple[str, str, int]]:
        """(kind, state, count), optionally of one school's blanks."""
        where, params = ("WHERE school_id = ?", [school_id]) if school_id else ("", [])
        rows = await self._all(
            f"SELECT kind, state, COUNT(*) FROM blank {where} GROUP BY kind, state"
            " ORDER BY kind, state",
            params,
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def issued_for_request(self, request_id: int) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM blank_event WHERE request_id = ? AND event = 'issue'",
            (request_id,),
        )
        return int(row[0]) if row else 0


# 作废 (a voided certificate) reads before its declaration's 已审批, everywhere a status is shown.
VOIDED, UNDECLARED = "作废", "未申报"
_VOIDED = "EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id)"
_SHOWN_STATUS = f"CASE WHEN {_VOIDED} THEN '{VOIDED}' ELSE i.status END AS status"


def _changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> tuple[Any, ...]:
    """A correction's old and new values as JSON, the fields changed, and a value per field."""
    if old is None or new is None:
        return (None,) * (3 + len(GRADUATE_FIELDS))
    return (_as_json(old), _as_json(new), ",".join(new), *map(new.get, GRADUATE_FIELDS))


async def apply_staged_corrections(
    store: BaseStore, staged: str, allowed: Sequence[str], source: str
) -> int:
    """Apply the corrections staged in the work table `staged` (graduate_id, line, fields, old,
    new and a column per field; `fields` names those changed, each one of `allowed`), keeping
    the old values in history in file order; how many. Joins the caller's transaction."""
    now = store.now_iso()
    changed = await store._all(f"SELECT DISTINCT fields FROM {staged} WHERE fields IS NOT NULL")
    for (names,) in changed:
        # One statement per set of fields changed (an import's rows mostly change the same).
        fields = _known(names.split(","), allowed)
        assignments = ", ".join(f"{field} = s.{field}" for field in fields)
        await store._execute(
            f"UPDATE graduate SET {assignments}, version = version + 1, updated_at = ?"
            f" FROM {staged} s WHERE s.graduate_id = graduate.id AND s.fields = ?",
            (now, names),
        )
    cursor = await store._execute(
        "INSERT INTO graduate_history (graduate_id, old, new, source, at)"
        f" SELECT graduate_id, old, new, ?, ? FROM {staged} WHERE fields IS NOT NULL"
        " ORDER BY line",
        (source, now),
    )
    return int(cursor.rowcount)


def _known(names: Sequence[str], allowed: Sequence[str]) -> Sequence[str]:
    """Column names from a staging table, checked before they go into SQL."""
    if not set(names) <= set(allowed):
        raise ValueError(f"not fields a staged correction may change: {names}")
    return names


def graduate_where(school_id: int | None, term: str | None) -> tuple[str, list[Any]]:
    """`WHERE …` over `graduate g` for a school and term, either optional; its parameters."""
    conditions: list[str] = ["1 = 1"]
    params: list[Any] = []
    if school_id is not None:
        conditions.append("g.school_id = ?")
        params.append(school_id)
    if term:
        conditions.append("g.graduated = ?")
        params.append(term)
    return "WHERE " + " AND ".join(conditions), params
