"""Import of graduates (毕业生): every bad row reported, or all written; corrections keep history.

A row whose ID number and graduation term are already on file corrects that graduate, while the
graduate is not under review or approved; an approved graduate changes only through 毕业证修改.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import astuple, dataclass, fields
from datetime import date
from itertools import compress
from operator import eq, itemgetter, le
from pathlib import Path
from typing import Any, NamedTuple, cast

from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.core.graduate_fields import (
    MAJOR_MAX,
    STUDY_MODES,
    ascii_digits,
    check_dates,
    checked_month,
    checked_years,
)
from issuance.core.graduates import GradOrg, GraduateCells, GraduateState, NewGraduate
from issuance.core.idcard import IdNumber, check_character, check_characters
from issuance.core.people import OrgKind
from issuance.core.ports import StagedGraduate
from issuance.core.text import NAME_MAX
from issuance.core.vocabulary import ClassLevel, Employment, GradStatus, SchoolLevel
from issuance.formats.tabular import Column, Columns, NumberText, Row, RowError, RowErrors
from issuance.graduation import holds
from issuance.graduation.chains import PENDING
from issuance.graduation.printable import (
    PRINTED_FIELDS,
    printable,
    surely_printable,
    surely_printable_all,
)
from issuance.importing import (
    Checker,
    ImportReport,
    id_numbers,
    read_columns,
    reported,
)

GRADUATE_COLUMNS = (
    Column("name", "姓名", "name"),
    Column("id_number", "身份证号", "id_number"),
    Column("sex", "性别", "sex", required=False),
    Column("school", "所属院校", "school"),
    Column("major_code", "专业代码", "major_code"),
    Column("major", "专业名称", "major"),
    Column("class_level", "培养层次", "class_level"),
    Column("enrolled", "入学时间", "enrolled"),
    Column("graduated", "毕业时间", "graduated"),
    Column("years", "学制", "years"),
    Column("study_mode", "学习方式", "study_mode"),
    Column("qualification_no", "职业资格证书编号", "qualification_no", required=False),
    Column("qualification_level", "职业资格等级", "qualification_level", required=False),
    Column("employment", "就业情况", "employment", required=False),
)
EMPLOYMENT = tuple(Employment)
_REQUIRED = (
    "name",
    "id_number",
    "school",
    "major_code",
    "major",
    "class_level",
    "enrolled",
    "graduated",
    "years",
    "study_mode",
)
# Optional cells left empty keep what is on file: a qualification or employment may have been
# recorded since (their own imports, an X certificate), and a graduates file does not clear it.
_KEPT_WHEN_EMPTY = ("qualification_no", "qualification_level", "employment")
# 学制 and the dates differ by more than this many months: worth a warning (schools differ).
_YEARS_SLACK_MONTHS = 6
# The same bounds as 毕业证修改 (issuance.core.graduate_fields).
_LIMITS = {"name": NAME_MAX, "major": MAJOR_MAX}
_GRADUATE_FIELDS = tuple(f.name for f in fields(NewGraduate))
_ID_NUMBER, _ENROLLED, _GRADUATED, _YEARS = (
    _GRADUATE_FIELDS.index(name) for name in ("id_number", "enrolled", "graduated", "years")
)
# The column a refused correction is reported against (else 身份证号).
_REFUSED_COLUMN = {"grad.import.other_school": "school"}
# The usual row's 培养层次 per school (a 技工学校 has no 预备技师班).
_TECHNICAL = SchoolLevel.TECHNICAL_SCHOOL
_CLASS_LEVELS = {
    False: frozenset(ClassLevel),
    True: frozenset(ClassLevel) - {ClassLevel.PREPARATORY_TECHNICIAN},
}
_STUDY_MODES = frozenset(STUDY_MODES)
_EMPLOYMENT = frozenset(EMPLOYMENT)
_ID_NUMBER_FORM = re.compile(r"[0-9]{17}[0-9X]")
# Distinct values of a kind remembered per file (a hostile file's are not all kept).
_CACHED = 10_000


@dataclass(frozen=True)
class GraduateReport(ImportReport):
    """An import report with warnings (rows written, but worth a look)."""

    warnings: tuple[RowError, ...] = ()
    corrected: int = 0

    def as_json(self) -> dict[str, Any]:
        result = super().as_json()
        result["corrected"] = self.corrected
        result["warnings"] = [
            {"row": w.row, "column": w.column, "message": w.message} for w in self.warnings
        ]
        return result


def _major_code(raw: str) -> str:
    """专业代码 with ASCII digits; 0101 typed into a General-format cell became the number 101,
    and a whole number of at most 4 digits left-padded is unambiguous."""
    value = ascii_digits(raw.strip())
    if isinstance(raw, NumberText) and value.isdigit() and len(value) < 4:
        return value.zfill(4)
    return value


def _field(
    checker: Checker, row: int, values: dict[str, str], key: str, check: Callable[[str], str]
) -> str | None:
    """A filled cell checked by the shared rule (issuance.core.graduate_fields), else None;
    an empty one is the required check's to report."""
    if not values.get(key):
        return None
    try:
        return check(values[key])
    except Invalid as why:
        checker.fail(row, key, why.key, **why.params)
        return None


