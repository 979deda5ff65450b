"""Confirmed records in bulk, for the worker's tests and the certificate bench."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from issuance.core.idcard import check_character
from issuance.core.people import Person
from issuance.core.records import RecordFilter
from issuance.graduation import demo as grad_demo
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.importing import ResultRow
from issuance.xcert.service import Issuance

PLAN = "2025年6月考试计划特殊焊接技术职业技能等级证书中级"
_NAMES = ("朱鹏飞", "李娜", "欧阳文静", "王小明", "张伟", "折海威", "杨刚")


# A graduates file (CSV) of the graduation demo's second school and term.
GRADUATES_HEADER = (
    "姓名,身份证号,所属院校,专业代码,专业名称,培养层次,入学时间,毕业时间,学制,学习方式"
)


def graduate_line(index: int, name: str = "李娜") -> str:
    """The graduates file's line of graduate `index` (ID number `id_number(index)`)."""
    school, term = grad_demo.SCHOOLS[1][0], grad_demo.TERM
    return f"{name},{id_number(index)},{school},0701,汽车维修,高级工班,202209,{term},3,全日制"


def id_number(index: int) -> str:
    """A valid, distinct ID number for each index below 366,000."""
    born = date(2000, 1, 1) + timedelta(days=index // 1000)
    first17 = f"610114{born:%Y%m%d}{index % 1000:03d}"
    return first17 + check_character(first17)


async def people(issuance: Issuance) -> tuple[Person, Person, Person]:
    """The demo's 签发人, 负责人 and 业务管理员."""
    found = [await issuance.store.person_by_ref(p[1]) for p in demo.PEOPLE]
    evaluator, head, admin = found
    assert evaluator is not None and head is not None and admin is not None
    return evaluator, head, admin


async def confirmed_records(issuance: Issuance, count: int) -> int:
    """Demo data (14 confirmed) plus a batch of `count` records confirmed by both sides.

    The evaluation organization has a seal on file too, so certificates carry both pictures.
    Returns the new batch's id.
    """
    store = issuance.store
    await demo.load(issuance)
    orgs = await store.orgs_by_code([demo.ISSUER[0], demo.SCHOOL[0]])
    issuer, school = orgs[demo.ISSUER[0]].id, orgs[demo.SCHOOL[0]].id
    evaluator, head, _ = await people(issuance)
    seal = demo.stamp_png("中船教")
    await store.save_stamp(issuer, evaluator.id, seal, hashlib.sha256(seal).hexdigest())
    await store.import_results(
        [
            ResultRow(
                _NAMES[i % len(_NAMES)],
                id_number(i),
                "院校学生",
                school,
                demo.PROGRAM,
                "中级",
                issuer,
                PLAN,
                school,
                1,
            )
            for i in range(count)
        ]
    )
    (batch,) = await issuance.create_lists(PLAN)
    ids = [r.id for r in await store.records(RecordFilter(batch_id=batch.id))]
    for seed, signer in enumerate((evaluator, head), start=10):
        png, strokes = demo.signature_png(seed)
        signature = await store.add_signature(
            signer.id, png, hashlib.sha256(png).hexdigest(), strokes
        )
        await issuance.confirm(signer, ids, signature)
    return batch.id


async def add_info_problem(store: Store, record_id: int, deadline: datetime, note: str) -> None:
    """The evaluation organization asks the school to complete a record's student info."""
    async with store.transaction():
        await store._db.execute(
            "INSERT INTO info_problem (record_id, field, note, deadline, created_at)"
            " VALUES (?, 'name', ?, ?, ?)",
            (record_id, note, deadline.isoformat(), store.now_iso()),
        )
