"""Store queries of hand-out (发放): X-certificate batches mailed to schools, received and handed
out; graduation certificates sealed (验印) by the department and handed out by the school."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from issuance.core.errors import Conflict
from issuance.core.graduates import (
    HandoutBatch,
    HandoutRecord,
    Mailing,
    PrintedBlank,
    RosterGraduate,
)
from issuance.core.vocabulary import BlankState, Delivery, GradStatus, HandoutStage, XStatus
from issuance.store.base import BaseStore
from issuance.store.core import _RECORD_SQL, record_where
from issuance.store.driver import chunks
from issuance.store.graduation import graduate_where

if TYPE_CHECKING:
    from issuance.core.audit import AuditEntry
    from issuance.core.records import RecordFilter


_BATCH_SQL = f"""
    SELECT b.id AS batch_id, pl.name AS plan, pr.name AS program, pr.level, pr.issuer_id,
           b.site_id, site.name AS site_name,
           (SELECT COUNT(*) FROM record r WHERE r.batch_id = b.id
                AND r.status = '{XStatus.CONFIRMED}' AND r.void_at IS NULL) AS issued,
           (SELECT COUNT(*) FROM record_handout h WHERE h.batch_id = b.id) AS handed,
           m.courier, m.tracking, m.received_at
    FROM batch b JOIN exam_plan pl ON pl.id = b.plan_id JOIN program pr ON pr.id = pl.program_id
    JOIN org site ON site.id = b.site_id LEFT JOIN batch_mailing m ON m.batch_id = b.id