def _months(start: str, end: str) -> int:
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[4:]) - int(start[4:])


async def import_graduates(
    store: holds.HoldPorts, path: Path, locale: str = "zh", school_id: int | None = None
) -> ImportReport:
    """Import graduates (毕业生) of 技工院校; with `school_id`, of that school only (a 经办人's
    file: a row of another school is a bad row)."""
    return await reported(_import_graduates(store, path, locale, school_id), locale)


async def _import_graduates(
    store: holds.HoldPorts, path: Path, locale: str, school_id: int | None
) -> ImportReport:
    # Read, checked and staged a chunk at a time; checked across the file and against the
    # graduates on file in the store; written in one transaction at the end.
    source = f"import:{path.name}"
    with read_columns(path, GRADUATE_COLUMNS, locale, _LIMITS) as (checker, chunks):
        rules = _Rules(checker, school_id)
        async with store.graduate_import():
            for chunk in chunks:
                await rules.learn_schools(store, chunk)
                await store.stage_graduates(*rules.staged(chunk))
            async for on_file in store.staged_on_file():
                await store.stage_graduates_on_file(
                    [(line, before.id, *_correction(new, before)) for line, new, before in on_file]
                )
            for line, refused, first in await store.staged_graduate_refusals():
                if line > first:
                    checker.fail(line, "id_number", "import.duplicate_in_file", first=first)
                else:
                    key = str(refused)
                    checker.fail(line, _REFUSED_COLUMN.get(key, "id_number"), key)
            refused_report = checker.refused()
            if refused_report is not None:
                return GraduateReport(0, refused_report.errors)
            async with store.transaction():
                imported = await store.insert_staged_graduates()
                # an X certificate issued earlier in Qianfa counts as the qualification (暂缓发放)
                async for numbers in store.staged_x_certified():
                    await holds.record_issued_x(store, numbers, source)
                corrected = await store.correct_staged_graduates(source)
    warnings = tuple(sorted(rules.warnings, key=lambda w: w.row))
    return GraduateReport(imported, (), warnings, corrected)


# The cells a graduates row shares with many others (all but the graduate's name, ID number, sex
# and 职业资格证书编号): each combination is checked once, with the type of its 专业代码 cell (a
# number typed as 101 is 0101, a text 101 is refused) last in its key.
_SHARED = (
    "school", "major_code", "major", "class_level", "enrolled", "graduated", "years",
    "study_mode", "qualification_level", "employment",
)  # fmt: skip
# An ID number's parts (checked at C speed, a chunk's numbers at once).
_birth_digits, _birth_month, _first17, _sex_digit, _last = (
    itemgetter(part) for part in (slice(6, 14), slice(6, 12), slice(17), 16, 17)
)
_ID_NUMBERS = re.compile(r"(?:[0-9]{17}[0-9X]\n)*[0-9]{17}[0-9X]")
_SEX_OF_DIGIT = {digit: "男" if int(digit) % 2 else "女" for digit in "0123456789"}
# (性别 cell, the ID number's sex) of a good row.
_SEX_FITS = frozenset({("", "男"), ("", "女"), ("男", "男"), ("女", "女")})


