"""A small issuance world in a real SQLite file, built through the store and use cases.

One evaluation organization with its 签发人, two schools each with a 负责人 (school A also has a
业务管理员), and `students` passed results of one exam plan at school A, listed and pending.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from issuance.core.chain import Act
from issuance.core.idcard import check_character
from issuance.core.people import Person
from issuance.core.records import RecordFilter
from issuance.core.settings import load_settings
from issuance.store import Store
from issuance.xcert.importing import ResultRow
from issuance.xcert.service import Issuance

ISSUER = "ISSUER01"
SCHOOL_A = "SCHOOLA"
SCHOOL_B = "SCHOOLB"
PROGRAM = "特殊焊接技术职业技能等级证书"
PLAN = "2025年6月考试计划特殊焊接技术职业技能等级证书初级"
PHONES = {"evaluator": "13800000001", "head_a": "13800000002", "head_b": "13800000003"}
CLERK_PHONE = "13800000004"


def id_number(index: int) -> str:
    """A valid ID number, distinct per index (0–999)."""
    first17 = f"61011420000101{index:03d}"
    return first17 + check_character(first17)


@dataclass
class World:
    """The store, the use cases and the people who act."""

    store: Store
    issuance: Issuance
    evaluator: Person
    head_a: Person
    head_b: Person
    clerk_a: Person
    record_ids: list[int]

    @property
    def location(self) -> Path | str:
        """Where the database is (SQLite file or PostgreSQL URL), for raw SQL past the store."""
        return self.issuance.settings.database

    def party(self, party: str) -> Person:
        return self.evaluator if party == "培训评价组织" else self.head_a

    async def signature(self, person: Person) -> int:
        png = f"signature of {person.id}".encode()
        return await self.store.add_signature(person.id, png, hashlib.sha256(png).hexdigest(), "[]")

    async def stamp(self, person: Person) -> None:
        png = f"stamp of {person.id}".encode()
        await self.store.save_stamp(person.org_id, person.id, png, hashlib.sha256(png).hexdigest())

    async def act(self, act: Act, party: str, record_ids: list[int]) -> None:
        person = self.party(party)
        if act is Act.CONFIRM:
            await self.issuance.confirm(person, record_ids, await self.signature(person))
        elif act is Act.REFUSE:
            await self.issuance.refuse(person, record_ids, "学生姓名与身份证不符")
        else:
            await self.issuance.resubmit(person, record_ids)

    async def status(self, record_id: int) -> str:
        (record,) = await self.store.records_by_ids([record_id])
        return record.status

    async def count(self, table: str) -> int:
        row = await self.store._one(f"SELECT COUNT(*) FROM {table}")
        assert row is not None
        return int(row[0])

    async def counts(self, *tables: str) -> dict[str, int]:
        return {table: await self.count(table) for table in tables}


async def make_world(
    home: Path,
    students: int = 3,
    order: tuple[str, ...] | None = None,
    stamp: bool = True,
    database: str = "",
) -> World:
    settings = replace(load_settings(home, environ={}), database_url=database)
    if order is not None:
        settings = replace(settings, signoff_order=order)
    store = await Store.open(settings.database)
    issuance = Issuance(store, settings)
    await store.insert_orgs(
        [
            (ISSUER, "中船教育科技(北京)有限公司", "培训评价组织", None, None),
            (SCHOOL_A, "辽宁示范船舶职业技术学院", "试点院校", None, None),
            (SCHOOL_B, "陕西工业职业技术学院", "试点院校", None, None),
        ]
    )
    orgs = await store.orgs_by_code([ISSUER, SCHOOL_A, SCHOOL_B])
    await store.insert_people(
        [
            ("王建国", PHONES["evaluator"], orgs[ISSUER].id, "签发人", None),
            ("李明华", PHONES["head_a"], orgs[SCHOOL_A].id, "负责人", "副校长"),
            ("周立", PHONES["head_b"], orgs[SCHOOL_B].id, "负责人", "校长"),
            ("赵晓燕", CLERK_PHONE, orgs[SCHOOL_A].id, "业务管理员", None),
        ]
    )
    school, issuer = orgs[SCHOOL_A].id, orgs[ISSUER].id
    await store.import_results(
        [
            ResultRow(
                f"学生{i}",
                id_number(i),
                "院校学生",
                school,
                PROGRAM,
                "初级",
                issuer,
                PLAN,
                school,
                1,
            )
            for i in range(students)
        ]
    )
    batches = await issuance.create_lists(PLAN)
    records = [r for b in batches for r in await store.records(RecordFilter(batch_id=b.id))]
    people = {key: await store.person_by_ref(phone) for key, phone in PHONES.items()}
    clerk = await store.person_by_ref(CLERK_PHONE)
    assert clerk is not None and all(people.values())
    world = World(
        store,
        issuance,
        people["evaluator"],  # type: ignore[arg-type]
        people["head_a"],  # type: ignore[arg-type]
        people["head_b"],  # type: ignore[arg-type]
        clerk,
        [r.id for r in records],
    )
    if stamp:
        await world.stamp(world.head_a)
        await world.stamp(world.head_b)
    return world
