"""Imports (导入) of organizations, people and exam results: every bad row reported, or all written.

Each importer streams the file, validates every row against the file so far and the database,
and writes nothing unless no row is bad (the pipeline is `issuance.importing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from issuance.core.people import ORG_KINDS, ROLE_ORG_KINDS, ROLES, OrgKind, Role
from issuance.core.ports import GraduateRepository, PeopleRepository, ResultRepository
from issuance.core.records import LEVELS, RESULTS, STUDENT_TYPES
from issuance.core.vocabulary import SchoolLevel
from issuance.formats.tabular import Column
from issuance.importing import (
    PERSON_NAME_MAX,
    Checker,
    ImportReport,
    finish,
    header_checked,
    id_numbers,
    read_rows,
    reported,
)

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
# Organization names are longer than people's; the rest one line.
_ORG_NAME_MAX = {"name": 100}


class DirectoryPorts(PeopleRepository, GraduateRepository, Protocol):
    """Organizations and people as imported, and the graduation attributes of schools."""


class ResultImportPorts(PeopleRepository, ResultRepository, Protocol):
    """Organizations, plans, students and the results already imported."""


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


@header_checked
async def import_orgs(store: DirectoryPorts, path: Path, locale: str = "zh") -> ImportReport:
    """Import organizations (机构)."""
    checker, table = read_rows(path, ORG_COLUMNS, locale, _ORG_NAME_MAX)
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
    return await finish(checker, rows, store.insert_orgs)


def _graduation_org_fields(
    checker: Checker, row: int, v: dict[str, str]
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


@header_checked
async def import_people(store: DirectoryPorts, path: Path, locale: str = "zh") -> ImportReport:
    """Import people (人员) with their roles; a school gets exactly one 负责人."""
    checker, rows = read_rows(path, PEOPLE_COLUMNS, locale, PERSON_NAME_MAX)
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
    return await finish(checker, valid, store.insert_people)


_RESULT_REQUIRED = ("name", "student_type", "program", "level", "issuer", "plan", "site", "result")


@dataclass
class _ResultsSoFar:
    """What the database and the rows before this one hold: the name of each ID number, the
    first row of each (ID number, plan), the results on file, and the plans by name."""

    names: dict[str, str]
    existing: set[tuple[str, str]]
    plans: dict[str, tuple[int, str, str, int]]
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)

    def fits(self, checker: Checker, row: int, v: dict[str, str], number: str, issuer: Any) -> bool:
        """Whether the row agrees with them (same name, a new result, the plan's program)."""
        ok = True
        if number in self.names and self.names[number] != v["name"]:
            checker.fail(row, "name", "import.name_mismatch", name=self.names[number])
            ok = False
        self.names.setdefault(number, v["name"])
        pair = (number, v["plan"])
        if pair in self.pairs:
            checker.fail(
                row, "id_number", "import.duplicate_result_in_file", first=self.pairs[pair]
            )
            ok = False
        elif pair in self.existing:
            checker.fail(row, "id_number", "import.duplicate_result")
            ok = False
        self.pairs.setdefault(pair, row)
        if issuer is not None and v["plan"] in self.plans:
            _, program, level, issuer_id = self.plans[v["plan"]]
            if (program, level, issuer_id) != (v["program"], v["level"], issuer.id):
                checker.fail(row, "plan", "import.plan_mismatch", program=program, level=level)
                ok = False
        return ok


async def import_results(
    store: ResultImportPorts, path: Path, locale: str = "zh", issuer_id: int | None = None
) -> ImportReport:
    """Import exam results (考核结果); students and plans are created as needed. With
    `issuer_id` (an evaluator's upload), a row of another 颁证机构 is a bad row."""
    return await reported(_import_results(store, path, locale, issuer_id), locale)


async def _import_results(
    store: ResultImportPorts, path: Path, locale: str, issuer_id: int | None
) -> ImportReport:
    checker, rows = read_rows(path, RESULT_COLUMNS, locale, PERSON_NAME_MAX)
    codes = {v.get(k, "") for _, v in rows for k in ("school", "issuer", "site")} - {""}
    orgs = await store.orgs_by_code(codes)
    plans = await store.plans_by_name()
    numbers = id_numbers(checker, rows)
    students = await store.students_by_id_number(numbers.values())
    existing = await store.existing_results(
        (numbers[row], v.get("plan", "")) for row, v in rows if row in numbers
    )
    so_far = _ResultsSoFar({number: s.name for number, s in students.items()}, existing, plans)
    valid: list[ResultRow] = []
    for row, v in rows:
        result = _result_row(checker, row, v, numbers.get(row), orgs, so_far)
        if result is not None and issuer_id is not None and result.issuer_id != issuer_id:
            checker.fail(row, "issuer", "import.not_own_issuer")
        elif result is not None:
            valid.append(result)
    # Only the checked rows are written: the cells read and the lookups go before the write.
    del rows, numbers, students, existing, so_far
    return await finish(checker, valid, store.import_results)


def _result_row(
    checker: Checker,
    row: int,
    v: dict[str, str],
    number: str | None,
    orgs: dict[str, Any],
    so_far: _ResultsSoFar,
) -> ResultRow | None:
    """The row as a result to write, or None when it is bad (and reported)."""
    ok = checker.required(row, v, _RESULT_REQUIRED)
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
    if number is None:
        return None
    ok = so_far.fits(checker, row, v, number, issuer) and ok
    if not ok or issuer is None or site is None:
        return None
    so_far.plans.setdefault(v["plan"], (0, v["program"], v["level"], issuer.id))
    return ResultRow(
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


def _org_of_kind(
    check: Checker, row: int, key: str, code: str, orgs: dict[str, Any], kind: str
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