"""


class HandoutQueries(BaseStore):
    """Task-named queries of mailing, receipt, 验印 and hand-out."""

    if TYPE_CHECKING:

        async def append_audit(self, entry: AuditEntry) -> int: ...

    # X certificates

    async def mailing(self, batch_id: int) -> Mailing | None:
        row = await self._one(
            "SELECT batch_id, courier, tracking, mailed_by, mailed_at, received_by, received_at"
            " FROM batch_mailing WHERE batch_id = ?",
            (batch_id,),
        )
        return Mailing(**dict(row)) if row else None

    async def handout_batch(self, batch_id: int) -> HandoutBatch | None:
        row = await self._one(_BATCH_SQL + " WHERE b.id = ?", (batch_id,))
        return HandoutBatch(**dict(row)) if row else None

    async def handout_batches(
        self, issuer_id: int | None = None, site_id: int | None = None
    ) -> list[HandoutBatch]:
        """Batches with issued certificates, of one evaluation organization or one school."""
        column, value = ("pr.issuer_id", issuer_id) if issuer_id else ("b.site_id", site_id)
        rows = await self._all(
            f"SELECT * FROM ({_BATCH_SQL} WHERE {column} = ?) AS f WHERE issued > 0"
            " ORDER BY batch_id",
            (value,),
        )
        return [HandoutBatch(**dict(row)) for row in rows]

    async def book_mailing(
        self, batch_id: int, courier: str, tracking: str, person_id: int, audit: AuditEntry
    ) -> None:
        async with self.transaction():
            if await self.mailing(batch_id) is not None:
                raise Conflict("handout.already_mailed")
            audit_id = await self.append_audit(audit)
            await self._db.execute(
                "INSERT INTO batch_mailing (batch_id, courier, tracking, mailed_by, mailed_at,"
                " mail_audit_id) VALUES (?, ?, ?, ?, ?, ?)",
                (batch_id, courier, tracking, person_id, audit.at, audit_id),
            )

    async def book_receipt(self, batch_id: int, person_id: int, audit: AuditEntry) -> None:
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            cursor = await self._db.execute(
                "UPDATE batch_mailing SET received_by = ?, received_at = ?, receive_audit_id = ?"
                " WHERE batch_id = ? AND received_at IS NULL",
                (person_id, audit.at, audit_id, batch_id),
            )
            if cursor.rowcount != 1:
                raise Conflict("handout.already_received")

    async def handout_records(self, batch_id: int) -> list[HandoutRecord]:
        """The batch's issued, not void certificates, in record order, with their hand-out."""
        rows = await self._all(
            "SELECT r.id AS record_id, r.cert_no, s.name, s.id_number, h.how, h.tracking"
            " FROM record r JOIN exam_result er ON er.id = r.result_id"
            " JOIN student s ON s.id = er.student_id"
            " LEFT JOIN record_handout h ON h.record_id = r.id"
            " WHERE r.batch_id = ? AND r.status = ? AND r.void_at IS NULL ORDER BY r.id",
            (batch_id, XStatus.CONFIRMED),
        )
        return [HandoutRecord(**dict(row)) for row in rows]

    async def hand_out_records(
        self,
        batch_id: int,
        handed: Sequence[tuple[int, str, str | None]],
        person_id: int,
        audit: AuditEntry,
    ) -> None:
        """(record id, 已发放 | 已转寄, tracking); the database refuses a second hand-out."""
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            await self._db.executemany(
                "INSERT INTO record_handout (record_id, batch_id, how, tracking, person_id,"
                " audit_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(r, batch_id, how, no, person_id, audit_id, audit.at) for r, how, no in handed],
            )

    async def handout_counts(self, record_filter: RecordFilter) -> dict[str, int]:
        """Issued, not void certificates of the filter per hand-out stage."""
        where, params = record_where(record_filter)
        rows = await self._all(
            "SELECT CASE WHEN h.how IS NOT NULL THEN h.how"
            f" WHEN m.received_at IS NOT NULL THEN '{HandoutStage.RECEIVED}'"
            f" WHEN m.batch_id IS NOT NULL THEN '{HandoutStage.MAILED}' END AS stage,"
            " COUNT(*) AS n"
            f" FROM ({_RECORD_SQL}{where}) AS f"
            " LEFT JOIN batch_mailing m ON m.batch_id = f.batch_id"
            " LEFT JOIN record_handout h ON h.record_id = f.id"
            " WHERE f.status = ? AND f.void_at IS NULL GROUP BY stage",
            [*params, XStatus.CONFIRMED],
        )
        return {row["stage"]: row["n"] for row in rows if row["stage"] is not None}

    async def received_not_handed_out(self, before: str) -> list[HandoutBatch]:
        """Batches received before `before` with certificates not handed out yet."""
        rows = await self._all(
            f"SELECT * FROM ({_BATCH_SQL} WHERE m.received_at < ?) AS f WHERE handed < issued"
            " ORDER BY batch_id",
            (before,),
        )
        return [HandoutBatch(**dict(row)) for row in rows]

    # Graduation certificates

    async def seal_roster(self, school_id: int, term: str) -> list[RosterGraduate]:
        """Every approved, numbered, not voided graduate of the school's term, by number."""
        rows = await self._all(
            "SELECT g.id, g.name, g.id_number, g.cert_no, g.qualification_no,"
            " CASE WHEN h.graduate_id IS NULL THEN 0 ELSE 1 END AS handed"
            " FROM graduate g JOIN grad_item i ON i.graduate_id = g.id AND i.declaration = 1"
            " LEFT JOIN graduate_handout h ON h.graduate_id = g.id"
            " WHERE g.school_id = ? AND g.graduated = ? AND i.status = ?"
            " AND g.cert_no IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id)"
            " ORDER BY g.cert_no",
            (school_id, term, GradStatus.APPROVED),
        )
        return [RosterGraduate(**(dict(row) | {"handed": bool(row["handed"])})) for row in rows]

    async def printed_blanks(self, school_id: int, term: str) -> list[PrintedBlank]:
        """Printed or sealed blanks issued to the school or carrying a graduate of its term."""
        rows = await self._all(
            "SELECT b.serial, b.state, b.school_id, b.graduate_id, g.name,"
            " g.school_id AS graduate_school_id, g.graduated,"
            " (SELECT COUNT(*) FROM blank_event e WHERE e.serial = b.serial"
            "  AND e.event = 'print') AS prints,"
            " EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id) AS voided"
            " FROM blank b JOIN graduate g ON g.id = b.graduate_id"
            " WHERE b.state IN (?, ?)"
            " AND ((b.school_id = ? AND g.graduated = ?) OR (g.school_id = ? AND g.graduated = ?))"
            " ORDER BY b.serial",
            (BlankState.PRINTED, BlankState.SEALED, school_id, term, school_id, term),
        )
        return [PrintedBlank(**(dict(row) | {"voided": bool(row["voided"])})) for row in rows]

    async def printed_terms(self) -> list[tuple[int, str]]:
        """(school id, term) with blanks printed and not sealed yet."""
        rows = await self._all(
            "SELECT DISTINCT g.school_id, g.graduated FROM blank b"
            " JOIN graduate g ON g.id = b.graduate_id WHERE b.state = ?"
            " ORDER BY g.school_id, g.graduated",
            (BlankState.PRINTED,),
        )
        return [(row[0], row[1]) for row in rows]

    async def sealed_terms(self, school_id: int) -> list[tuple[int, str]]:
        """(school id, term) of the school's terms with sealed certificates."""
        rows = await self._all(
            "SELECT DISTINCT g.school_id, g.graduated FROM blank b"
            " JOIN graduate g ON g.id = b.graduate_id WHERE b.state = ? AND g.school_id = ?"
            " ORDER BY g.graduated",
            (BlankState.SEALED, school_id),
        )
        return [(row[0], row[1]) for row in rows]

    async def seal_blanks(
        self, school_id: int, serials: Sequence[str], person_id: int, audit: AuditEntry
    ) -> None:
        """验印: the printed blanks move to 已验印 with a `seal` event each, all or none."""
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            sealed = 0
            # Set-wise, a chunk of serials per statement: a term may hold thousands of blanks.
            for chunk in chunks(serials, self.driver.max_params - 4):
                marks = ",".join("?" * len(chunk))
                await self._db.execute(
                    "INSERT INTO blank_event (serial, event, person_id, school_id, graduate_id,"
                    " audit_id, at) SELECT serial, 'seal', ?, ?, graduate_id, ?, ? FROM blank"
                    f" WHERE serial IN ({marks}) ORDER BY serial",
                    (person_id, school_id, audit_id, audit.at, *chunk),
                )
                cursor = await self._db.execute(
                    "UPDATE blank SET state = ?, updated_at = ?"
                    f" WHERE state = ? AND serial IN ({marks})",
                    (BlankState.SEALED, audit.at, BlankState.PRINTED, *chunk),
                )
                sealed += cursor.rowcount
            if sealed != len(serials):
                raise Conflict("seal.changed_meanwhile")

    async def sealed_serials(self, graduate_ids: Sequence[int]) -> dict[int, str]:
        """Graduate id -> the serial of their sealed certificate."""
        rows = await self._all_in(
            f"SELECT graduate_id, serial FROM blank WHERE state = '{BlankState.SEALED}'"
            " AND graduate_id IN ({marks})",
            list(graduate_ids),
        )
        return {row[0]: row[1] for row in rows}

    async def hand_out_graduates(
        self, handed: Sequence[tuple[int, str]], person_id: int, audit: AuditEntry
    ) -> None:
        """(graduate id, serial); the database refuses a held, unsealed or twice handed one."""
        async with self.transaction():
            audit_id = await self.append_audit(audit)
            await self._db.executemany(
                "INSERT INTO graduate_handout (graduate_id, serial, person_id, audit_id, at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(gid, serial, person_id, audit_id, audit.at) for gid, serial in handed],
            )

    async def grad_handout_counts(self, school_id: int | None, term: str | None) -> dict[str, int]:
        """Graduates whose certificate is sealed (已验印), and handed out (已发放) and not void."""
        where, params = graduate_where(school_id, term)
        row = await self._one(
            "SELECT"
            " (SELECT COUNT(DISTINCT b.graduate_id) FROM blank b JOIN graduate g"
            f"  ON g.id = b.graduate_id {where} AND b.state = ?),"
            " (SELECT COUNT(*) FROM graduate_handout h JOIN graduate g"
            f"  ON g.id = h.graduate_id {where}"
            "  AND NOT EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id))",
            [*params, BlankState.SEALED, *params],
        )
        assert row is not None
        return {BlankState.SEALED: int(row[0]), Delivery.HANDED: int(row[1])}
