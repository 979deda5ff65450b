"""Imports (导入) of organizations, people and exam results: every bad row reported, or all written.

Each importer streams the file, validates every row against the file so far and the database,
and writes nothing unless no row is bad.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.core.idcard import parse_id_number
from issuance.core.people import ORG_KINDS, ROLE_ORG_KINDS, ROLES, OrgKind, Role
from issuance.core.text import NAME_MAX, has_bad_characters
from issuance.core.vocabulary import SchoolLevel
from issuance.formats.tabular import (
    Column,
    NumberText,
    Row,
    RowError,
    RowErrors,
    Table,
    progress,
    read_table,
)
from issuance.store import Store
from issuance.xcert.records import LEVELS, RESULTS, STUDENT_TYPES

ORG_COLUMNS = (
    Column("code", "机构代码", "code"),
    Column("name", "机构名称", "name"),
    Column("type", "机构类型", "type"),
    Column("region", "行政区划代码", "region", required=False),
    Column("parent", "上级机构代码", "parent", required=False),
    Column("level", "办学层次", "level", required=False),
    Column("school_seq", "学校序号", "school_seq", required=False),
    Column("final", "终审", "final", required=False),
)
PEOPLE_COLUMNS = (
    Column("name", "姓名", "name"),
    Column("phone", "手机号", "phone"),
    Column("org", "所属机构代码", "org"),
    Column("role", "角色", "role"),
    Column("title", "职务", "title", required=False),
)
RESULT_COLUMNS = (
    Column("name", "学生姓名", "name"),
    Column("id_number", "身份证号", "id_number"),
    Column("student_type", "学生类型", "student_type"),
    Column("school", "所属院校", "school"),
    Column("program", "证书名称", "program"),
    Column("level", "证书等级", "level"),
    Column("issuer", "颁证机构", "issuer"),
    Column("plan", "考试计划", "plan"),
    Column("site", "考核站点", "site"),
    Column("result", "考核状态", "result"),
)
_PHONE = re.compile(r"^1\d{10}$")
# Blank certificates are kept and handed out by the province (the 主管部门 without a parent).
_PROVINCE_ROLES = (Role.KEEPER, Role.DISTRIBUTOR)
_YES_NO = {"是": 1, "否": 0}
# Longest accepted value: people's names are short, organization names and the rest one line.
_PERSON_NAME_MAX = {"name": NAME_MAX}
_ORG_NAME_MAX = {"name": 100}
_MAX_OTHER = 200


class ResultRow(NamedTuple):
    """A validated exam result, organizations resolved to ids."""

    name: str
    id_number: str
    student_type: str
    school_id: int | None
    program: str
    level: str
    issuer_id: int
    plan: str
    site_id: int
    passed: int


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows written, or the bad rows (and then nothing was written)."""

    imported: int
    errors: tuple[RowError, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "errors": [
                {"row": e.row, "column": e.column, "message": e.message} for e in self.errors
            ],
        }


class _Checker:
    """Row-error collection with catalog texts."""

    def __init__(self, table: Table, locale: str) -> None:
        self.errors = RowErrors(table, locale)
        self.locale = locale

    def fail(self, row: int, key: str, message_key: str, /, **params: Any) -> None:
        self.errors.add(row, key, t(message_key, self.locale, **params))

    def required(self, row: int, values: dict[str, str], keys: Sequence[str]) -> bool:
        ok = True
        for key in keys:
            if not values.get(key):
                self.fail(row, key, "import.required")
                ok = False
        return ok

    def one_of(self, row: int, key: str, value: str, allowed: Sequence[str]) -> bool:
        if value in allowed:
            return True
        self.fail(row, key, "import.one_of", allowed=" | ".join(allowed))
        return False


class Importer(Protocol):
    """An import coroutine: the store, the file, and the language of its report."""

    def __call__(self, store: Store, path: Path, locale: str = "zh") -> Awaitable[ImportReport]: ...


