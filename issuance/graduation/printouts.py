"""Graduation printouts: certificates onto blanks, the calibration page, the roster, the
statistics chart, and the public lookup. Store rows in, the pure renderers of `issuance.formats`
out."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import ParamSpec

from issuance.core.audit import AuditEntry
from issuance.core.errors import Invalid, NotFound
from issuance.core.graduates import GradOrg, NumberedGraduate
from issuance.core.idcard import mask_name, parse_id_number
from issuance.core.people import Person
from issuance.core.ports import GraduateRepository
from issuance.core.text import REASON_MAX, checked_text
from issuance.core.vocabulary import ClassLevel, SchoolLevel
from issuance.formats.charts import SchoolRates, rates_chart_png
from issuance.formats.grad_print import (
    GraduationPrint,
    Offset,
    layout_for,
    render_calibration,
    render_preview,
    render_print,
)
from issuance.formats.roster import RosterHeading, RosterLine, render_roster, roster_xlsx
from issuance.graduation.holds import HELD, is_held
from issuance.graduation.service import Graduation, term_of
from issuance.store.graduation import VOIDED

P = ParamSpec("P")
VALID, VOID = "valid", "void"
_CERT_NO = re.compile(r"[0-9]{1,32}")
# sharp enough to read every filled-in word in a chat, small enough to send as a photo
PREVIEW_DPI = 150


# Renders run in one background thread: the event loop that also serves chats and web pages is
# not held up by a long term, and the fonts the renderers share are never used by two at once.
_RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grad-render")


async def rendered(render: Callable[P, bytes], *args: P.args, **kwargs: P.kwargs) -> bytes:
    """`render(*args, **kwargs)` in the renderers' thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_RENDERER, partial(render, *args, **kwargs))


def _month(value: str) -> date:
    """A stored YYYYMM as the first day of that month."""
    return date(int(value[:4]), int(value[4:6]), 1)


def _term_label(term: str) -> str:
    return f"{int(term[:4])}年{int(term[4:])}月"


def _level(school: GradOrg) -> SchoolLevel:
    """The school's 办学层次; `Graduation.school` only returns 技工院校, which all have one."""
    assert school.level is not None
    return SchoolLevel(school.level)


def _print_view(row: NumberedGraduate) -> GraduationPrint:
    return GraduationPrint(
        cert_no=row.cert_no,
        name=row.name,
        sex=row.sex,
        birth_date=parse_id_number(row.id_number).birth_date,
        enrolled=_month(row.enrolled),
        graduated=_month(row.graduated),
        class_level=ClassLevel(row.class_level),
        major=row.major,
        study_years=row.years,
        school_name=row.school_name,
        issued_on=date.fromisoformat(row.numbered_at[:10]),
    )


def _roster_line(row: NumberedGraduate) -> RosterLine:
    return RosterLine(
        cert_no=row.cert_no,
        name=row.name,
        id_number=row.id_number,
        enrolled=_month(row.enrolled),
        graduated=_month(row.graduated),
        class_level=row.class_level,
        major=row.major,
        schooling=f"{row.years}年",
        study_mode=row.study_mode,
        remark=VOIDED if row.voided else "" if row.qualification_no else HELD,
    )


@dataclass(frozen=True)
class GraduationAnswer:
    """What the public lookup shows: never the ID number, the name masked."""

    cert_no: str
    name: str
    school: str
    major: str
    class_level: str
    study_mode: str
    enrolled: str
    graduated: str
    # 暂缓发放: numbered, but no qualification recorded yet
    held: bool = False
    # "valid", or "void" for a certificate voided (作废) with `qianfa grad void`
    status: str = VALID


