"""Imports (导入) of organizations, people and exam results: every bad row reported, or all written.

Each importer streams the file, validates every row against the file so far and the database,
and writes nothing unless no row is bad (the pipeline is `issuance.importing`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

from issuance.core.catalog import t
from issuance.core.people import ORG_KINDS, ROLE_ORG_KINDS, ROLES, OrgKind, Role
from issuance.core.ports import GraduateRepository, PeopleRepository, ResultRepository
from issuance.core.records import (
    LEVELS,
    RESULTS,
    STUDENT_TYPES,
    Clash,
    ResultCells,
    StagedResult,
    StagedResults,
)
from issuance.core.vocabulary import SchoolLevel
from issuance.formats.tabular import Column, Columns
from issuance.importing import (
    PERSON_NAME_MAX,
    Checker,
    ImportReport,
    finish,
    header_checked,
    id_number_column,
    read_columns,
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


# The cells a results row shares with many others (all but the student's name and ID number):
# each combination is checked once, and its rows staged with its id.
_SHARED = ("student_type", "school", "program", "level", "issuer", "plan", "site", "result")
_shared: Callable[[dict[str, str]], tuple[str, ...]] = itemgetter(*_SHARED)
_SHARED_REQUIRED = ("student_type", "program", "level", "issuer", "plan", "site", "result")
_CHOICES = (("student_type", STUDENT_TYPES), ("level", LEVELS), ("result", RESULTS))
# Combinations of shared cells kept checked (a file has a few hundred: schools × plans × sites).
_SHARED_KEPT = 10_000
# How each clash across rows is reported: the column and the message.
_CLASHES = {
    Clash.NAME: ("name", "import.name_mismatch"),
    Clash.REPEATED: ("id_number", "import.duplicate_result_in_file"),
    Clash.RECORDED: ("id_number", "import.duplicate_result"),
    Clash.PLAN: ("plan", "import.plan_mismatch"),
    Clash.ISSUER: ("issuer", "import.not_own_issuer"),
}


@dataclass(frozen=True)
class _Checked:
    """Shared cells, checked: the bad cells every row with them reports, and what is staged."""

    faults: tuple[tuple[str, str], ...]
    cells: ResultCells


class _SharedCells:
    """The shared cells of the file read so far, checked, by their texts (and the organizations
    they name)."""

    def __init__(self, store: ResultImportPorts, locale: str) -> None:
        self._store = store
        self._locale = locale
        self.checked: dict[tuple[str, ...], _Checked] = {}
        self._orgs: dict[str, Any] = {}
        self._next_id = 0
        self.met: dict[tuple[str, ...], None] = {}

    async def check_new(self, texts: list[tuple[str, ...]]) -> list[ResultCells]:
        """Check the combinations not seen before (in file order); their cells, to stage. The
        chunk's combinations are `self.met` after."""
        if len(self.checked) > _SHARED_KEPT:
            # A file of ever new combinations (another plan on every row) would fill memory:
            # start afresh; one met again is staged again, under a new id.
            self.checked.clear()
        self.met = dict.fromkeys(texts)
        new = [key for key in self.met if key not in self.checked]
        codes = {key[i] for key in new for i in (1, 4, 6)} - self._orgs.keys() - {""}
        if codes:
            self._orgs.update(await self._store.orgs_by_code(codes))
        for key in new:
            v = dict(zip(_SHARED, key, strict=True))
            self.checked[key] = _check_shared(self._next_id, v, self._orgs, self._locale)
            self._next_id += 1
        return [self.checked[key].cells for key in new]


async def import_results(
    store: ResultImportPorts, path: Path, locale: str = "zh", issuer_id: int | None = None
) -> ImportReport:
    """Import exam results (考核结果); students and plans are created as needed. With
    `issuer_id` (an evaluator's upload), a row of another 颁证机构 is a bad row."""
    return await reported(_import_results(store, path, locale, issuer_id), locale)