def _header_checked(importer: Callable[[Store, Path, str], Awaitable[ImportReport]]) -> Importer:
    """Report required columns missing from the header row like bad cells: row N, column C."""

    @functools.wraps(importer)
    async def checked(store: Store, path: Path, locale: str = "zh") -> ImportReport:
        try:
            return await importer(store, path, locale)
        except Invalid as error:
            if error.key == "tabular.missing_columns":
                message = t("import.missing_column", locale)
                errors = tuple(
                    RowError(error.params["row"], c, message) for c in error.params["missing"]
                )
                return ImportReport(0, errors)
            if "row" in error.params:
                # A row the reader could not take (open quote, overlong cell): report it like
                # a bad cell, so `--json` and the chat still get the usual report.
                column = error.params.get("column", "")
                failed = RowError(error.params["row"], column, error.message(locale))
                return ImportReport(0, (failed,))
            raise

    return checked


def _read(
    path: Path, columns: Sequence[Column], locale: str, limits: dict[str, int]
) -> tuple[_Checker, list[Row]]:
    """Every data row of the file, and a checker for reporting bad cells in it."""
    with read_table(path, columns) as table:
        checker = _Checker(table, locale)
        rows = list(progress(table, table.total, t("import.progress", locale)))
    return checker, [
        (row, values) for row, values in rows if _plain_text(checker, row, values, limits)
    ]


def _plain_text(
    checker: _Checker, row: int, values: dict[str, str], limits: dict[str, int]
) -> bool:
    """Whether every cell is visible text of bounded length; bad ones are reported."""
    ok = True
    for key, value in values.items():
        limit = limits.get(key, _MAX_OTHER)
        if has_bad_characters(value):
            checker.fail(row, key, "import.bad_text")
            ok = False
        elif len(value) > limit:
            checker.fail(row, key, "import.too_long", limit=limit)
            ok = False
    return ok


@_header_checked
async def import_orgs(store: Store, path: Path, locale: str = "zh") -> ImportReport:
    """Import organizations (机构)."""
    checker, table = _read(path, ORG_COLUMNS, locale, _ORG_NAME_MAX)
    seen: dict[str, int] = {}
    rows = []
    for row, v in table:
        if not checker.required(row, v, ("code", "name", "type")):
            continue
        ok = checker.one_of(row, "type", v["type"], ORG_KINDS)
        if v["code"] in seen:
            checker.fail(row, "code", "import.duplicate_in_file", first=seen[v["code"]])
            ok = False
        seen.setdefault(v["code"], row)
        extra = _graduation_org_fields(checker, row, v)
        if ok and extra is not None:
            region, parent = v.get("region") or None, v.get("parent") or None
            rows.append((v["code"], v["name"], v["type"], region, parent, *extra))
    existing = await store.grad_orgs_by_code(list(seen) + [r[4] for r in rows if r[4]])
    kinds = {r[0]: r[2] for r in rows} | {code: org.kind for code, org in existing.items()}
    for code, row in seen.items():
        if code in existing:
            checker.fail(row, "code", "import.org_exists", code=code)
    school_seqs = await store.used_school_seqs()
    for code, _, kind, region, parent, *_rest in rows:
        if parent and parent not in kinds:
            checker.fail(seen[code], "parent", "import.unknown_org", code=parent)
        elif (
            kind in (OrgKind.TECH_SCHOOL, OrgKind.DEPARTMENT)
            and parent
            and kinds[parent] != OrgKind.DEPARTMENT
        ):
            checker.fail(
                seen[code], "parent", "import.org_kind", code=parent, kind=OrgKind.DEPARTMENT
            )
        elif kind == OrgKind.TECH_SCHOOL and not parent:
            checker.fail(seen[code], "parent", "import.school_parent")
        if kind == OrgKind.TECH_SCHOOL:
            seq = ((region or "")[:2], str(_rest[1]))
            if seq in school_seqs:
                checker.fail(seen[code], "school_seq", "import.school_seq_taken")
            school_seqs.add(seq)
    parents = {code: parent for code, _, _, _, parent, *_ in rows if parent}
    for code in parents:
        cycle = _parent_cycle(code, parents)
        if cycle:
            checker.fail(seen[code], "parent", "import.parent_cycle", chain=" → ".join(cycle))
    return await _finish(checker, rows, store.insert_orgs)


