"""Store queries of graduates' qualifications (职业资格证书, 证书比对 and the 暂缓发放 hold),
employment (就业) and grades (成绩管理)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import astuple
from json.encoder import encode_basestring
from typing import TYPE_CHECKING

from issuance.core.audit import AuditEntry
from issuance.core.graduates import (
    NAME_MISMATCH,
    NO_GRADUATE,
    Correction,
    Grade,
    GradeRow,
    IssuedXCertificate,
    KeptQualification,
    ListedGrade,
    PendingQualification,
    QualifiedGraduate,
    XQualified,
)
from issuance.core.ports import StagedCorrection
from issuance.core.vocabulary import XStatus
from issuance.store.base import BaseStore
from issuance.store.driver import Row
from issuance.store.graduation import apply_staged_corrections, graduate_where

if TYPE_CHECKING:
    from issuance.core.audit import AuditEntry

_GRADUATE_SQL = (
    "SELECT g.id, g.school_id, o.code AS school_code, g.name, g.id_number, g.graduated,"
    " g.cert_no, g.qualification_no, g.qualification_level, g.qualification_occupation,"
    " g.qualification_date, g.employment, g.employer"
    " FROM graduate g JOIN org o ON o.id = g.school_id"
)
# What a qualifications or employment import changes (`correction_import`).
CORRECTED_FIELDS = (
    "qualification_no",
    "qualification_level",
    "qualification_occupation",
    "qualification_date",
    "employment",
    "employer",
)
# What each of the two imports sets.
QUALIFICATION_FIELDS = CORRECTED_FIELDS[:4]
EMPLOYMENT_FIELDS = CORRECTED_FIELDS[4:]
# The rows of such an import (a TEMP table of its own connection): the first line of each ID
# number, the row's name (qualifications), its graduate's id once matched and the row's values;
# for a graduate whose values change, the old and new values of the fields changed as JSON and
# those fields (comma-separated), filled in by SQL (`_diff_staged`) before they are applied.
_STAGED_TABLE = f"""
    CREATE TEMP TABLE correction_staged (
        line INTEGER PRIMARY KEY, id_number TEXT NOT NULL UNIQUE, graduate_id INTEGER,
        name TEXT, old TEXT, new TEXT, fields TEXT,
        {", ".join(f"{field} TEXT" for field in CORRECTED_FIELDS)}
    )