class Printouts:
    """Use cases of graduation printing, rosters, statistics and lookup."""

    def __init__(self, grad: Graduation, store: GraduateRepository) -> None:
        self.grad = grad
        self.store = store

    async def _school(self, code: str) -> GradOrg:
        return await self.grad.school(code)

    async def offset(self, school: GradOrg) -> Offset:
        """The school's printer offset; a school never calibrated prints at the layout's places."""
        stored = await self.store.print_offset(school.id)
        return Offset(*stored) if stored else Offset()

    async def print_pdf(self, school_code: str, term: str) -> tuple[bytes, list[int]]:
        """The term's numbered certificates on the school's blank layout, offset applied, and
        the graduate ids page by page (to book printed blanks against)."""
        school = await self._school(school_code)
        rows = await self.store.numbered_graduates(school.id, term_of(term))
        if not rows:
            raise Invalid("gradprint.no_certificates")
        layout = layout_for(_level(school))
        views = [_print_view(r) for r in rows]
        pdf = await rendered(render_print, views, layout, await self.offset(school))
        return pdf, [int(r.id) for r in rows]

    async def calibration_pdf(self, school_code: str) -> bytes:
        """The school's calibration page, with its current offset."""
        school = await self._school(school_code)
        return await rendered(
            render_calibration, layout_for(_level(school)), await self.offset(school)
        )

    async def calibrate(
        self, school_code: str, dx_mm: float, dy_mm: float, by: str | None
    ) -> Offset:
        """Set the school's printer offset; only its own 经办人 may, or the operator."""
        school = await self._school(school_code)
        actor: Person | None = None
        if by:
            actor = await self.grad.clerk_of(school, by)
        offset = Offset(round(dx_mm, 1), round(dy_mm, 1))
        who = f"person:{actor.id}" if actor else "admin"
        entry = AuditEntry(
            self.store.now_iso(),
            who,
            "grad.calibrate",
            f"school:{school.id}",
            f"dx={offset.dx_mm} dy={offset.dy_mm}",
        )
        await self.store.set_print_offset(
            school.id, offset.dx_mm, offset.dy_mm, actor.id if actor else None, entry
        )
        return offset

    async def roster(
        self, school_code: str, term: str, fmt: str, mask_ids: bool = False
    ) -> tuple[bytes, int]:
        """The term's roster as PDF or XLSX; `mask_ids` for anything shown in a chat."""
        school = await self._school(school_code)
        term = term_of(term)
        rows = await self.store.numbered_graduates(school.id, term)
        if not rows:
            raise Invalid("roster.empty")
        lines = [_roster_line(r) for r in rows]
        if fmt == "xlsx":
            return await rendered(roster_xlsx, lines, mask_ids), len(lines)
        heading = RosterHeading(school.name, _term_label(term))
        return await rendered(render_roster, heading, lines, mask_ids), len(lines)

    async def rates(self, year: int, school_code: str | None) -> list[tuple[str, SchoolRates]]:
        """Per school (code, counts): the year's graduates and both rates' counts."""
        school_id = (await self._school(school_code)).id if school_code else None
        rows = await self.store.graduation_rates(year, school_id)
        return [
            (
                r.code,
                SchoolRates(r.name, int(r.graduates), int(r.qualified), int(r.employed)),
            )
            for r in rows
        ]

    def chart(self, year: int, rates: list[SchoolRates]) -> bytes:
        """The province's bar chart of both rates."""
        return rates_chart_png(year, rates)

    async def lookup(self, cert_no: str, name: str) -> GraduationAnswer:
        """查询: number and name must both match; a wrong name is answered as not found."""
        # Chinese input methods type full-width digits (１２３): NFKC folds them to ASCII.
        cert_no, name = unicodedata.normalize("NFKC", cert_no).strip(), name.strip()
        if not _CERT_NO.fullmatch(cert_no) or not name:
            raise Invalid("gradlookup.bad_input")
        row = await self.store.graduate_by_cert_no(cert_no)
        if row is None or row.name != name:
            raise NotFound("gradlookup.not_found")
        return GraduationAnswer(
            cert_no=row.cert_no,
            name=mask_name(row.name),
            school=row.school_name,
            major=row.major,
            class_level=row.class_level,
            study_mode=row.study_mode,
            enrolled=_term_label(row.enrolled),
            graduated=_term_label(row.graduated),
            held=is_held(row.cert_no, row.qualification_no),
            status=VOID if await self.store.graduation_void(int(row.id)) else VALID,
        )

    async def void(self, cert_no: str, reason: str) -> str:
        """作废 a graduation certificate (audited, final); the number is never reused."""
        reason = checked_text(reason, REASON_MAX, "void.reason_bad_text", "void.reason_too_long")
        if not reason:
            raise Invalid("void.reason_required")
        row = await self.store.graduate_by_cert_no(cert_no.strip())
        if row is None:
            raise NotFound("void.unknown", cert_no=cert_no.strip())
        entry = AuditEntry(
            self.store.now_iso(), "admin", "grad.void", f"graduate:{row.id}", reason=reason
        )
        await self.store.void_graduation(int(row.id), reason, entry)
        return str(row.cert_no)

    async def preview(self, school_code: str, term: str) -> bytes:
        """A PNG of the term's first certificate filled in over the drawing of the blank."""
        school = await self._school(school_code)
        rows = await self.store.numbered_graduates(school.id, term_of(term))
        if not rows:
            raise Invalid("gradprint.no_certificates")
        layout = layout_for(_level(school))
        return await rendered(render_preview, _print_view(rows[0]), layout, PREVIEW_DPI)