class _Shared(NamedTuple):
    """A combination of shared cells checked good: the id of its cells (staged once), 入学时间
    (no one enrolled before being born), and whether 学制 disagrees with the dates (a warning
    on each of its rows)."""

    cells_id: int
    enrolled: str
    slack: bool


_cells_id, _enrolled, _slack = (itemgetter(i) for i in range(len(_Shared._fields)))


class _Rules:
    """The row checks of one file, with what a file repeats (schools, majors, months, 学制)
    settled once per combination of shared cells, and the usual chunk's own cells (names, ID
    numbers) checked at C speed; a chunk with another row is checked row by row, and a row
    that is not usual goes through the full check (`_graduate`), which reports what is wrong
    with it."""

    def __init__(self, checker: Checker, school_id: int | None) -> None:
        self.checker = checker
        self.warnings = RowErrors(checker.table, checker.locale)
        self.years_warning = t("grad.import.years_warn", checker.locale)
        self.school_id = school_id
        self.schools: dict[str, GradOrg] = {}
        # Per good school code: the school and the 培养层次 it may have.
        self.good: dict[str, tuple[GradOrg, frozenset[str]]] = {}
        # Per combination of shared cells (and 专业代码's type): checked, or None when bad.
        self.shared: dict[tuple[str | type, ...], _Shared | None] = {}
        # Per checked cells (GraduateCells but its id): its id; and those not staged yet.
        self.cell_ids: dict[tuple[Any, ...], int] = {}
        self.next_id = 0
        self.new_cells: list[GraduateCells] = []
        # Per cell key (专业代码 typed as a number apart): each value's checked value, or None.
        self.cells: dict[str, dict[str, str | None]] = {
            key: {} for key in (*_CELL_CHECKS, "major_code#")
        }
        self.births: dict[str, bool] = {}
        self.slack: dict[tuple[str, str, str], bool] = {}
        self.printable_name = surely_printable("name")
        self.printable_names = surely_printable_all("name")

    async def learn_schools(self, store: holds.HoldPorts, chunk: Columns) -> None:
        codes = set(chunk.cells["school"]) - self.schools.keys()
        if codes:
            self.schools |= await store.grad_orgs_by_code(code for code in codes if code)
        for code, school in self.schools.items():
            if school.kind == OrgKind.TECH_SCHOOL and self.school_id in (None, school.id):
                self.good[code] = (school, _CLASS_LEVELS[school.level == _TECHNICAL])

    def staged(self, chunk: Columns) -> tuple[list[GraduateCells], list[StagedGraduate]]:
        """The cells first met in the chunk and its good rows, to stage; bad rows reported."""
        texts = chunk.cells
        shared = self._shared_of(chunk)
        good = cast("list[_Shared]", shared)  # when None is not in it
        if None not in shared and self._usual_chunk(texts, good):
            lines = chunk.numbers
            own = (texts["name"], texts["id_number"], texts["qualification_no"])
            rows: list[StagedGraduate] = list(zip(lines, map(_cells_id, good), *own, strict=True))
            slack = list(compress(lines, map(_slack, good)))
        else:
            rows, slack = self._row_by_row(chunk.rows(), shared)
        for line in slack:
            self.warnings.add(line, "years", self.years_warning)
        cells, self.new_cells = self.new_cells, []
        return cells, rows

    def _shared_of(self, chunk: Columns) -> list[_Shared | None]:
        """Each row's shared cells, checked (None when bad)."""
        columns = [chunk.cells[key] for key in _SHARED]
        keys = list(zip(*columns, map(type, chunk.cells["major_code"]), strict=True))
        if len(self.shared) > _CACHED:
            self.shared.clear()  # a file of ever new combinations would fill memory
        for key in dict.fromkeys(keys):
            if key not in self.shared:
                self.shared[key] = self._shared_cells(key[:-1])
        return list(map(self.shared.__getitem__, keys))

    def _usual_chunk(self, cells: dict[str, list[str]], shared: list[_Shared]) -> bool:
        """Whether every row's own cells are usual: a name surely printable, an ID number in
        its stored form and valid, born before enrolling, and no sex or the number's."""
        names, numbers = cells["name"], cells["id_number"]
        if not (all(names) and self.printable_names(names) and self._stored(numbers)):
            return False
        if not all(map(le, map(_birth_month, numbers), map(_enrolled, shared))):
            return False
        sexes = cells["sex"]
        said = map(_SEX_OF_DIGIT.__getitem__, map(_sex_digit, numbers))
        return not any(sexes) or _SEX_FITS.issuperset(zip(sexes, said, strict=True))

    def _stored(self, numbers: list[str]) -> bool:
        """Whether every ID number cell is text in its stored form, valid."""
        joined = "\n".join(numbers)  # 18 characters each: a number holds no line break
        if {*map(type, numbers)} != {str} or len(joined) != 19 * len(numbers) - 1:
            return False
        if not _ID_NUMBERS.fullmatch(joined):
            return False
        if not all(map(self._born, set(map(_birth_digits, numbers)))):
            return False
        return all(map(eq, check_characters(map(_first17, numbers)), map(_last, numbers)))

    def _row_by_row(
        self, chunk: list[Row], shared: list[_Shared | None]
    ) -> tuple[list[StagedGraduate], list[int]]:
        """A chunk's good rows, each checked on its own, and those worth a 学制 warning."""
        rows: list[StagedGraduate] = []
        slack: list[int] = []
        for (line, v), found in zip(chunk, shared, strict=True):
            row: StagedGraduate
            if found is not None and self._usual(v, found.enrolled):
                row = (line, found.cells_id, v["name"], v["id_number"], v["qualification_no"])
            else:
                graduate = self._checked(line, v)
                if graduate is None:
                    continue
                found = self._graduate_cells(graduate)
                row = (line, found.cells_id, graduate.name, graduate.id_number,
                       graduate.qualification_no)  # fmt: skip
            rows.append(row)
            if found.slack:
                slack.append(line)
        return rows, slack

    def _usual(self, v: dict[str, str], enrolled: str) -> bool:
        """`_usual_chunk` of one row."""
        number, name = v["id_number"], v["name"]
        return bool(
            number.__class__ is str
            and name
            and self.printable_name(name)
            and _ID_NUMBER_FORM.fullmatch(number)
            and self._born(number[6:14])
            and check_character(number[:17]) == number[17]
            and number[6:12] <= enrolled
            and v["sex"] in ("", _SEX_OF_DIGIT[number[16]])
        )

    def _born(self, digits: str) -> bool:
        """Whether an ID number's YYYYMMDD is a birth date it may have; kept per date."""
        born = self.births.get(digits)
        if born is None:
            born = _valid_birth(digits)
            if len(self.births) < _CACHED:
                self.births[digits] = born
        return born

    def _checked(self, row: int, v: dict[str, str]) -> NewGraduate | None:
        """The full check of a row (its errors reported): the graduate, or None."""
        number = id_numbers(self.checker, [(row, v)]).get(row)
        school = self.schools.get(v.get("school", ""))
        return _graduate(self.checker, row, v, school, self.school_id, number)

    def _shared_cells(self, texts: tuple[Any, ...]) -> _Shared | None:
        """Shared cells checked as `_graduate` checks them, else None (bad: the full check of
        each of their rows reports why). 专业代码's cell keeps its type (in the key too)."""
        school_code, code, major, class_level, enrolled, graduated, years, mode, level, job = texts
        school = self.good.get(school_code)
        if school is None or class_level not in school[1] or mode not in _STUDY_MODES:
            return None
        if job and job not in _EMPLOYMENT:
            return None
        cell = self._cell
        checked = (
            school[0].id, cell("major_code", code), cell("major", major), class_level,
            cell("enrolled", enrolled), cell("graduated", graduated), cell("years", years), mode,
            level or None, job or None,
        )  # fmt: skip
        if None in checked[:8] or not str(checked[4]) < str(checked[5]):
            return None
        return self._cells(checked)

    def _graduate_cells(self, graduate: NewGraduate) -> _Shared:
        """The shared cells of a graduate checked in full."""
        g = graduate
        return self._cells(
            (g.school_id, g.major_code, g.major, g.class_level, g.enrolled, g.graduated, g.years,
             g.study_mode, g.qualification_level, g.employment)
        )  # fmt: skip

    def _cells(self, values: tuple[Any, ...]) -> _Shared:
        """Checked shared cells (new ones staged with the chunk under a new id)."""
        cells_id = self.cell_ids.get(values)
        if cells_id is None:
            if len(self.cell_ids) > _CACHED:
                self.cell_ids.clear()  # cells met again are staged again, under a new id
            cells_id = self.cell_ids[values] = self.next_id
            self.next_id += 1
            self.new_cells.append(GraduateCells(cells_id, *values))
        enrolled, graduated, years = values[4:7]
        slack = self.slack.get((enrolled, graduated, years))
        if slack is None:
            slack = self._years_slack(enrolled, graduated, years)
        return _Shared(cells_id, enrolled, slack)

    def _cell(self, key: str, raw: str) -> str | None:
        """The checked value of a cell (as `_graduate` stores it), else None; kept per value."""
        # A number cell and a text cell of the same text differ only for 专业代码.
        kept = self.cells[key if key != "major_code" or type(raw) is str else "major_code#"]
        if raw in kept:
            return kept[raw]
        value = _CELL_CHECKS[key](raw) if raw else None
        if len(kept) < _CACHED:
            kept[raw] = value
        return value

    def _years_slack(self, enrolled: str, graduated: str, years: str) -> bool:
        """Whether 学制 and the dates disagree (worth a warning); kept per triple."""
        slack = abs(_months(enrolled, graduated) - float(years) * 12) > _YEARS_SLACK_MONTHS
        if len(self.slack) < _CACHED:
            self.slack[(enrolled, graduated, years)] = slack
        return slack


