"""Outputs in chat, for every channel: a department's 审批人 fetches the 花名册 (PDF and XLSX)
and the 打印预览 of any school's term on its route; evaluators and schools 导出 the issuance
records XLSX (as `qianfa export records`, ID numbers masked), filtered by batch or status.
Every tap checks again who asks and what they may see."""

from __future__ import annotations

from dataclasses import dataclass

from issuance.chat import print_desk as printdesk
from issuance.chat.actions import Action
from issuance.chat.gradchat import OutFile, term_label
from issuance.chat.screens import Button, Lines, Part, Plain, Screen, Text
from issuance.core.errors import Conflict, Forbidden, NotFound
from issuance.core.graduates import GradOrg
from issuance.core.people import OrgKind, Person, Role
from issuance.core.records import RecordFilter
from issuance.graduation.printouts import Printouts
from issuance.graduation.service import term_of
from issuance.xcert.exporting import export_records_bytes
from issuance.xcert.filters import STATUS_CHOICES
from issuance.xcert.service import Issuance

EXPORT_WORD = "导出"
# A department's list names at most this many school terms; `花名册 学校代码` narrows it.
TERMS_SHOWN = 30
# 导出 offers at most this many batches as buttons (the latest).
BATCHES_SHOWN = 10


@dataclass(frozen=True)
class DeptRoster(Action, prefix="dro"):
    """花名册 of a school's term, for a department on the school's route."""

    school: int
    term: int


@dataclass(frozen=True)
class DeptPreview(Action, prefix="dpv"):
    """打印预览 of a school's term, for a department on the school's route."""

    school: int
    term: int


@dataclass(frozen=True)
class ExportRecords(Action, prefix="xr"):
    """导出 the records: of one batch (0: every batch) with one status (an index into
    STATUS_CHOICES plus one; 0: any status)."""

    batch: int = 0
    status: int = 0


ACTIONS = (DeptRoster, DeptPreview, ExportRecords)
OutputAction = DeptRoster | DeptPreview | ExportRecords


def is_department(actor: Person) -> bool:
    """Whether 花名册 / 打印 mean the department's overview for this person (审批人)."""
    return actor.role == Role.APPROVER and actor.org_kind == OrgKind.DEPARTMENT


async def _on_route(printouts: Printouts, actor: Person, school: GradOrg) -> bool:
    try:
        return actor.org_id in await printouts.grad.approvers_of(school)
    except Conflict:  # a school with no route to the province: on nobody's
        return False


async def _route_school(printouts: Printouts, actor: Person, school_id: int) -> GradOrg:
    """The school, if it is on the asking 审批人's route; refused otherwise."""
    if not is_department(actor):
        raise Forbidden("outputs.not_department")
    school = await printouts.grad.store.grad_org(school_id)
    if school is None or school.kind != OrgKind.TECH_SCHOOL:
        raise NotFound("grad.school_unknown", code=school_id)
    if not await _on_route(printouts, actor, school):
        raise Forbidden("outputs.not_on_route")
    return school


async def department_terms(printouts: Printouts, actor: Person, code: str = "") -> Screen:
    """花名册 / 打印 of a 审批人: the terms of the schools on their route (or of one school),
    each with 花名册 and 打印预览."""
    if not is_department(actor):
        raise Forbidden("outputs.not_department")
    terms = await printouts.store.numbered_terms()
    schools: dict[int, GradOrg] = {}
    for school_id in dict.fromkeys(s for s, _, _ in terms):
        school = await printouts.grad.store.grad_org(school_id)
        wanted = school is not None and (not code or code in (school.code, school.name))
        if school is not None and wanted and await _on_route(printouts, actor, school):
            schools[school_id] = school
    mine = [(s, term, n) for s, term, n in terms if s in schools]
    if not mine:
        return Screen(Text("outputs.dept.none"))
    parts: list[Part] = [Text("outputs.dept.title", {"count": len(schools)})]
    rows = []
    for school_id, term, count in mine[:TERMS_SHOWN]:
        school, label = schools[school_id], term_label(term)
        parts.append(
            Text("outputs.dept.line", {"school": school.name, "term": label, "count": count})
        )
        short = {"school": school.name, "term": label}
        rows.append(
            [
                Button(Text("outputs.button.roster", short), DeptRoster(school_id, int(term))),
                Button(Text("outputs.button.preview", short), DeptPreview(school_id, int(term))),
            ]
        )
    if len(mine) > TERMS_SHOWN:
        parts.append(Text("outputs.dept.more", {"count": len(mine) - TERMS_SHOWN}))
    return Screen(Lines(parts), rows)


async def roster(printouts: Printouts, actor: Person, school_id: int, term: int) -> list[OutFile]:
    """The 花名册 PDF and XLSX the school's 经办人 gets, for the department."""
    school = await _route_school(printouts, actor, school_id)
    return await printdesk.roster_of(printouts, school, term_of(f"{term:06d}"))


async def preview(printouts: Printouts, actor: Person, school_id: int, term: int) -> OutFile:
    """The 打印 preview the school's 经办人 gets, for the department."""
    school = await _route_school(printouts, actor, school_id)
    return await printdesk.preview_file(printouts, school, term_of(f"{term:06d}"))


def _scope(actor: Person) -> RecordFilter:
    """What the asker may export: their evaluation organization's or their school's records."""
    if actor.org_kind == OrgKind.EVALUATOR:
        return RecordFilter(issuer_id=actor.org_id)
    if actor.org_kind == OrgKind.SCHOOL:
        return RecordFilter(site_id=actor.org_id)
    raise Forbidden("outputs.export_refused")


async def export_choice(issuance: Issuance, actor: Person) -> Screen:
    """导出: every record, or those of one status, or of one batch."""
    _scope(actor)
    batches = (await issuance.visible_batches(actor))[-BATCHES_SHOWN:]
    rows = [[Button(Text("outputs.button.export_all"), ExportRecords())]]
    statuses = [
        Button(Plain(status), ExportRecords(0, n + 1)) for n, status in enumerate(STATUS_CHOICES)
    ]
    rows += [statuses[i : i + 3] for i in range(0, len(statuses), 3)]
    rows += [
        [
            Button(
                Text("outputs.button.batch", {"plan": b.plan, "site": b.site_name}),
                ExportRecords(b.id, 0),
            )
        ]
        for b in reversed(batches)
    ]
    return Screen(Text("outputs.export.which"), rows)


async def export(issuance: Issuance, actor: Person, batch_id: int, status: int) -> OutFile:
    """The records XLSX as `qianfa export records` writes it (ID numbers masked), within the
    asker's organization."""
    scope = _scope(actor)
    if batch_id:
        await issuance.batch_for(actor, batch_id)
    if not 0 <= status <= len(STATUS_CHOICES):
        raise NotFound("outputs.status_unknown")
    chosen = STATUS_CHOICES[status - 1] if status else None
    wanted = RecordFilter(
        issuer_id=scope.issuer_id,
        site_id=scope.site_id,
        batch_id=batch_id or None,
        status=chosen,
    )
    count = len(await issuance.store.records(wanted))
    data = await export_records_bytes(issuance.store, wanted, "xlsx")
    what = chosen or (f"#{batch_id}" if batch_id else "")
    params = {"count": count, "what": what}
    name = f"发证记录{'-' + what if what else ''}.xlsx"
    return OutFile(name, data, Text("outputs.export.caption", params))