async def _import_results(
    store: ResultImportPorts, path: Path, locale: str, issuer_id: int | None
) -> ImportReport:
    # One chunk held at a time: its rows checked here, staged apart from the database; what
    # spans chunks (the same student twice, names, results on file, plans) is checked there.
    with read_columns(path, RESULT_COLUMNS, locale, PERSON_NAME_MAX) as (checker, chunks):
        async with store.staged_results() as staged:
            count = await _stage_chunks(checker, chunks, _SharedCells(store, locale), staged)
            async for clash in staged.clashes(issuer_id):
                column, message = _CLASHES[clash.clash]
                params = {"name": clash.name, "first": clash.first, "program": clash.program}
                checker.fail(clash.row, column, message, **params, level=clash.level)
            refused = checker.refused()
            if refused is not None:
                return refused
            return ImportReport(await staged.write() if count else 0, ())


async def _stage_chunks(
    checker: Checker, chunks: Iterator[Columns], shared: _SharedCells, staged: StagedResults
) -> int:
    """Check and stage every chunk (staged while the next one is read); the rows staged."""
    count = 0
    for chunk in chunks:
        texts = chunk.take(_SHARED)
        cells = await shared.check_new(texts)
        rows = _staged_rows(checker, chunk, texts, shared)
        del chunk, texts  # not held while the next chunk is read
        await staged.add(cells, rows)
        count += len(rows)
        del rows
    return count


_cells_id: Callable[[_Checked], int] = attrgetter("cells.id")


def _staged_rows(
    checker: Checker, chunk: Columns, texts: list[tuple[str, ...]], shared: _SharedCells
) -> list[tuple[int, str, str, int, bool]]:
    """The chunk's rows with a valid ID number, to stage (as `StagedResult`s); each row's bad
    cells reported."""
    numbers = id_number_column(checker, chunk)
    names = chunk.cells["name"]
    checked = list(map(shared.checked.__getitem__, texts))
    if None not in numbers and all(names) and not any(shared.checked[k].faults for k in shared.met):
        # The usual chunk, every row good on its own: staged at C speed.
        good = repeat(True, len(names))
        valid = cast(list[str], numbers)
        return list(zip(chunk.numbers, valid, names, map(_cells_id, checked), good, strict=True))
    staged: list[tuple[int, str, str, int, bool]] = []
    for row, number, name, cells in zip(chunk.numbers, numbers, names, checked, strict=True):
        if not name:
            checker.fail(row, "name", "import.required")
        for column, message in cells.faults:
            checker.errors.add(row, column, message)
        if number is not None:
            ok = bool(name) and not cells.faults
            staged.append(StagedResult(row, number, name, cells.cells.id, ok))
    return staged


def _check_shared(cells_id: int, v: dict[str, str], orgs: dict[str, Any], locale: str) -> _Checked:
    """The shared cells `v` checked as a row's: required, one of their values, organizations of
    the right kind (a 院校学生 has a school)."""
    faults: list[tuple[str, str, dict[str, str]]] = [
        (key, "import.required", {}) for key in _SHARED_REQUIRED if not v[key]
    ]
    for key, allowed in _CHOICES:
        if v[key] not in allowed:
            faults.append((key, "import.one_of", {"allowed": " | ".join(allowed)}))
    issuer = _org_of_kind(faults, "issuer", v["issuer"], orgs, OrgKind.EVALUATOR)
    site = _org_of_kind(faults, "site", v["site"], orgs, OrgKind.SCHOOL)
    school = None
    if v["school"]:
        school = _org_of_kind(faults, "school", v["school"], orgs, OrgKind.SCHOOL)
    elif v["student_type"] == "院校学生":
        faults.append(("school", "import.school_required", {}))
    cells = ResultCells(
        cells_id,
        v["student_type"],
        school.id if school else None,
        v["program"],
        v["level"],
        issuer.id if issuer else None,
        v["plan"],
        site.id if site else None,
        int(v["result"] == "已通过"),
    )
    return _Checked(tuple((key, t(message, locale, **p)) for key, message, p in faults), cells)


def _org_of_kind(
    faults: list[tuple[str, str, dict[str, str]]],
    key: str,
    code: str,
    orgs: dict[str, Any],
    kind: str,
) -> Any:
    """The organization of `code` if it is of `kind`; else None, and the fault if `code` is
    not blank."""
    org = orgs.get(code)
    if not code:
        return None
    if org is None:
        faults.append((key, "import.unknown_org", {"code": code}))
        return None
    if org.kind != kind:
        faults.append((key, "import.org_kind", {"code": code, "kind": kind}))
        return None
    return org