def _cells_checked(
    checker: Checker, row: int, v: dict[str, str], school: GradOrg | None, school_id: int | None
) -> bool:
    """Whether the row's cells other than its ID number and dates are good; bad ones reported."""
    ok = checker.required(row, v, _REQUIRED)
    for printed in PRINTED_FIELDS:  # refused now, not when the term is printed
        checked = _field(checker, row, v, printed, printable(printed))
        ok = (not v.get(printed) or checked is not None) and ok
    if v.get("school") and (school is None or school.kind != OrgKind.TECH_SCHOOL):
        checker.fail(row, "school", "import.org_kind", code=v["school"], kind=OrgKind.TECH_SCHOOL)
        ok = False
    elif school is not None and school_id is not None and school.id != school_id:
        checker.fail(row, "school", "grad.import.not_your_school", code=v["school"])
        ok = False
    if v.get("class_level"):
        ok = checker.one_of(row, "class_level", v["class_level"], tuple(ClassLevel)) and ok
        if (
            school
            and school.level == SchoolLevel.TECHNICAL_SCHOOL
            and v["class_level"] == ClassLevel.PREPARATORY_TECHNICIAN
        ):
            checker.fail(row, "class_level", "grad.import.class_level_school")
            ok = False
    if v.get("study_mode"):
        ok = checker.one_of(row, "study_mode", v["study_mode"], STUDY_MODES) and ok
    if v.get("employment"):
        ok = checker.one_of(row, "employment", v["employment"], EMPLOYMENT) and ok
    if v.get("major_code"):
        v["major_code"] = _major_code(v["major_code"])
    if v.get("major_code") and not re.fullmatch(r"[0-9]{4}", v["major_code"]):
        checker.fail(row, "major_code", "grad.import.major_code")
        ok = False
    return ok