def _graduation_org_fields(
    checker: _Checker, row: int, v: dict[str, str]
) -> tuple[str | None, str | None, int] | None:
    """(办学层次, 学校序号, 终审) of a 技工院校 or 主管部门; None when a cell is bad."""
    if v.get("type") == OrgKind.TECH_SCHOOL:
        ok = checker.required(row, v, ("level", "school_seq", "region"))
        ok = ok and checker.one_of(row, "level", v["level"], tuple(SchoolLevel))
        if v.get("school_seq") and not re.fullmatch(r"[0-9]{3}", v["school_seq"]):
            checker.fail(row, "school_seq", "import.school_seq")
            ok = False
        if v.get("region") and not re.fullmatch(r"[0-9]{2}([0-9]{4})?", v["region"]):
            checker.fail(row, "region", "import.region")
            ok = False
        return (v["level"], v["school_seq"], 0) if ok else None
    if v.get("type") == OrgKind.DEPARTMENT and v.get("final"):
        if not checker.one_of(row, "final", v["final"], tuple(_YES_NO)):
            return None
        return None, None, _YES_NO[v["final"]]
    return None, None, 0


def _parent_cycle(code: str, parents: dict[str, str]) -> list[str] | None:
    """The chain code → parent → … back to code, if following parents in the file loops."""
    chain = [code]
    current = parents.get(code)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return [*chain, code] if current == code else None


@_header_checked
async def import_people(store: Store, path: Path, locale: str = "zh") -> ImportReport:
    """Import people (人员) with their roles; a school gets exactly one 负责人."""
    checker, rows = _read(path, PEOPLE_COLUMNS, locale, _PERSON_NAME_MAX)
    orgs = await store.orgs_by_code(v["org"] for _, v in rows if v.get("org"))
    known_phones = await store.people_by_phone(v["phone"] for _, v in rows if v.get("phone"))
    heads = await store.orgs_with_head()
    provinces = {d.id for d in await store.departments() if d.parent_id is None}
    phones: dict[str, int] = {}
    valid = []
    for row, v in rows:
        if not checker.required(row, v, ("name", "phone", "org", "role")):
            continue
        ok = checker.one_of(row, "role", v["role"], ROLES)
        if not _PHONE.match(v["phone"]):
            checker.fail(row, "phone", "import.phone")
            ok = False
        elif v["phone"] in phones:
            checker.fail(row, "phone", "import.duplicate_in_file", first=phones[v["phone"]])
            ok = False
        elif v["phone"] in known_phones:
            checker.fail(row, "phone", "import.phone_exists")
            ok = False
        phones.setdefault(v["phone"], row)
        org = orgs.get(v["org"])
        if org is None:
            checker.fail(row, "org", "import.unknown_org", code=v["org"])
            continue
        wanted_kind = ROLE_ORG_KINDS.get(v["role"])
        if wanted_kind and org.kind != wanted_kind:
            checker.fail(row, "role", "import.role_org_kind", role=v["role"], kind=wanted_kind)
            ok = False
        if v["role"] in _PROVINCE_ROLES and org.id not in provinces:
            checker.fail(row, "role", "import.province_role", role=v["role"])
            ok = False
        if v["role"] == Role.HEAD:
            if org.id in heads:
                checker.fail(row, "role", "import.second_head", org=org.name)
                ok = False
            heads.add(org.id)
        if ok:
            valid.append((v["name"], v["phone"], org.id, v["role"], v.get("title") or None))
    return await _finish(checker, valid, store.insert_people)


def _id_numbers(checker: _Checker, rows: list[Row]) -> dict[int, str]:
    """Each row's checked 身份证号 (text cells only: Excel numbers lose digits), by row."""
    numbers: dict[int, str] = {}
    for row, v in rows:
        if isinstance(v.get("id_number"), NumberText):
            checker.fail(row, "id_number", "import.id_numeric")
            continue
        parsed = checker.errors.check(row, "id_number", parse_id_number, v.get("id_number", ""))
        if parsed is not None:
            numbers[row] = parsed.value
    return numbers


