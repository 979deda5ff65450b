"""Qualifications, employment and grades of graduates: the imports (职业资格证书新增, 就业新增,
成绩管理), certificate matching (证书比对) and the hold (暂缓发放).

Every row names a graduate by ID number and name. A qualification row that matches no graduate is
kept for the 经办人 to see, not applied; employment and grade rows that match no graduate are bad
rows, and then nothing is written. A numbered graduate without a recorded qualification is held.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from issuance.core.audit import AuditEntry
from issuance.core.catalog import t
from issuance.core.errors import Invalid, NotFound
from issuance.core.graduate_fields import FIRST_YEAR, ascii_digits
from issuance.core.graduates import (
    GradeRow,
    GradOrg,
    PendingQualification,
    QualifiedGraduate,
)
from issuance.core.idcard import check_character, mask, mask_ref
from issuance.core.people import OrgKind
from issuance.core.ports import GraduateRepository, StagedCorrection
from issuance.formats.tabular import Column, NumberText, Row, read_table
from issuance.graduation.holds import is_held
from issuance.graduation.importing import EMPLOYMENT
from issuance.importing import (
    PERSON_NAME_MAX,
    Checker,
    ImportReport,
    id_numbers,
    read_chunks,
    read_rows,
    reported,
)

QUALIFICATION_COLUMNS = (
    Column("name", "姓名", "name"),
    Column("id_number", "身份证号", "id_number"),
    Column("qualification_no", "职业资格证书编号", "qualification_no"),
    Column("qualification_level", "职业资格等级", "qualification_level"),
    Column("occupation", "职业(工种)", "occupation", required=False),
    Column("issued_on", "发证日期", "issued_on", required=False),
)
EMPLOYMENT_COLUMNS = (
    Column("name", "姓名", "name"),
    Column("id_number", "身份证号", "id_number"),
    Column("employment", "就业情况", "employment"),
    Column("employer", "就业单位", "employer", required=False),
)
GRADE_COLUMNS = (
    Column("id_number", "身份证号", "id_number"),
    Column("name", "姓名", "name"),
    Column("course", "课程", "course"),
    Column("score", "成绩", "score"),
    Column("teacher", "任课教师", "teacher"),
    Column("semester", "学期", "semester", required=False),
)
# Columns only a graduates file has: it is one of those, whatever else it holds.
_GRADUATE_MARKERS = (
    Column("school", "所属院校", "school"),
    Column("major_code", "专业代码", "major_code"),
)
# 职业资格等级: the five levels by number, by name, or both (三级/高级工).
_LEVEL_NAMES = ("初级工", "中级工", "高级工", "技师", "高级技师")
_LEVEL_NUMBERS = ("五级", "四级", "三级", "二级", "一级")
_LEVEL = re.compile(rf"^(?:({'|'.join(_LEVEL_NUMBERS)})\s*[/／]?\s*)?({'|'.join(_LEVEL_NAMES)})?$")
_ID_NUMBER_FORM = re.compile(r"[0-9]{17}[0-9X]")
_QUALIFICATION_NO = re.compile(r"^[0-9A-Za-z-]{4,40}$")
_DAY = re.compile(r"^(\d{4})[-./年]?(\d{1,2})[-./月]?(\d{1,2})日?$")
_SCORE = re.compile(r"^\d{1,3}(?:\.\d{1,2})?$")
SCORE_WORDS = ("优秀", "良好", "中等", "及格", "不及格", "合格", "不合格")
# Excel keeps 15 significant digits: a longer number typed as a number may have changed.
_EXCEL_DIGITS = 15
_LIMITS = {**PERSON_NAME_MAX, "teacher": PERSON_NAME_MAX["name"], "course": 60, "employer": 100}
# The imports that take --school.
SCHOOL_SCOPED = ("qualifications", "employment", "grades")
# Distinct values of a cell answered once per file (a hostile file's are not all kept).
_REMEMBERED = 10_000
_T = TypeVar("_T")
_EMPLOYMENT = frozenset(EMPLOYMENT)


@dataclass(frozen=True)
class QualificationReport(ImportReport):
    """A qualifications import: rows applied, and the rows kept because they matched no one."""

    kept: tuple[PendingQualification, ...] = ()
    rows_kept: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        result = super().as_json()
        result["kept"] = [
            {"row": row, **_pending_json(p)}
            for row, p in zip(self.rows_kept, self.kept, strict=True)
        ]
        return result

    def lines(self, locale: str = "zh") -> list[str]:
        return [
            t(f"qual.kept.{p.reason}", locale, row=row, **_pending_json(p))
            for row, p in zip(self.rows_kept, self.kept, strict=True)
        ]


@dataclass(frozen=True)
class GradeReport(ImportReport):
    """A grades import: rows written, and how many replaced an earlier grade of the course."""

    replaced: int = 0

    def as_json(self) -> dict[str, Any]:
        return super().as_json() | {"replaced": self.replaced}


def _pending_json(p: PendingQualification) -> dict[str, Any]:
    """A kept row as shown: the ID number masked."""
    return {
        "name": p.name,
        "id_number_masked": mask(p.id_number),
        "qualification_no": p.qualification_no,
        "reason": p.reason,
        "graduate_name": p.graduate_name or "",
    }


def notes(report: ImportReport, locale: str = "zh") -> list[str]:
    """Lines telling what a qualifications or grades import kept or replaced (none for others)."""
    if isinstance(report, QualificationReport):
        head = t("qual.cli.kept", locale, count=len(report.kept)) if report.kept else None
        return ([head] if head else []) + report.lines(locale)
    if isinstance(report, GradeReport) and report.replaced:
        return [t("qual.cli.grades_replaced", locale, count=report.replaced)]
    return []


async def school_of(store: GraduateRepository, code: str | None) -> GradOrg | None:
    """The 技工院校 an import is restricted to, or None for every school."""
    if not code:
        return None
    org = (await store.grad_orgs_by_code([code])).get(code)
    if org is None or org.kind != OrgKind.TECH_SCHOOL:
        raise NotFound("grad.school_unknown", code=code)
    return org


Body = Callable[[GraduateRepository, Path, str, GradOrg | None, str], Awaitable[ImportReport]]


def _school_scoped(body: Body) -> Callable[..., Awaitable[ImportReport]]:
    """An importer taking `school` (a code, or a 技工院校 already resolved) and the audit log's
    `actor` besides the usual arguments."""

    @functools.wraps(body)
    async def importer(
        store: GraduateRepository,
        path: Path,
        locale: str = "zh",
        school: str | GradOrg | None = None,
        actor: str = "cli",
    ) -> ImportReport:
        org = school if isinstance(school, GradOrg) else await school_of(store, school)
        return await reported(body(store, path, locale, org, actor), locale)

    return importer


async def _rows_with_graduates(
    store: GraduateRepository,
    path: Path,
    columns: Sequence[Column],
    locale: str,
    school: GradOrg | None,
) -> tuple[Checker, list[Any], dict[int, str], dict[str, QualifiedGraduate]]:
    """The file's rows, each row's ID number, and the graduates those numbers name (the latest
    term's, of `school` when given)."""
    checker, rows = read_rows(path, columns, locale, _LIMITS)
    numbers = id_numbers(checker, rows)
    graduates = await store.latest_graduates(numbers.values(), school.id if school else None)
    return checker, rows, numbers, graduates


def _matched(
    checker: Checker, row: int, v: dict[str, str], graduate: QualifiedGraduate | None, number: str
) -> bool:
    """Whether the row's name is the name of the graduate with its ID number; else a bad row."""
    if graduate is None:
        checker.fail(row, "id_number", "qual.import.no_graduate", id=mask(number))
        return False
    if graduate.name != v["name"]:
        checker.fail(row, "name", "qual.import.name_mismatch", name=graduate.name)
        return False
    return True


def _first_rows(checker: Checker, rows: Sequence[tuple[int, tuple[str, ...]]]) -> set[int]:
    """Rows whose key appears first in the file; repeats are bad rows."""
    seen: dict[tuple[str, ...], int] = {}
    for row, key in rows:
        if key in seen:
            checker.fail(row, "id_number", "import.duplicate_in_file", first=seen[key])
        else:
            seen[key] = row
    return set(seen.values())


def _import_audit(
    store: GraduateRepository, actor: str, action: str, school: GradOrg | None, path: Path
) -> AuditEntry:
    """The audit entry of an import: who, which school's (or all), which file."""
    subject = f"school:{school.code}" if school else "all"
    return AuditEntry(store.now_iso(), actor, action, subject, path.name)


def _qualification_checked(
    checker: Checker, row: int, v: dict[str, str], day: Callable[[str], str | None]
) -> tuple[bool, str | None]:
    """Whether a qualification row's cells are good (bad ones reported), and its 发证日期."""
    number, level, issued = (
        v.get("qualification_no"),
        v.get("qualification_level"),
        v.get("issued_on"),
    )
    # The usual row, every cell good, settled in a few lookups.
    if (
        v.get("name")
        and type(number) is str
        and _QUALIFICATION_NO.match(number)
        and level
        and _level_ok(level)
    ):
        issued_on = day(issued or "")
        if not issued or issued_on is not None:
            return True, issued_on
    ok = checker.required(row, v, ("name", "qualification_no", "qualification_level"))
    if isinstance(v.get("qualification_no"), NumberText) and len(v["qualification_no"]) > (
        _EXCEL_DIGITS
    ):
        checker.fail(row, "qualification_no", "qual.import.number_numeric")
        ok = False
    elif v.get("qualification_no") and not _QUALIFICATION_NO.match(v["qualification_no"]):
        checker.fail(row, "qualification_no", "qual.import.number")
        ok = False
    if v.get("qualification_level") and not _level_ok(v["qualification_level"]):
        checker.fail(row, "qualification_level", "qual.import.level")
        ok = False
    issued_on = day(v.get("issued_on") or "")
    if v.get("issued_on") and issued_on is None:
        checker.fail(row, "issued_on", "qual.import.day")
        ok = False
    return ok, issued_on


@_school_scoped
async def import_qualifications(
    store: GraduateRepository, path: Path, locale: str, school: GradOrg | None, actor: str
) -> ImportReport:
    """职业资格证书新增: applied to the graduate of the same ID number and name; others kept.
    Read, checked and staged a chunk at a time; matched with graduates and written at the end,
    in SQL over the staged rows."""
    with read_chunks(path, QUALIFICATION_COLUMNS, locale, _LIMITS) as (checker, chunks):
        rows = _QualificationRows(checker)
        async with store.correction_import():
            for chunk in chunks:
                numbers, first = await _chunk_firsts(store, checker, chunk)
                rows.numbered += len(numbers)
                await store.stage_qualifications(rows.staged(chunk, numbers, first))
            if (refused := checker.refused()) is not None:
                return refused
            unmatched = await store.match_staged_qualifications(_id(school))
            kept = [pending for _, pending in unmatched]
            audit = _import_audit(store, actor, "grad.qualification.import", school, path)
            source = f"qualifications:{path.name}"
            await store.record_staged_qualifications(kept, source, audit)
    applied = rows.numbered - len(kept)
    return QualificationReport(applied, (), tuple(kept), tuple(row for row, _ in unmatched))


def _id(school: GradOrg | None) -> int | None:
    return school.id if school else None


class _QualificationRows:
    """The row checks of a qualifications file, and how many rows had an ID number."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.day = _per_file(_day)
        self.numbered = 0

    def staged(
        self, chunk: list[Row], numbers: dict[int, str], first: set[int]
    ) -> list[StagedCorrection]:
        """The chunk's rows first with their ID number, as staged (bad ones reported)."""
        staged: list[StagedCorrection] = []
        for row, v in chunk:
            ok, issued_on = _qualification_checked(self.checker, row, v, self.day)
            number = numbers.get(row)
            if number is not None and row in first:
                # A bad row is staged too (a later repeat of its number is one), and then the
                # file is refused.
                staged.append(
                    (
                        row,
                        number,
                        v.get("name"),
                        v.get("qualification_no"),
                        v.get("qualification_level"),
                        v.get("occupation") or None,
                        issued_on if ok else None,
                    )
                )
        return staged


@_school_scoped
async def import_employment(
    store: GraduateRepository, path: Path, locale: str, school: GradOrg | None, actor: str
) -> ImportReport:
    """就业新增: each graduate's 就业情况 (and 就业单位), all or nothing. Read, checked and staged
    a chunk at a time; written in one transaction at the end."""
    with read_chunks(path, EMPLOYMENT_COLUMNS, locale, _LIMITS) as (checker, chunks):
        updated = [0]
        async with store.correction_import():
            for chunk in chunks:
                numbers, first, graduates = await _chunk_matches(store, checker, chunk, school)
                staged = _employment_staged(checker, chunk, numbers, first, graduates, updated)
                await store.stage_corrections(staged)
            if (refused := checker.refused()) is not None:
                return refused
            audit = _import_audit(store, actor, "grad.employment.import", school, path)
            await store.record_staged_corrections(f"employment:{path.name}", audit)
    return ImportReport(updated[0], ())


def _employment_staged(
    checker: Checker,
    chunk: list[Row],
    numbers: dict[int, str],
    first: set[int],
    graduates: dict[str, QualifiedGraduate],
    updated: list[int],
) -> Iterator[StagedCorrection]:
    """The chunk's employment rows first with their ID number, as staged (bad ones reported);
    `updated` counts the good ones."""
    for row, v in chunk:
        ok = bool(v.get("name")) and v.get("employment") in _EMPLOYMENT  # the usual row
        if not ok:
            ok = checker.required(row, v, ("name", "employment"))
            if v.get("employment"):
                ok = checker.one_of(row, "employment", v["employment"], EMPLOYMENT) and ok
        number = numbers.get(row)
        if number is None or row not in first:
            continue
        graduate = graduates.get(number)
        if not _matched(checker, row, v, graduate, number) or not ok:
            yield (row, number)
            continue
        assert graduate is not None
        updated[0] += 1
        yield (row, number, int(graduate.id), v["employment"], v.get("employer") or None)


async def _chunk_firsts(
    store: GraduateRepository, checker: Checker, chunk: list[Row]
) -> tuple[dict[int, str], set[int]]:
    """The chunk's ID numbers by row, and the rows first with their number in the file (a
    repeat, of this chunk or an earlier one, reported as a bad row)."""
    numbers = _id_numbers(checker, chunk)
    earlier = await store.staged_lines(numbers.values())
    seen: dict[str, int] = {}
    for row, number in numbers.items():
        line = earlier.get(number)
        if line is None:
            line = seen.get(number)
        if line is None:
            seen[number] = row
        else:
            checker.fail(row, "id_number", "import.duplicate_in_file", first=line)
    return numbers, set(seen.values())


async def _chunk_matches(
    store: GraduateRepository, checker: Checker, chunk: list[Row], school: GradOrg | None
) -> tuple[dict[int, str], set[int], dict[str, QualifiedGraduate]]:
    """`_chunk_firsts`, and the graduates the first rows' numbers name (the latest term's, of
    `school` when given)."""
    numbers, first = await _chunk_firsts(store, checker, chunk)
    graduates = await store.latest_graduates([numbers[row] for row in first], _id(school))
    return numbers, first, graduates


def _id_numbers(checker: Checker, chunk: list[Row]) -> dict[int, str]:
    """`id_numbers` of the chunk, a cell already in its stored form settled in a few steps."""
    numbers: dict[int, str] = {}
    for row, v in chunk:
        number = v.get("id_number")
        if (
            type(number) is str
            and _ID_NUMBER_FORM.fullmatch(number)
            and _birth_ok(number[6:14])
            and check_character(number[:17]) == number[17]
        ):
            numbers[row] = number
        else:
            numbers.update(id_numbers(checker, [(row, v)]))
    return numbers


@functools.lru_cache(maxsize=4096)
def _birth_ok(digits: str) -> bool:
    """Whether an ID number's YYYYMMDD is a birth `parse_id_number` takes (one it may refuse
    today, a future day, is not cached as good: `id_numbers` decides it)."""
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return born.year >= 1900 and born <= date.today()


@_school_scoped
async def import_grades(
    store: GraduateRepository, path: Path, locale: str, school: GradOrg | None, actor: str
) -> ImportReport:
    """成绩管理: each graduate's grade per course with the teacher; a course's grade replaces
    the earlier one (kept in history). All or nothing."""
    checker, rows, numbers, graduates = await _rows_with_graduates(
        store, path, GRADE_COLUMNS, locale, school
    )
    first = _first_rows(
        checker,
        [(row, (numbers[row], v.get("course", ""))) for row, v in rows if row in numbers],
    )
    grades: list[GradeRow] = []
    for row, v in rows:
        ok = checker.required(row, v, ("name", "course", "score", "teacher"))
        score = v.get("score", "")
        if score and not (score in SCORE_WORDS or (_SCORE.match(score) and float(score) <= 100)):
            checker.fail(row, "score", "qual.import.score", words="、".join(SCORE_WORDS))
            ok = False
        number = numbers.get(row)
        if number is None or row not in first:
            continue
        graduate = graduates.get(number)
        if not _matched(checker, row, v, graduate, number) or not ok:
            continue
        assert graduate is not None
        grades.append(
            GradeRow(graduate.id, v["course"], score, v["teacher"], v.get("semester") or None)
        )
    if (refused := checker.refused()) is not None:
        return refused
    audit = _import_audit(store, actor, "grad.grades.import", school, path)
    replaced = await store.replace_grades(grades, f"grades:{path.name}", audit) if grades else 0
    return GradeReport(len(grades), (), replaced)


def _per_file(check: Callable[[str], _T]) -> Callable[[str], _T]:
    """`check` answering each value once for a file (a file repeats its dates), of the day the
    file is imported (a day's check depends on today)."""
    answers: dict[str, _T] = {}

    def answer(raw: str) -> _T:
        try:
            return answers[raw]
        except KeyError:
            found = check(raw)
            if len(answers) < _REMEMBERED:
                answers[raw] = found
            return found

    return answer


@functools.lru_cache(maxsize=256)
def _level_ok(value: str) -> bool:
    match = _LEVEL.match(value.strip())
    return bool(match and (match.group(1) or match.group(2)))


def _day(raw: str) -> str | None:
    """An ISO date from 2025-06-30, 2025/6/30, 20250630 or 2025年6月30日; None if not a day."""
    match = _DAY.match(ascii_digits(raw.strip()))
    if match is None:
        return None
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    # issued since graduates are on file, and not in the future
    return day.isoformat() if day.year >= FIRST_YEAR and day <= date.today() else None


async def graduate_record(store: GraduateRepository, ref: str) -> dict[str, Any]:
    """A graduate's record by certificate number or ID number: data, qualification, employment,
    the hold and the grades; the ID number masked."""
    graduate = await store.graduate_by_ref(ref.strip())
    if graduate is None:
        raise NotFound("grad.graduate_unknown", ref=mask_ref(ref))
    school = await store.grad_org(graduate.school_id)
    assert school is not None
    fields = (
        "name",
        "sex",
        "major_code",
        "major",
        "class_level",
        "enrolled",
        "graduated",
        "years",
        "study_mode",
        "cert_no",
        "qualification_no",
        "qualification_level",
        "qualification_occupation",
        "qualification_date",
        "employment",
        "employer",
    )
    record: dict[str, Any] = {"school": school.name, "school_code": school.code}
    record |= {field: getattr(graduate, field) for field in fields}
    record["id_number_masked"] = mask(graduate.id_number)
    record["held"] = is_held(graduate.cert_no, graduate.qualification_no)
    record["grades"] = [asdict(row) for row in await store.grades_of(int(graduate.id))]
    return record


def file_kind(path: Path) -> str:
    """Which import a file is, from its header row: qualifications, employment, grades or
    graduates (the default, whose import then names what is missing)."""
    for kind, columns, marker in (
        ("grades", GRADE_COLUMNS, "course"),
        ("qualifications", QUALIFICATION_COLUMNS, "qualification_no"),
        ("employment", EMPLOYMENT_COLUMNS, "employment"),
    ):
        try:
            with read_table(path, columns) as table:
                found = set(table.headers)
        except Invalid:
            continue
        # A graduates file has these columns too, besides its own (所属院校, 专业代码).
        if marker in found and not _graduates_header(path):
            return kind
    return "graduates"


def _graduates_header(path: Path) -> bool:
    try:
        with read_table(path, _GRADUATE_MARKERS):
            return True
    except Invalid:
        return False
