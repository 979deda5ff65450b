"""Store queries behind graduation printouts: numbered graduates of a term, printer offsets,
per-school statistics, and the public lookup by certificate number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from issuance.core.errors import Conflict
from issuance.core.graduates import GraduationRate, GraduationVoid, NumberedGraduate
from issuance.core.vocabulary import PLACED
from issuance.store.base import BaseStore
from issuance.store.driver import Row

if TYPE_CHECKING:
    from issuance.core.audit import AuditEntry

# who counts as employed in the province's 就业率: in work, or gone on to further study

_NUMBERED_SQL = (
    "SELECT g.id, g.name, g.id_number, g.sex, g.major, g.class_level, g.enrolled, g.graduated,"
    " g.years, g.study_mode, g.qualification_no, g.cert_no, g.numbered_at, o.name AS school_name,"
    " o.level AS school_level,"
    " EXISTS (SELECT 1 FROM grad_void v WHERE v.graduate_id = g.id) AS voided"
    " FROM graduate g JOIN org o ON o.id = g.school_id"
)


def _numbered(row: Row) -> NumberedGraduate:
    return NumberedGraduate(**(dict(row) | {"voided": bool(row["voided"])}))


class GradOutputQueries(BaseStore):
    """Reads for printing, the roster, statistics and lookup; the one write is a printer offset."""

    if TYPE_CHECKING:

        async def append_audit(self, entry: AuditEntry) -> int: ...

    async def numbered_graduates(self, school_id: int, term: str) -> list[NumberedGraduate]:
        """A school's graduates of a term whose declaration is approved (numbered), by number."""
        rows = await self._all(
            f"{_NUMBERED_SQL} WHERE g.school_id = ? AND g.graduated = ? AND g.cert_no IS NOT NULL"
            " ORDER BY g.cert_no",
            (school_id, term),
        )
        return [_numbered(row) for row in rows]

    async def graduate_by_cert_no(self, cert_no: str) -> NumberedGraduate | None:
        """The numbered graduate holding `cert_no`, with the school's name."""
        row = await self._one(f"{_NUMBERED_SQL} WHERE g.cert_no = ?", (cert_no,))
        return _numbered(row) if row else None

    async def print_offset(self, school_id: int) -> tuple[float, float] | None:
        """The school's printer offset (dx, dy in mm), or None if never calibrated."""
        row = await self._one(
            "SELECT dx_mm, dy_mm FROM grad_print_offset WHERE school_id = ?", (school_id,)
        )
        return (float(row["dx_mm"]), float(row["dy_mm"])) if row else None

    async def set_print_offset(
        self, school_id: int, dx_mm: float, dy_mm: float, person_id: int | None, audit: AuditEntry
    ) -> None:
        """Replace the school's printer offset and log it."""
        async with self.transaction():
            await self.append_audit(audit)
            await self._db.execute(
                "INSERT INTO grad_print_offset (school_id, dx_mm, dy_mm, set_by, set_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (school_id) DO UPDATE SET"
                " dx_mm = excluded.dx_mm, dy_mm = excluded.dy_mm, set_by = excluded.set_by,"
                " set_at = excluded.set_at",
                (school_id, dx_mm, dy_mm, person_id, audit.at),
            )

    async def graduation_rates(self, year: int, school_id: int | None) -> list[GraduationRate]:
        """Per school, graduates of `year`: how many, with a qualification, employed."""
        marks = ",".join("?" * len(PLACED))
        where = "substr(g.graduated, 1, 4) = ?" + (" AND g.school_id = ?" if school_id else "")
        params: list[object] = [*PLACED, f"{year:04d}"]
        if school_id:
            params.append(school_id)
        rows = await self._all(
            "SELECT o.code, o.name, COUNT(*) AS graduates,"
            " COUNT(g.qualification_no) AS qualified,"
            f" SUM(CASE WHEN g.employment IN ({marks}) THEN 1 ELSE 0 END) AS employed"
            f" FROM graduate g JOIN org o ON o.id = g.school_id WHERE {where}"
            " GROUP BY o.id, o.code, o.name ORDER BY o.code",
            params,
        )
        return [
            GraduationRate(
                row["code"],
                row["name"],
                row["graduates"],
                row["qualified"],
                int(row["employed"] or 0),
            )
            for row in rows
        ]

    async def approved_terms(self, school_id: int) -> list[tuple[str, int]]:
        """(term, graduates) of a school's terms with numbered graduates (what it can print),
        latest first."""
        rows = await self._all(
            "SELECT graduated AS term, COUNT(*) AS graduates FROM graduate"
            " WHERE school_id = ? AND cert_no IS NOT NULL GROUP BY graduated"
            " ORDER BY graduated DESC",
            (school_id,),
        )
        return [(row["term"], row["graduates"]) for row in rows]

    async def graduation_void(self, graduate_id: int) -> GraduationVoid | None:
        """The 作废 of a graduate's certificate (reason, when), if it was voided."""
        row = await self._one(
            "SELECT reason, voided_at FROM grad_void WHERE graduate_id = ?", (graduate_id,)
        )
        return GraduationVoid(**dict(row)) if row else None

    async def void_graduation(self, graduate_id: int, reason: str, audit: AuditEntry) -> None:
        """作废 a graduation certificate, once, with its audit entry."""
        async with self.transaction():
            if await self.graduation_void(graduate_id) is not None:
                raise Conflict("void.already")
            await self.append_audit(audit)
            await self._db.execute(
                "INSERT INTO grad_void (graduate_id, reason, voided_at) VALUES (?, ?, ?)",
                (graduate_id, reason, audit.at),
            )