@_header_checked
async def import_results(store: Store, path: Path, locale: str = "zh") -> ImportReport:
    """Import exam results (考核结果); students and plans are created as needed."""
    checker, rows = _read(path, RESULT_COLUMNS, locale, _PERSON_NAME_MAX)
    codes = {v.get(k, "") for _, v in rows for k in ("school", "issuer", "site")} - {""}
    orgs = await store.orgs_by_code(codes)
    plans = await store.plans_by_name()
    numbers = _id_numbers(checker, rows)
    students = await store.students_by_id_number(numbers.values())
    existing = await store.existing_results(
        (numbers[row], v.get("plan", "")) for row, v in rows if row in numbers
    )
    names: dict[str, str] = {number: s.name for number, s in students.items()}
    pairs: dict[tuple[str, str], int] = {}
    valid: list[ResultRow] = []
    for row, v in rows:
        required = ("name", "student_type", "program", "level", "issuer", "plan", "site", "result")
        ok = checker.required(row, v, required)
        ok = checker.one_of(row, "student_type", v["student_type"], STUDENT_TYPES) and ok
        ok = checker.one_of(row, "level", v["level"], LEVELS) and ok
        ok = checker.one_of(row, "result", v["result"], RESULTS) and ok
        issuer = _org_of_kind(checker, row, "issuer", v["issuer"], orgs, OrgKind.EVALUATOR)
        site = _org_of_kind(checker, row, "site", v["site"], orgs, OrgKind.SCHOOL)
        school = None
        if v.get("school"):
            school = _org_of_kind(checker, row, "school", v["school"], orgs, OrgKind.SCHOOL)
            ok = ok and school is not None
        elif v["student_type"] == "院校学生":
            checker.fail(row, "school", "import.school_required")
            ok = False
        number = numbers.get(row)
        if number is None:
            continue
        if number in names and names[number] != v["name"]:
            checker.fail(row, "name", "import.name_mismatch", name=names[number])
            ok = False
        names.setdefault(number, v["name"])
        pair = (number, v["plan"])
        if pair in pairs:
            checker.fail(row, "id_number", "import.duplicate_result_in_file", first=pairs[pair])
            ok = False
        elif pair in existing:
            checker.fail(row, "id_number", "import.duplicate_result")
            ok = False
        pairs.setdefault(pair, row)
        if issuer is not None and v["plan"] in plans:
            _, program, level, issuer_id = plans[v["plan"]]
            if (program, level, issuer_id) != (v["program"], v["level"], issuer.id):
                checker.fail(row, "plan", "import.plan_mismatch", program=program, level=level)
                ok = False
        if ok and issuer is not None and site is not None:
            plans.setdefault(v["plan"], (0, v["program"], v["level"], issuer.id))
            valid.append(
                ResultRow(
                    v["name"],
                    number,
                    v["student_type"],
                    school.id if school else None,
                    v["program"],
                    v["level"],
                    issuer.id,
                    v["plan"],
                    site.id,
                    int(v["result"] == "已通过"),
                )
            )
    return await _finish(checker, valid, store.import_results)


def _org_of_kind(
    check: _Checker, row: int, key: str, code: str, orgs: dict[str, Any], kind: str
) -> Any:
    org = orgs.get(code)
    if not code:
        return None
    if org is None:
        check.fail(row, key, "import.unknown_org", code=code)
        return None
    if org.kind != kind:
        check.fail(row, key, "import.org_kind", code=code, kind=kind)
        return None
    return org


async def _finish(
    checker: _Checker, rows: Sequence[Any], write: Callable[[Sequence[Any]], Any]
) -> ImportReport:
    if checker.errors:
        errors = tuple(sorted(checker.errors, key=lambda e: e.row))
        return ImportReport(0, errors)
    if rows:
        await write(rows)
    return ImportReport(len(rows), ())