def _dates(
    checker: Checker, row: int, v: dict[str, str]
) -> tuple[str | None, str | None, str | None]:
    """(入学时间, 毕业时间) as YYYYMM and 学制 in years; each None when missing or bad."""
    enrolled, graduated, years = (
        _field(checker, row, v, key, check)
        for key, check in (
            ("enrolled", checked_month),
            ("graduated", checked_month),
            ("years", checked_years),
        )
    )
    return enrolled, graduated, years


def _graduate(
    checker: Checker,
    row: int,
    v: dict[str, str],
    school: GradOrg | None,
    school_id: int | None,
    number: str | None,
) -> NewGraduate | None:
    """The row as a graduate, or None when it is bad (reported)."""
    ok = _cells_checked(checker, row, v, school, school_id)
    errors_before = len(checker.errors)
    enrolled, graduated, years = _dates(checker, row, v)
    ok = ok and len(checker.errors) == errors_before
    if number is None:
        return None
    if enrolled and graduated:
        try:
            check_dates(number, enrolled, graduated)
        except Invalid as why:
            column = "graduated" if enrolled >= graduated else "enrolled"
            checker.fail(row, column, why.key, **why.params)
            ok = False
    sex = "男" if IdNumber(number).is_male else "女"  # checked by `id_numbers`
    if v.get("sex") and v["sex"] != sex:
        checker.fail(row, "sex", "grad.import.sex", sex=sex)
        ok = False
    if not ok or school is None or enrolled is None or graduated is None or years is None:
        return None
    return NewGraduate(
        school.id,
        v["name"],
        number,
        sex,
        v["major_code"],
        v["major"],
        v["class_level"],
        enrolled,
        graduated,
        years,
        v["study_mode"],
        v.get("qualification_no") or None,
        v.get("qualification_level") or None,
        v.get("employment") or None,
    )


