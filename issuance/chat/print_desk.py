"""What a chat does with graduation printouts, for every channel: the 经办人's approved terms,
the print PDF with its preview, the calibration page, the roster, the departments' statistics
and the public lookup. Every function re-checks who asks (role and organization)."""

from __future__ import annotations

from dataclasses import asdict

from issuance.chat.gradchat import (
    OutFile,
    SchoolLine,
    TermCount,
    lookup_answer,
    print_terms,
    roster_terms,
    stats_table,
    term_label,
)
from issuance.chat.screens import Screen, Text
from issuance.core.errors import Forbidden, Invalid
from issuance.core.graduates import GradOrg
from issuance.core.people import Person, Role
from issuance.graduation.chains import DEPARTMENT_ROLES
from issuance.graduation.printouts import Printouts, rendered
from issuance.graduation.service import term_of

ROSTER_ROLES = (Role.CLERK, Role.LEADER)


async def own_school(printouts: Printouts, actor: Person, school_id: int | None = None) -> GradOrg:
    """The 经办人's own school; a tap naming another school is refused."""
    if actor.role != Role.CLERK:
        raise Forbidden("gradchat.not_clerk")
    if school_id is not None and school_id != actor.org_id:
        raise Forbidden("gradchat.not_your_school")
    school = await printouts.grad.store.grad_org(actor.org_id)
    assert school is not None
    return school


async def _terms(printouts: Printouts, school: GradOrg) -> list[TermCount]:
    rows = await printouts.store.approved_terms(school.id)
    return [TermCount(term, graduates) for term, graduates in rows]


async def terms(printouts: Printouts, actor: Person) -> Screen:
    """打印 (/print): the 经办人's school's approved terms with 打印, 花名册 and 校准页."""
    school = await own_school(printouts, actor)
    return print_terms(school.name, school.id, await _terms(printouts, school))


async def print_files(
    printouts: Printouts, actor: Person, school_id: int, term: int
) -> list[OutFile]:
    """The term's print PDF (as `qianfa grad print` without --first-serial) and the preview of
    its first page over the drawing of the blank."""
    school = await own_school(printouts, actor, school_id)
    yyyymm = term_of(f"{term:06d}")
    pdf, ids = await printouts.print_pdf(school.code, yyyymm)
    label = term_label(yyyymm)
    params = {"school": school.name, "term": label, "count": len(ids)}
    return [
        OutFile(
            f"{school.code}-{yyyymm}-毕业证打印.pdf", pdf, Text("gradchat.caption.print", params)
        ),
        await preview_file(printouts, school, yyyymm),
    ]


async def preview_file(printouts: Printouts, school: GradOrg, yyyymm: str) -> OutFile:
    """The preview of a term's first certificate over the drawing of the blank."""
    preview = await printouts.preview(school.code, yyyymm)
    first = (await printouts.store.numbered_graduates(school.id, yyyymm))[0]
    return OutFile(
        f"{school.code}-{yyyymm}-预览.png",
        preview,
        Text("gradchat.caption.preview", {"name": first.name}),
        picture=True,
    )


async def calibration_file(printouts: Printouts, actor: Person, school_id: int) -> list[OutFile]:
    """校准页: the school's calibration test page, with its current offset."""
    school = await own_school(printouts, actor, school_id)
    pdf = await printouts.calibration_pdf(school.code)
    caption = Text("gradchat.caption.calibration", {"school": school.name})
    return [OutFile(f"{school.code}-校准页.pdf", pdf, caption)]


async def _roster_school(printouts: Printouts, actor: Person, school_id: int | None) -> GradOrg:
    """The asker's school, for its 经办人 or 校领导; another school's roster is refused."""
    if actor.role not in ROSTER_ROLES or school_id not in (None, actor.org_id):
        raise Forbidden("gradchat.roster.refused")
    school = await printouts.grad.store.grad_org(actor.org_id)
    assert school is not None
    return school


async def rosters(printouts: Printouts, actor: Person) -> Screen:
    """花名册 (/roster): the school's approved terms, each with its 花名册 button."""
    school = await _roster_school(printouts, actor, None)
    return roster_terms(school.name, school.id, await _terms(printouts, school))


async def roster_files(
    printouts: Printouts, actor: Person, school_id: int, term: int
) -> list[OutFile]:
    """The term's roster as PDF and XLSX, ID numbers masked (it is shown in a chat)."""
    school = await _roster_school(printouts, actor, school_id)
    return await roster_of(printouts, school, term_of(f"{term:06d}"))


async def roster_of(printouts: Printouts, school: GradOrg, yyyymm: str) -> list[OutFile]:
    """A school's term as the roster PDF and XLSX, ID numbers masked."""
    pdf, count = await printouts.roster(school.code, yyyymm, "pdf", mask_ids=True)
    xlsx, _ = await printouts.roster(school.code, yyyymm, "xlsx", mask_ids=True)
    params = {"school": school.name, "term": term_label(yyyymm), "count": count}
    name = f"{school.code}-{yyyymm}-花名册"
    return [
        OutFile(f"{name}.pdf", pdf, Text("gradchat.caption.roster_pdf", params)),
        OutFile(f"{name}.xlsx", xlsx, Text("gradchat.caption.roster_xlsx", params)),
    ]


def _year(printouts: Printouts, given: str | None) -> int:
    """The year asked for, by default the current one (Asia/Shanghai)."""
    if not given:
        return int(printouts.store.now_iso()[:4])
    value = given.strip()
    if len(value) != 4 or not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise Invalid("gradchat.stats.bad_year")
    return int(value)


async def _schools_under(printouts: Printouts, department_id: int, codes: list[str]) -> set[str]:
    """Which of the schools `codes` sit under the department (directly or through a city)."""
    parents = {d.id: d.parent_id for d in await printouts.grad.store.departments()}
    under = set()
    for code, school in (await printouts.grad.store.grad_orgs_by_code(codes)).items():
        step = school.parent_id
        while step is not None and step != department_id:
            step = parents.get(step)
        if step == department_id:
            under.add(code)
    return under


async def stats(
    printouts: Printouts, actor: Person, year_given: str | None
) -> tuple[Screen, OutFile | None]:
    """统计 (/stats [YEAR]): the year's table and bar chart, only for the schools under the
    asker's department."""
    if actor.role not in DEPARTMENT_ROLES:
        raise Forbidden("gradchat.stats.refused")
    year = _year(printouts, year_given)
    found = await printouts.rates(year, None)
    under = await _schools_under(printouts, actor.org_id, [code for code, _ in found])
    mine = [rates for code, rates in found if code in under]
    table = stats_table(
        year,
        [SchoolLine(r.school, r.graduates, r.qualification_rate, r.employment_rate) for r in mine],
    )
    if not mine:
        return table, None
    chart = await rendered(printouts.chart, year, mine)
    caption = Text("gradchat.caption.chart", {"year": year})
    return table, OutFile(f"{year}-毕业生统计.png", chart, caption, picture=True)


async def lookup(printouts: Printouts, reply: str) -> Screen:
    """毕业证 lookup from chat: "certificate number name", answered as the web page does."""
    parts = reply.split(maxsplit=1)
    if len(parts) != 2:
        raise Invalid("gradchat.verify.format")
    answer = await printouts.lookup(*parts)
    return lookup_answer(asdict(answer))
