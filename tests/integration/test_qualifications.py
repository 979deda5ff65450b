"""Qualifications, employment and grades on SQLite and PostgreSQL: imports all or nothing with
rows matched by ID number and name, 证书比对 kept rows, history, and the 暂缓发放 hold released by
an X certificate issued through the X workflow."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

import openpyxl
import pytest

from issuance.chat.notices import shown
from issuance.core.chain import Act
from issuance.core.graduates import GradOrg, QualifiedGraduate
from issuance.core.idcard import mask
from issuance.core.records import RecordFilter
from issuance.core.settings import Settings, load_settings
from issuance.core.vocabulary import XStatus
from issuance.graduation import demo as grad_demo
from issuance.graduation.holds import match_report
from issuance.graduation.importing import import_graduates
from issuance.graduation.printouts import Printouts
from issuance.graduation.qualifications import (
    graduate_record,
    import_employment,
    import_grades,
    import_qualifications,
)
from issuance.graduation.service import Graduation
from issuance.store import Store
from issuance.xcert import demo as x_demo
from issuance.xcert.importing import ResultRow
from issuance.xcert.service import Issuance
from tests.databases import raw
from tests.workload import id_number, people

TERM = grad_demo.TERM
SCHOOL = grad_demo.SCHOOLS[1][0]  # under 福州, the final city
PLAN = "2025年7月考试计划特殊焊接技术职业技能等级证书中级"


@dataclass
class World:
    tmp: Path
    settings: Settings
    store: Store
    issuance: Issuance
    grad: Graduation
    school: GradOrg

    def write(self, name: str, lines: list[str]) -> Path:
        path = self.tmp / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def sql(self, statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with raw(self.settings.database) as execute:
            return execute(statement, params)


@pytest.fixture
async def world(tmp_path: Path, database: str) -> AsyncIterator[World]:
    settings = load_settings(tmp_path, environ={"QIANFA_DATABASE_URL": database})
    store = await Store.open(settings.database)
    issuance = Issuance(store, settings)
    await grad_demo.load(issuance)
    grad = Graduation(store, settings)
    yield World(tmp_path, settings, store, issuance, grad, await grad.school(SCHOOL))
    await store.close()


async def unqualified(world: World) -> list[QualifiedGraduate]:
    return await world.store.unqualified_graduates(world.school.id, TERM)


QUAL_HEADER = "姓名,身份证号,职业资格证书编号,职业资格等级,职业(工种),发证日期"


async def test_qualifications_are_matched_by_id_number_and_name_and_the_rest_kept(
    world: World,
) -> None:
    a, b, *_ = await unqualified(world)
    stranger = id_number(7)
    path = world.write(
        "q.csv",
        [
            QUAL_HEADER,
            f"{a.name},{a.id_number},Q20250001,三级/高级工,汽车维修工,2025/6/30",
            f"错名字,{b.id_number},Q20250002,高级工,,",
            f"陌生人,{stranger},Q20250003,四级,,",
        ],
    )
    report = await import_qualifications(world.store, path, school=SCHOOL)
    assert report.errors == ()
    assert report.as_json()["imported"] == 1
    kept = report.as_json()["kept"]
    assert [(k["row"], k["reason"]) for k in kept] == [(3, "name_mismatch"), (4, "no_graduate")]
    assert kept[0]["graduate_name"] == b.name and kept[1]["id_number_masked"] == mask(stranger)

    row = await world.store.graduate(a.id)
    assert row is not None
    assert (row.qualification_no, row.qualification_level) == ("Q20250001", "三级/高级工")
    assert (row.qualification_occupation, row.qualification_date) == (
        "汽车维修工",
        "2025-06-30",
    )
    history = await world.store.graduate_history(a.id)
    assert history[-1].source == "qualifications:q.csv"
    assert json.loads(history[-1].old)["qualification_no"] is None
    still = await world.store.graduate(b.id)
    assert still is not None and still.qualification_no is None  # kept, not applied

    matching = await match_report(world.store, world.school, TERM)
    assert [(k["name"], k["reason"]) for k in matching.kept] == [
        ("错名字", "name_mismatch"),
        ("陌生人", "no_graduate"),
    ]
    shown = json.dumps(matching.as_json(), ensure_ascii=False)
    assert b.id_number not in shown and stranger not in shown
    assert a.name not in {u["name"] for u in matching.unqualified}
    assert b.name in {u["name"] for u in matching.unqualified}

    # The corrected row, imported again, is applied and no longer kept.
    fixed = world.write("fix.csv", [QUAL_HEADER, f"{b.name},{b.id_number},Q20250002,高级工,,"])
    assert (await import_qualifications(world.store, fixed, school=SCHOOL)).imported == 1
    matching = await match_report(world.store, world.school, TERM)
    assert [k["reason"] for k in matching.kept] == ["no_graduate"]
    assert b.name not in {u["name"] for u in matching.unqualified}


async def test_a_bad_qualification_row_writes_nothing(world: World) -> None:
    a, b, c, *_ = await unqualified(world)
    other_school = (await world.grad.school(grad_demo.SCHOOLS[2][0])).id
    elsewhere = (await world.store.unqualified_graduates(other_school, TERM))[0]
    path = world.write(
        "bad.csv",
        [
            QUAL_HEADER,
            f"{a.name},{a.id_number},Q1000001,高级工,,",
            f"{b.name}\u200b,{b.id_number},Q1000002,高级工,,",
            f"{c.name},{c.id_number},Q1000003,博士,,",
            f"{c.name},{c.id_number},Q1000004,技师,,2025-02-30",
            f"{elsewhere.name},{elsewhere.id_number},Q1000005,技师,,",
        ],
    )
    report = await import_qualifications(world.store, path, school=SCHOOL)
    assert {(e.row, e.column) for e in report.errors} == {
        (3, "姓名"),
        (4, "职业资格等级"),
        (5, "发证日期"),
        (5, "身份证号"),
    }
    assert world.sql("SELECT COUNT(*) FROM graduate WHERE qualification_no LIKE 'Q1%'") == [(0,)]
    assert world.sql("SELECT COUNT(*) FROM qualification_pending") == [(0,)]
    # Excel numbers lose digits: an ID number or a long certificate number typed as a number.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(QUAL_HEADER.split(","))
    sheet.append([a.name, int(a.id_number[:17]) * 10, "Q1000001", "高级工"])
    sheet.append([b.name, b.id_number, 12345678901234567890, "高级工"])
    book.save(world.tmp / "q.xlsx")
    report = await import_qualifications(world.store, world.tmp / "q.xlsx", school=SCHOOL)
    assert {(e.row, e.column) for e in report.errors} == {(2, "身份证号"), (3, "职业资格证书编号")}
    assert world.sql("SELECT COUNT(*) FROM graduate WHERE qualification_no LIKE 'Q1%'") == [(0,)]
    # Without row 3 to 5: another school's graduate is no graduate of this school: kept.
    good = world.write(
        "good.csv", [QUAL_HEADER, f"{elsewhere.name},{elsewhere.id_number},Q1000005,技师,,"]
    )
    report = await import_qualifications(world.store, good, school=SCHOOL)
    assert report.imported == 0 and report.as_json()["kept"][0]["reason"] == "no_graduate"
    untouched = await world.store.graduate(elsewhere.id)
    assert untouched is not None and untouched.qualification_no is None


async def test_employment_and_grades_refuse_mismatches_and_replace_with_history(
    world: World,
) -> None:
    a, b, *_ = await unqualified(world)
    header = "姓名,身份证号,就业情况,就业单位"
    bad = world.write(
        "e.csv",
        [
            header,
            f"{a.name},{a.id_number},已就业,福州某公司",
            f"别人,{b.id_number},待就业,",
        ],
    )
    report = await import_employment(world.store, bad, school=SCHOOL)
    assert [(e.row, e.column) for e in report.errors] == [(3, "姓名")]
    assert b.name in report.errors[0].message
    before = await world.store.graduate(a.id)
    assert before is not None and before.employer is None
    good = world.write(
        "e.csv",
        [
            header,
            f"{a.name},{a.id_number},已就业,福州某公司",
            f"{b.name},{b.id_number},升学,",
        ],
    )
    assert (await import_employment(world.store, good, school=SCHOOL)).imported == 2
    after = await world.store.graduate(a.id)
    assert after is not None and (after.employment, after.employer) == (
        "已就业",
        "福州某公司",
    )
    assert (await world.store.graduate_history(a.id))[-1].source == "employment:e.csv"

    header = "身份证号,姓名,课程,成绩,任课教师,学期"
    bad = world.write(
        "g.csv",
        [
            header,
            f"{a.id_number},{a.name},汽车构造,88,张老师,2023-2024-1",
            f"{a.id_number},{a.name},汽车构造,90,张老师,2023-2024-1",
            f"{b.id_number},{b.name},汽车构造,101,张老师,",
            f"{b.id_number},{a.name},汽车电器,良好,李老师,",
        ],
    )
    report = await import_grades(world.store, bad, school=SCHOOL)
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "身份证号"),
        (4, "成绩"),
        (5, "姓名"),
    ]
    assert await world.store.grades_of(a.id) == []
    good = world.write(
        "g.csv",
        [
            header,
            f"{a.id_number},{a.name},汽车构造,88,张老师,2023-2024-1",
            f"{a.id_number},{a.name},汽车电器,优秀,李老师,2023-2024-2",
            f"{b.id_number},{b.name},汽车构造,75,张老师,2023-2024-1",
        ],
    )
    assert (await import_grades(world.store, good, school=SCHOOL)).imported == 3
    again = world.write(
        "g2.csv", [header, f"{a.id_number},{a.name},汽车构造,90,王老师,2023-2024-1"]
    )
    report = await import_grades(world.store, again, school=SCHOOL)
    assert report.as_json()["replaced"] == 1
    grades = [asdict(g) for g in await world.store.grades_of(a.id)]
    assert [(g["course"], g["score"], g["teacher"]) for g in grades] == [
        ("汽车构造", "90", "王老师"),
        ("汽车电器", "优秀", "李老师"),
    ]
    history = (await world.store.graduate_history(a.id))[-1]
    assert json.loads(history.old) == {
        "grade:汽车构造": {"score": "88", "teacher": "张老师", "semester": "2023-2024-1"}
    }
    listed = await world.store.grades_listed(world.school.id, TERM)
    assert [(r.name, r.course) for r in listed] == [
        (a.name, "汽车构造"),
        (a.name, "汽车电器"),
        (b.name, "汽车构造"),
    ]
    record = await graduate_record(world.store, a.id_number)
    assert record["id_number_masked"] == mask(a.id_number)
    assert a.id_number not in json.dumps(record, ensure_ascii=False)
    assert record["employer"] == "福州某公司" and len(record["grades"]) == 2


async def x_certificates(world: World, students: list[tuple[str, str]]) -> list[str]:
    """X certificates through the X workflow: results, pending list, both sides confirm."""
    await x_demo.load(world.issuance)
    store = world.store
    orgs = await store.orgs_by_code([x_demo.ISSUER[0], x_demo.SCHOOL[0]])
    issuer, site = orgs[x_demo.ISSUER[0]].id, orgs[x_demo.SCHOOL[0]].id
    await store.import_results(
        [
            ResultRow(name, number, "社会学员", None, x_demo.PROGRAM, "中级", issuer, PLAN, site, 1)
            for name, number in students
        ]
    )
    (batch,) = await world.issuance.create_lists(PLAN)
    ids = [r.id for r in await store.records(RecordFilter(batch_id=batch.id))]
    evaluator, head, _ = await people(world.issuance)
    for seed, signer in enumerate((evaluator, head), start=10):
        png, strokes = x_demo.signature_png(seed)
        signature = await store.add_signature(
            signer.id, png, hashlib.sha256(png).hexdigest(), strokes
        )
        await world.issuance.confirm(signer, ids, signature)
    records = {r.id_number: r for r in await store.records(RecordFilter(batch_id=batch.id))}
    assert all(r.status == XStatus.CONFIRMED for r in records.values())
    return [records[number].cert_no for _, number in students]


async def test_an_x_certificate_releases_the_held_graduate_and_tells_the_clerk(
    world: World,
) -> None:
    request_id, _ = await world.grad.declare(SCHOOL, TERM)
    for phone in ("13900000022", "13900000004"):  # the school's 校领导, then 福州's 审批人
        await world.grad.act(await world.grad.person(phone), request_id, Act.CONFIRM)
    held_before = (await world.grad.counts(SCHOOL, TERM))["暂缓发放"]
    graduate = (await unqualified(world))[0]
    assert graduate.cert_no is not None and held_before > 0
    listed = {r["name"]: r["held"] for r in await world.grad.listing(SCHOOL, TERM)}
    assert listed[graduate.name] is True

    lookup = Printouts(world.grad, world.store).lookup
    assert (await lookup(graduate.cert_no, graduate.name)).held is True

    newcomer = ("林新", id_number(11))
    cert_no, earlier = await x_certificates(world, [(graduate.name, graduate.id_number), newcomer])

    assert (await lookup(graduate.cert_no, graduate.name)).held is False

    released = await world.store.graduate(graduate.id)
    assert released is not None and released.qualification_no == cert_no
    assert released.qualification_level == "中级"
    assert (await world.grad.counts(SCHOOL, TERM))["暂缓发放"] == held_before - 1
    assert (await world.store.graduate_history(graduate.id))[-1].source == f"xcert:{cert_no}"
    assert world.sql(
        "SELECT COUNT(*) FROM audit WHERE action = 'grad.qualification.xcert' AND subject = ?",
        (f"graduate:{graduate.id}",),
    ) == [(1,)]
    clerk = await world.store.person_by_ref("13900000021")
    assert clerk is not None
    texts = [
        shown(json.loads(str(p)), "zh")["text"]
        for (p,) in world.sql("SELECT payload FROM outbox WHERE person_id = ?", (clerk.id,))
    ]
    told = [text for text in texts if cert_no in text]
    assert len(told) == 1 and "解除暂缓发放" in told[0] and mask(graduate.id_number) in told[0]
    assert graduate.id_number not in told[0] and str(graduate.cert_no) in told[0]

    # A graduate imported after an X certificate was issued to them has it as the qualification.
    header = "姓名,身份证号,所属院校,专业代码,专业名称,培养层次,入学时间,毕业时间,学制,学习方式"
    line = f"{newcomer[0]},{newcomer[1]},{SCHOOL},0701,汽车维修,高级工班,202209,{TERM},3,全日制"
    report = await import_graduates(world.store, world.write("g.csv", [header, line]), "zh")
    assert report.errors == () and report.imported == 1
    (imported,) = world.sql(
        "SELECT qualification_no, qualification_level FROM graduate WHERE id_number = ?",
        (newcomer[1],),
    )
    assert imported == (earlier, "中级")