def _correction(
    values: NewGraduate, before: GraduateState
) -> tuple[str | None, dict[str, Any] | None, dict[str, Any] | None]:
    """The correction of a graduate on file: the catalog key refusing it (the graduate is of
    another school, under review or approved), else its old and new values (None when nothing
    changed)."""
    if before.school_id != values.school_id:
        return "grad.import.other_school", None, None
    if before.status == GradStatus.APPROVED or before.cert_no:
        return "grad.import.approved", None, None
    if before.status in PENDING:
        return "grad.import.under_review", None, None
    changed = {
        field: value
        for field, value in zip(_GRADUATE_FIELDS, astuple(values), strict=True)
        if field != "school_id"
        and getattr(before, field) != value
        and not (value is None and field in _KEPT_WHEN_EMPTY)
    }
    if not changed:
        return None, None, None
    return None, {field: getattr(before, field) for field in changed}, changed


def _valid_birth(digits: str) -> bool:
    """Whether an ID number's YYYYMMDD is a birth date `parse_id_number` takes."""
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return born.year >= 1900 and born <= date.today()


def _good(check: Callable[[str], str]) -> Callable[[str], str | None]:
    """`check` giving None instead of refusing."""

    def good(raw: str) -> str | None:
        try:
            return check(raw)
        except Invalid:
            return None

    return good


def _good_major_code(raw: str) -> str | None:
    value = _major_code(raw)
    return value if re.fullmatch(r"[0-9]{4}", value) else None


# The usual row's cells that repeat: what `_graduate` stores for a good one, else None.
_CELL_CHECKS: dict[str, Callable[[str], str | None]] = {
    "major_code": _good_major_code,
    "major": _good(printable("major")),
    "enrolled": _good(checked_month),
    "graduated": _good(checked_month),
    "years": _good(checked_years),
}


def notes(report: ImportReport) -> list[str]:
    """Lines telling of corrections and warnings of a graduates import (none for others)."""
    if not isinstance(report, GraduateReport):
        return []
    lines = [t("grad.cli.corrected", count=report.corrected)] if report.corrected else []
    if report.warnings:
        lines.append(t("grad.cli.warnings", count=len(report.warnings)))
        lines += [str(w) for w in report.warnings]
    return lines