"""
_STAGED = "correction_staged"
_UNMATCHED_COLUMNS = ("line", "id_number")
_EMPLOYED_COLUMNS = ("line", "id_number", "graduate_id", *EMPLOYMENT_FIELDS)
_QUALIFIED_COLUMNS = ("line", "id_number", "name", *QUALIFICATION_FIELDS)
# The graduate of the latest term with the staged row's ID number (of the school, when given:
# `+g.school_id`, so that SQLite looks the number up, not every graduate of the school).
_LATEST = (
    "SELECT g.id FROM graduate g WHERE g.id_number = {staged}.id_number{school}"
    " ORDER BY g.graduated DESC LIMIT 1"
)


class QualificationQueries(BaseStore):
    """Task-named queries of qualifications, employment and grades."""

    if TYPE_CHECKING:

        async def append_audit(self, entry: AuditEntry) -> int: ...

        async def correct_graduates(
            self, corrections: Sequence[Correction], source: str
        ) -> int: ...

        async def seal_final(self, kind: str, ids: Sequence[int] | None = None) -> None: ...

    async def latest_graduates(
        self, numbers: Iterable[str], school_id: int | None = None
    ) -> dict[str, QualifiedGraduate]:
        """Per ID number, its graduate of the latest term (of the school, when given)."""
        rows = await self._all_in(
            _GRADUATE_SQL + " WHERE g.id_number IN ({marks})", sorted(set(numbers))
        )
        latest: dict[str, QualifiedGraduate] = {}
        for row in rows:
            if school_id is not None and row[1] != school_id:
                continue
            kept = latest.get(row[4])
            if kept is None or row[5] > kept.graduated:
                # _GRADUATE_SQL's columns are QualifiedGraduate's fields, in order.
                latest[row[4]] = QualifiedGraduate(*row)
        return latest

    @asynccontextmanager
    async def correction_import(self) -> AsyncIterator[None]:
        """A qualifications or employment import (of CORRECTED_FIELDS), staged on
        a connection of the import's own for the block: each ID number's first line and the
        correction of its graduate (`stage_corrections`), seen by no other transaction; then
        written in one transaction of the block (`record_staged_qualifications`,
        `record_staged_corrections`)."""
        async with self.own_connection():
            async with self.transaction(write=False):
                await self._db.execute(_STAGED_TABLE)
            yield

    async def staged_lines(self, numbers: Iterable[str]) -> dict[str, int]:
        """The line of each of these ID numbers staged before (by an earlier chunk)."""
        await self._filled()
        rows = await self._all_in(
            f"SELECT id_number, line FROM {_STAGED} WHERE id_number IN ({{marks}})", list(numbers)
        )
        return {row[0]: int(row[1]) for row in rows}

    async def stage_corrections(self, rows: Iterable[StagedCorrection]) -> None:
        """Stage employment rows: (line, ID number) for a row matching no graduate, else
        (line, ID number, graduate id, 就业情况, 就业单位)."""
        unmatched: list[StagedCorrection] = []
        matched: list[StagedCorrection] = []
        for row in rows:
            (unmatched if len(row) == len(_UNMATCHED_COLUMNS) else matched).append(row)
        # The rows matching no one without binding the columns they leave empty; the last fill
        # goes on in the background while the import reads on.
        if unmatched:
            await self._fill(_STAGED, _UNMATCHED_COLUMNS, unmatched)
        if matched:
            await self._fill(_STAGED, _EMPLOYED_COLUMNS, matched)

    async def stage_qualifications(self, rows: Sequence[StagedCorrection]) -> None:
        """Stage qualification rows: line, ID number, name and the values of
        QUALIFICATION_FIELDS; matched with graduates by `match_staged_qualifications`."""
        if rows:
            await self._fill(_STAGED, _QUALIFIED_COLUMNS, rows)

    async def match_staged_qualifications(
        self, school_id: int | None
    ) -> list[tuple[int, PendingQualification]]:
        """Match the staged qualification rows with the graduate of the latest term of their
        ID number (of the school, when given) when it has their name; those matching none, in
        file order, with their line, as kept (of the school, else of the graduate of the ID
        number when the name differs)."""
        await self._filled()
        school = "" if school_id is None else " AND +g.school_id = ?"
        params = () if school_id is None else (school_id,)
        latest = _LATEST.format(staged=_STAGED, school=school)
        await self._temp_work([f"UPDATE {_STAGED} SET graduate_id = ({latest})"], params)
        values = ", ".join(f"s.{field}" for field in QUALIFICATION_FIELDS)
        unmatched = await self._all(
            f"SELECT s.line, s.name, s.id_number, {values}, g.name AS graduate_name,"
            f" g.school_id FROM {_STAGED} s"
            " LEFT JOIN graduate g ON g.id = s.graduate_id"
            " WHERE g.id IS NULL OR g.name <> s.name ORDER BY s.line"
        )
        if unmatched:
            await self._temp_work(
                [
                    f"UPDATE {_STAGED} SET graduate_id = NULL WHERE graduate_id IS NOT NULL AND"
                    f" name <> (SELECT g.name FROM graduate g WHERE g.id = {_STAGED}.graduate_id)"
                ]
            )
        kept: list[tuple[int, PendingQualification]] = []
        for line, name, number, no, level, occupation, day, graduate_name, of in unmatched:
            reason = NO_GRADUATE if graduate_name is None else NAME_MISMATCH
            at = school_id if school_id is not None else of
            pending = PendingQualification(
                at, name, number, no, level, occupation, day, reason, graduate_name
            )
            kept.append((int(line), pending))
        return kept

    async def record_staged_qualifications(
        self, pending: Sequence[PendingQualification], source: str, audit: AuditEntry
    ) -> None:
        """Apply the staged corrections (history kept), keep the unmatched rows in place of
        those kept before for the staged ID numbers, and log the import."""
        await self._filled()
        async with self.transaction():
            await self.append_audit(audit)
            await self._db.execute(
                "DELETE FROM qualification_pending"
                f" WHERE id_number IN (SELECT id_number FROM {_STAGED})"
            )
            if pending:
                await self._db.executemany(
                    "INSERT INTO qualification_pending (school_id, name, id_number,"
                    " qualification_no, qualification_level, occupation, issued_on, reason,"
                    " graduate_name, source, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(*astuple(p), source, audit.at) for p in pending],
                )
            await self._correct_staged(QUALIFICATION_FIELDS, source)

    async def record_staged_corrections(self, source: str, audit: AuditEntry) -> None:
        """Apply the staged employment corrections, keeping history, and log them."""
        await self._filled()
        async with self.transaction():
            await self.append_audit(audit)
            await self._correct_staged(EMPLOYMENT_FIELDS, source)

    async def _correct_staged(self, fields: Sequence[str], source: str) -> None:
        """`correct_graduates` of the staged rows matched with a graduate (their `fields`),
        set-based, and the numbered graduates corrected sealed again (a qualification is part
        of a final row's digest)."""
        await self._db.execute(_diff_staged(self.driver.dialect, fields))
        await apply_staged_corrections(self, _STAGED, CORRECTED_FIELDS, source)
        numbered = await self._all(
            f"SELECT s.graduate_id FROM {_STAGED} s JOIN graduate g ON g.id = s.graduate_id"
            " WHERE s.fields IS NOT NULL AND g.cert_no IS NOT NULL"
        )
        await self.seal_final("graduate", [int(row[0]) for row in numbered])

    async def record_corrections(
        self, corrections: Sequence[Correction], source: str, audit: AuditEntry
    ) -> None:
        """Apply graduate corrections (employment, a qualification from an X certificate),
        keeping history, and log them."""
        async with self.transaction():
            await self.append_audit(audit)
            if corrections:
                await self.correct_graduates(corrections, source)
                # a numbered graduate's qualification is part of its final row's digest
                await self.seal_final("graduate", [c[0] for c in corrections])

    async def qualify_by_x_certificates(
        self, numbers: Iterable[str], actor: str
    ) -> list[XQualified]:
        """Graduates with these ID numbers and no qualification recorded get the latest X
        certificate issued to them (确认签发, not void) as their qualification, each change kept
        in history and logged, in the caller's transaction (an X certificate confirmed releases
        a hold with the confirmation, or not at all). Who got one."""
        wanted = sorted(set(numbers))
        # the latest certificate of an ID number wins (they come oldest first)
        issued = {row.id_number: row for row in await self.issued_x_certificates(wanted)}
        if not issued:
            return []
        qualified: list[XQualified] = []
        async with self.transaction():
            for graduate in await self.unqualified_by_id_number(issued):
                certificate = issued[graduate.id_number]
                at = self.now_iso()
                new = {
                    "qualification_no": certificate.cert_no,
                    "qualification_level": certificate.level,
                    "qualification_occupation": certificate.program,
                    "qualification_date": (certificate.issued_at or at)[:10],
                }
                old = {key: getattr(graduate, key) for key in new}
                source = f"xcert:{certificate.cert_no}"
                subject = f"graduate:{graduate.id}"
                audit = AuditEntry(at, actor, "grad.qualification.xcert", subject, source)
                await self.record_corrections([(int(graduate.id), old, new)], source, audit)
                qualified.append(
                    XQualified(
                        int(graduate.id),
                        int(graduate.school_id),
                        graduate.name,
                        graduate.id_number,
                        graduate.cert_no,
                        certificate.cert_no,
                        certificate.program,
                        certificate.level,
                    )
                )
        return qualified

    async def pending_qualifications(self, school_id: int) -> list[KeptQualification]:
        """The school's kept, unapplied qualification rows, in import order."""
        rows = await self._all(
            "SELECT name, id_number, qualification_no, qualification_level, reason,"
            " graduate_name, source, at FROM qualification_pending WHERE school_id = ?"
            " ORDER BY id",
            (school_id,),
        )
        return [KeptQualification(**dict(row)) for row in rows]

    async def unqualified_graduates(self, school_id: int, term: str) -> list[QualifiedGraduate]:
        """The school's graduates of the term without a recorded qualification."""
        rows = await self._all(
            _GRADUATE_SQL + " WHERE g.school_id = ? AND g.graduated = ?"
            " AND g.qualification_no IS NULL ORDER BY g.id",
            (school_id, term),
        )
        return [QualifiedGraduate(**dict(row)) for row in rows]

    async def unqualified_by_id_number(self, numbers: Iterable[str]) -> list[QualifiedGraduate]:
        """Graduates with these ID numbers and no recorded qualification (any term)."""
        rows = await self._all_in(
            _GRADUATE_SQL + " WHERE g.qualification_no IS NULL AND g.id_number IN ({marks})"
            " ORDER BY g.id",
            sorted(set(numbers)),
        )
        return [QualifiedGraduate(**dict(row)) for row in rows]

    async def issued_x_certificates(self, numbers: Iterable[str]) -> list[IssuedXCertificate]:
        """X certificates issued (确认签发, not void) to these ID numbers, latest last."""
        rows = await self._all_in(
            "SELECT s.id_number, r.cert_no, p.name AS program, p.level, r.issued_at"
            " FROM record r JOIN exam_result e ON e.id = r.result_id"
            " JOIN student s ON s.id = e.student_id JOIN exam_plan x ON x.id = e.plan_id"
            " JOIN program p ON p.id = x.program_id"
            f" WHERE r.status = '{XStatus.CONFIRMED}' AND r.void_at IS NULL"
            " AND s.id_number IN ({marks})"
            " ORDER BY r.issued_at, r.id",
            sorted(set(numbers)),
        )
        return [IssuedXCertificate(**dict(row)) for row in rows]

    async def held_ids(self, school_id: int | None, term: str | None) -> set[int]:
        """Numbered graduates held (暂缓发放): no qualification recorded yet."""
        where, params = graduate_where(school_id, term)
        rows = await self._all(
            f"SELECT g.id FROM graduate g {where}"
            " AND g.cert_no IS NOT NULL AND g.qualification_no IS NULL",
            params,
        )
        return {int(row[0]) for row in rows}

    # Grades

    async def replace_grades(
        self, grades: Sequence[GradeRow], source: str, audit: AuditEntry
    ) -> int:
        """Store each graduate's course grade, replacing the course's earlier row (kept in
        graduate_history); how many rows replaced an earlier one."""
        async with self.transaction():
            await self.append_audit(audit)
            before: dict[tuple[int, str], Row] = {
                (row["graduate_id"], row["course"]): row
                for row in await self._all_in(
                    "SELECT graduate_id, course, score, teacher, semester FROM graduate_grade"
                    " WHERE graduate_id IN ({marks})",
                    sorted({g.graduate_id for g in grades}),
                )
            }
            history = []
            for grade in grades:
                old = before.get((grade.graduate_id, grade.course))
                new = {"score": grade.score, "teacher": grade.teacher, "semester": grade.semester}
                if old is not None and {k: old[k] for k in new} != new:
                    key = f"grade:{grade.course}"
                    history.append(
                        (
                            grade.graduate_id,
                            json.dumps({key: {k: old[k] for k in new}}, ensure_ascii=False),
                            json.dumps({key: new}, ensure_ascii=False),
                            source,
                            audit.at,
                        )
                    )
            await self._db.executemany(
                "INSERT INTO graduate_grade (graduate_id, course, score, teacher, semester,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (graduate_id, course)"
                " DO UPDATE SET score = excluded.score, teacher = excluded.teacher,"
                " semester = excluded.semester, updated_at = excluded.updated_at",
                [(*astuple(g), audit.at) for g in grades],
            )
            if history:
                await self._db.executemany(
                    "INSERT INTO graduate_history (graduate_id, old, new, source, at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    history,
                )
            return len(history)

    async def grades_of(self, graduate_id: int) -> list[Grade]:
        rows = await self._all(
            "SELECT course, score, teacher, semester FROM graduate_grade WHERE graduate_id = ?"
            " ORDER BY semester, course",
            (graduate_id,),
        )
        return [Grade(**dict(row)) for row in rows]

    async def grades_listed(self, school_id: int, term: str) -> list[ListedGrade]:
        """Every grade of the school's graduates of the term: one row per graduate × course."""
        rows = await self._all(
            "SELECT g.cert_no, g.name, g.id_number, g.major, r.semester, r.course, r.score,"
            " r.teacher FROM graduate_grade r JOIN graduate g ON g.id = r.graduate_id"
            " WHERE g.school_id = ? AND g.graduated = ? ORDER BY g.id, r.semester, r.course",
            (school_id, term),
        )
        return [ListedGrade(**dict(row)) for row in rows]


def _diff_staged(dialect: str, fields: Sequence[str]) -> str:
    """The statement filling in, for each staged row matched with a graduate whose `fields`
    differ from the row's, the fields changed (comma-separated, in the order of `fields`) and
    their old and new values as JSON objects, as json.dumps(values, ensure_ascii=False) writes
    them (as `correct_graduates` keeps history)."""

    def text(value: str) -> str:
        # A JSON string or null: json_quote and to_json escape as json.dumps does.
        if dialect == "sqlite":
            return f"json_quote({value})"
        return f"COALESCE(to_json({value})::text, 'null')"

    def differs(field: str) -> str:
        # NULL-safe: a value set where there was none differs.
        distinct = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"
        return f"g.{field} {distinct} {_STAGED}.{field}"

    def joined(parts: Sequence[tuple[str, str]], start: int) -> str:
        """The `parts` (condition, text) whose condition holds, concatenated; the first
        `start - 1` characters (a separator) left off."""
        cases = " || ".join(f"(CASE WHEN {cond} THEN {part} ELSE '' END)" for cond, part in parts)
        return f"substr({cases}, {start})"

    def json_object(side: str) -> str:
        parts = [
            (differs(field), f"', ' || '{encode_basestring(field)}: ' || {text(f'{side}.{field}')}")
            for field in fields
        ]
        return f"'{{' || {joined(parts, 3)} || '}}'"

    names = joined([(differs(field), f"',{field}'") for field in fields], 2)
    return (
        f"UPDATE {_STAGED} SET fields = {names}, old = {json_object('g')},"
        f" new = {json_object(_STAGED)} FROM graduate g"
        f" WHERE g.id = {_STAGED}.graduate_id AND ({' OR '.join(map(differs, fields))})"
    )
