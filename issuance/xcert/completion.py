"""完善学生信息: the evaluator flags student info a school must fix; the school fixes it.

Fixes come one by one (chat) or as the corrected problem list (XLSX), applied all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from issuance.core.catalog import DEFAULT_LOCALE, t
from issuance.core.errors import DomainError, Forbidden, Invalid, NotFound
from issuance.core.idcard import mask, parse_id_number
from issuance.core.people import SCHOOL_ROLES, OrgKind, Person
from issuance.core.records import STUDENT_TYPES, Problem
from issuance.core.text import has_bad_characters
from issuance.core.vocabulary import Party
from issuance.formats.tabular import (
    Column,
    NumberText,
    RowError,
    RowErrors,
    read_table,
    write_table_bytes,
)
from issuance.xcert import notices
from issuance.xcert.service import Issuance

FIELDS = ("name", "id_number", "student_type")
DEFAULT_DAYS = 7
MAX_NAME = 30
MAX_NOTE = 200
SHEET_HEADERS = (
    "问题编号",
    "证书编号",
    "学生姓名",
    "身份证号",
    "需完善项",
    "说明",
    "截止日期",
    "更正值",
)
SHEET_COLUMNS = (
    Column("problem", "问题编号", "problem"),
    Column("value", "更正值", "value"),
)
_DATE_AT_END = re.compile(r"\s*(\d{4}-\d{1,2}-\d{1,2})\s*$")


class SheetRejected(Invalid):
    """A corrected problem list with bad rows: nothing was applied."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("completion.sheet_rejected", count=len(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Fixed:
    """What a fix changed, and whether the school has nothing left to complete."""

    problems: list[Problem]
    school_done: bool


def field_label(field: str, locale: str = DEFAULT_LOCALE) -> str:
    return t(f"completion.field.{field}", locale)


def parse_note(text: str, today: date) -> tuple[str, str]:
    """A note with an optional trailing YYYY-MM-DD deadline (default: in 7 days)."""
    text = text.strip()
    deadline = today + timedelta(days=DEFAULT_DAYS)
    match = _DATE_AT_END.search(text)
    if match:
        try:
            deadline = date.fromisoformat(
                "-".join(f"{int(p):02d}" for p in match.group(1).split("-"))
            )
        except ValueError:
            raise Invalid("completion.bad_deadline") from None
        text = text[: match.start()].strip()
        if deadline < today:
            raise Invalid("completion.deadline_past")
    if not text:
        raise Invalid("completion.note_required")
    if len(text) > MAX_NOTE:
        raise Invalid("completion.note_too_long", limit=MAX_NOTE)
    return text, deadline.isoformat()


def clean_value(field: str, raw: str) -> str:
    """A corrected value, validated for its field (ID numbers by GB 11643)."""
    value = raw.strip()
    if field == "id_number":
        if isinstance(raw, NumberText):
            raise Invalid("import.id_numeric")
        return parse_id_number(value).value
    if field == "student_type":
        if value not in STUDENT_TYPES:
            raise Invalid("completion.bad_student_type", choices="、".join(STUDENT_TYPES))
        return value
    if has_bad_characters(value):
        raise Invalid("import.bad_text")
    if not value or len(value) > MAX_NAME or any(c.isdigit() for c in value):
        raise Invalid("completion.bad_name", limit=MAX_NAME)
    return value


