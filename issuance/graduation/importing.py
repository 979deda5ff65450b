"""Import of graduates (毕业生): every bad row reported, or all written; corrections keep history.

A row whose ID number and graduation term are already on file corrects that graduate, while the
graduate is not under review or approved; an approved graduate changes only through 毕业证修改.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

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
from issuance.core.graduates import Correction, GradOrg, GraduateState, NewGraduate
from issuance.core.idcard import IdNumber
from issuance.core.people import OrgKind
from issuance.core.text import NAME_MAX
from issuance.core.vocabulary import ClassLevel, Employment, GradStatus, SchoolLevel
from issuance.formats.tabular import Column, NumberText, RowError, RowErrors
from issuance.graduation import holds
from issuance.graduation.chains import PENDING
from issuance.graduation.printable import PRINTED_FIELDS, printable
from issuance.importing import (
    Checker,
    ImportReport,
    id_numbers,
    read_rows,
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
    checker, rows = read_rows(path, GRADUATE_COLUMNS, locale, _LIMITS)
    warnings = RowErrors(checker.table, locale)
    schools = await store.grad_orgs_by_code(v["school"] for _, v in rows if v.get("school"))
    numbers = id_numbers(checker, rows)
    existing = await store.graduates_by_id_number(numbers.values())
    seen: dict[tuple[str, str], int] = {}
    new: list[NewGraduate] = []
    corrections: list[Correction] = []
    for row, v in rows:
        school = schools.get(v.get("school", ""))
        values = _graduate(checker, warnings, row, v, school, school_id, numbers.get(row), seen)
        if values is None:
            continue
        before = existing.get((values.id_number, values.graduated))
        if before is None:
            new.append(values)
        else:
            corrections.extend(_correction(checker, row, values, before))
    refused = checker.refused()
    if refused is not None:
        return GraduateReport(0, refused.errors)
    del rows, numbers, existing, seen  # only the checked graduates are held while writing
    async with store.transaction():
        if new:
            await store.insert_graduates(new)
            # an X certificate issued earlier in Qianfa counts as the qualification (暂缓发放)
            await holds.record_issued_x(store, [g.id_number for g in new], f"import:{path.name}")
        if corrections:
            await store.correct_graduates(corrections, f"import:{path.name}")
    return GraduateReport(
        len(new), (), tuple(sorted(warnings, key=lambda w: w.row)), len(corrections)
    )


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
    warnings: RowErrors,
    row: int,
    v: dict[str, str],
    school: GradOrg | None,
    school_id: int | None,
    number: str | None,
    seen: dict[tuple[str, str], int],
) -> NewGraduate | None:
    """The row as a graduate, or None when it is bad (reported) or repeats an earlier row."""
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
    first = seen.setdefault((number, graduated), row)
    if first != row:
        checker.fail(row, "id_number", "import.duplicate_in_file", first=first)
        return None
    if abs(_months(enrolled, graduated) - float(years) * 12) > _YEARS_SLACK_MONTHS:
        warnings.add(row, "years", t("grad.import.years_warn", checker.locale))
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
    checker: Checker, row: int, values: NewGraduate, before: GraduateState
) -> list[Correction]:
    """The correction of a graduate on file (none when nothing changed), or a bad row when the
    graduate is of another school, under review or approved."""
    if before.school_id != values.school_id:
        checker.fail(row, "school", "grad.import.other_school")
    elif before.status == GradStatus.APPROVED or before.cert_no:
        checker.fail(row, "id_number", "grad.import.approved")
    elif before.status in PENDING:
        checker.fail(row, "id_number", "grad.import.under_review")
    else:
        changed = {
            field: value
            for field, value in zip(_GRADUATE_FIELDS, astuple(values), strict=True)
            if field != "school_id"
            and getattr(before, field) != value
            and not (value is None and field in _KEPT_WHEN_EMPTY)
        }
        if changed:
            return [(before.id, {field: getattr(before, field) for field in changed}, changed)]
    return []


def notes(report: ImportReport) -> list[str]:
    """Lines telling of corrections and warnings of a graduates import (none for others)."""
    if not isinstance(report, GraduateReport):
        return []
    lines = [t("grad.cli.corrected", count=report.corrected)] if report.corrected else []
    if report.warnings:
        lines.append(t("grad.cli.warnings", count=len(report.warnings)))
        lines += [str(w) for w in report.warnings]
    return lines