class Completion:
    """Flagging and fixing student info, over the issuance core."""

    def __init__(self, issuance: Issuance) -> None:
        self.issuance = issuance
        self.store = issuance.store

    async def flag(
        self, actor: Person, record_ids: Sequence[int], field: str, text: str
    ) -> list[Problem]:
        """The evaluator asks the school to complete `field` of these records; school notified."""
        if actor.party != Party.EVALUATOR:
            raise Forbidden("completion.evaluator_only")
        if field not in FIELDS:
            raise Invalid("completion.bad_field")
        records = await self.issuance.records_for_act(actor, record_ids)
        note, deadline = parse_note(text, self.store.now().date())
        async with self.store.transaction():
            ids = await self.store.add_problems(
                [(r.id, field, note, deadline) for r in records], actor.id
            )
            problems = await self.store.problems(ids=ids)
            for site_id in sorted({p.site_id for p in problems}):
                await self._tell_school(site_id)
        return problems

    async def open_for(self, actor: Person) -> list[Problem]:
        """The open problems of the actor's school (staff and responsible person only)."""
        self._check_school(actor)
        return await self.store.problems(site_id=actor.org_id)

    async def fix(self, actor: Person, problem_id: int, raw: str) -> Fixed:
        """Fix one problem in the chat."""
        problem = await self.open_problem(actor, problem_id)
        value = clean_value(problem.field, raw)
        await self._check_unique(problem, value)
        return await self._apply(actor, [(problem, value)])

    async def problem_sheet(self, actor: Person) -> bytes:
        """The school's open problems as an XLSX to correct (ID numbers masked)."""
        problems = await self.open_for(actor)
        rows = [
            (
                p.id,
                p.cert_no,
                p.student_name,
                mask(p.id_number),
                field_label(p.field),
                p.note,
                p.deadline,
                "",
            )
            for p in problems
        ]
        return write_table_bytes(SHEET_HEADERS, rows, "xlsx")

    async def apply_sheet(self, actor: Person, path: Path, locale: str = DEFAULT_LOCALE) -> Fixed:
        """Apply a corrected problem list of the actor's school: every row valid, or nothing
        changes."""
        self._check_school(actor)
        return await self._apply_sheet(
            actor, await self.store.problems(site_id=actor.org_id), path, locale
        )

    async def apply_returned_sheet(
        self, actor: Person, path: Path, locale: str = DEFAULT_LOCALE
    ) -> Fixed:
        """Apply, for the evaluator who flagged them, the corrected problem list a school sent
        back (the upload page): the problems the evaluator flagged only, all or nothing."""
        if actor.party != Party.EVALUATOR:
            raise Forbidden("completion.evaluator_only")
        flagged = [p for p in await self.store.problems() if p.created_by == actor.id]
        return await self._apply_sheet(actor, flagged, path, locale)

    async def _apply_sheet(
        self, actor: Person, problems: Sequence[Problem], path: Path, locale: str
    ) -> Fixed:
        open_ = {p.id: p for p in problems}
        fixes: list[tuple[Problem, str]] = []
        with read_table(path, SHEET_COLUMNS) as table:
            errors = RowErrors(table, locale)
            for number, row in table:
                if not row["value"].strip():
                    continue
                problem = open_.get(int(row["problem"])) if row["problem"].isdigit() else None
                if problem is None:
                    errors.add(number, "problem", t("completion.no_such_problem", locale))
                    continue
                value = errors.check(
                    number, "value", partial(clean_value, problem.field), row["value"]
                )
                if value is None:
                    continue
                try:
                    await self._check_unique(problem, value)
                except DomainError as error:
                    errors.add(number, "value", error.message(locale))
                    continue
                fixes.append((problem, value))
        if errors:
            raise SheetRejected(list(errors))
        if not fixes:
            raise Invalid("completion.sheet_empty")
        return await self._apply(actor, fixes)

    async def _apply(self, actor: Person, fixes: Sequence[tuple[Problem, str]]) -> Fixed:
        done = True
        async with self.store.transaction():
            await self.store.resolve_problems(
                [(p.id, p.student_id, p.field, value) for p, value in fixes], actor.id
            )
            for site_id in sorted({p.site_id for p, _ in fixes}):
                if await self.store.problems(site_id=site_id):
                    done = False
                    continue
                await self._tell_evaluators(site_id, [p for p, _ in fixes if p.site_id == site_id])
        return Fixed([p for p, _ in fixes], done)

    async def open_problem(self, actor: Person, problem_id: int) -> Problem:
        """One open problem of the actor's school (staff and responsible person only)."""
        self._check_school(actor)
        found = await self.store.problems(ids=[problem_id], open_only=False)
        if not found or found[0].site_id != actor.org_id:
            raise NotFound("completion.no_such_problem")
        if found[0] not in await self.store.problems(ids=[problem_id]):
            raise Invalid("completion.already_fixed")
        return found[0]

    async def _check_unique(self, problem: Problem, value: str) -> None:
        if problem.field == "id_number" and await self.store.id_number_taken(
            value, problem.student_id
        ):
            raise Invalid("completion.id_taken", id_number=mask(value))

    @staticmethod
    def _check_school(actor: Person) -> None:
        if actor.org_kind != OrgKind.SCHOOL or actor.role not in SCHOOL_ROLES:
            raise Forbidden("completion.school_only")

    async def _tell_school(self, site_id: int) -> None:
        problems = await self.store.problems(site_id=site_id)
        people = await self.store.people_of(site_id, SCHOOL_ROLES)
        await notices.info_to_complete(self.store, [p.id for p in people], problems)

    async def _tell_evaluators(self, site_id: int, fixed: Sequence[Problem]) -> None:
        site = await self.store.head_of(site_id)
        school = site.org_name if site else str(site_id)
        flaggers = sorted({p.created_by for p in fixed if p.created_by is not None})
        await notices.info_completed(self.store, flaggers, school)
