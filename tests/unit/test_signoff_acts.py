"""The sign-off use cases on an in-memory fake of their ports: the rule table, every status × act
× party in both signing orders, held to the same assertions as on a database (the store-backed
run of the allowed moves is in tests/integration/test_signoff_store.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from issuance.core.chain import Act
from issuance.core.errors import Conflict
from issuance.core.people import OrgKind, Person, Role
from issuance.core.records import IssuanceRecord
from issuance.core.settings import load_settings
from issuance.xcert.service import Issuance
from issuance.xcert.statuses import x_certificate_chain
from tests.fakeports import FakeSignoffPorts
from tests.signoff_spec import ALLOWED, DONE, E, S, all_cases, expected_error, path_to

ISSUER_ID, SCHOOL_ID = 1, 2
EVALUATOR = Person(
    1, "王建国", "13800000001", ISSUER_ID, "中船教育", OrgKind.EVALUATOR, Role.SIGNER
)
HEAD = Person(2, "李明华", "13800000002", SCHOOL_ID, "示范学院", OrgKind.SCHOOL, Role.HEAD)


def _record(record_id: int, status: str) -> IssuanceRecord:
    return IssuanceRecord(
        record_id,
        1,
        f"X2025{record_id:06d}",
        status,
        1,
        1,
        f"学生{record_id}",
        f"61011420000101{record_id:03d}X",
        "院校学生",
        "SCHOOLA",
        "示范学院",
        "特殊焊接技术职业技能等级证书",
        "初级",
        ISSUER_ID,
        "中船教育",
        "2025年6月考试计划",
        SCHOOL_ID,
        "SCHOOLA",
        "示范学院",
        None,
        None,
    )


@dataclass
class FakeWorld:
    """The sign-off use cases over the fake ports, and the two people who act."""

    ports: FakeSignoffPorts
    issuance: Issuance
    record_ids: list[int]

    async def act(self, act: Act, party: str, record_ids: list[int]) -> None:
        person = EVALUATOR if party == E else HEAD
        if act is Act.CONFIRM:
            png = f"signature of {person.id}".encode()
            signature = await self.ports.add_signature(
                person.id, png, hashlib.sha256(png).hexdigest(), "[]"
            )
            await self.issuance.confirm(person, record_ids, signature)
        elif act is Act.REFUSE:
            await self.issuance.refuse(person, record_ids, "学生姓名与身份证不符")
        else:
            await self.issuance.resubmit(person, record_ids)

    async def status(self, record_id: int) -> str:
        (record,) = await self.ports.records_by_ids([record_id])
        return record.status

    def counts(self) -> dict[str, int]:
        return {"signoff": len(self.ports.history), "audit": len(self.ports.audit)}


async def make_fake_world(home: Path, order: tuple[str, str], students: int = 1) -> FakeWorld:
    settings = replace(load_settings(home, environ={}), signoff_order=order)
    first = x_certificate_chain(order).first_status
    ports = FakeSignoffPorts([_record(i, first) for i in range(1, students + 1)], [EVALUATOR, HEAD])
    png = b"stamp of the school"
    await ports.save_stamp(SCHOOL_ID, HEAD.id, png, hashlib.sha256(png).hexdigest())
    # Issuance is typed with the store; at run time it needs only the ports the fake has.
    issuance = Issuance(ports, settings)  # type: ignore[arg-type]
    return FakeWorld(ports, issuance, list(range(1, students + 1)))


def _id(case: tuple[tuple[str, str], str, Act, str]) -> str:
    order, status, act, party = case
    return f"{order[0][:2]}first-{status}-{act.value}-{party}"


@pytest.mark.parametrize("case", all_cases(), ids=_id)
async def test_every_act_in_every_status_through_the_use_cases(
    tmp_path: Path, case: tuple[tuple[str, str], str, Act, str]
) -> None:
    """Allowed moves change status and append history; forbidden ones write nothing."""
    order, status, act, party = case
    world = await make_fake_world(tmp_path, order)
    (record_id,) = world.record_ids
    for step_act, step_party in path_to(order, status):
        await world.act(step_act, step_party, [record_id])
    assert await world.status(record_id) == status
    before = world.counts()
    (record,) = await world.ports.records_by_ids([record_id])
    if case in ALLOWED:
        await world.act(act, party, [record_id])
        assert await world.status(record_id) == ALLOWED[case]
        after = world.counts()
        assert after == {"signoff": before["signoff"] + 1, "audit": before["audit"] + 1}
        (moved,) = await world.ports.records_by_ids([record_id])
        assert moved.version == record.version + 1
    else:
        with pytest.raises(expected_error(status, act, party)):
            await world.act(act, party, [record_id])
        assert await world.status(record_id) == status
        assert world.counts() == before


async def test_a_batch_act_moves_every_record_or_none(tmp_path: Path) -> None:
    """One record out of turn fails the whole act: nothing moves, nothing is written."""
    world = await make_fake_world(tmp_path, (E, S), students=3)
    await world.act(Act.CONFIRM, E, world.record_ids[:1])
    before = world.counts()
    with pytest.raises(Conflict):
        await world.act(Act.CONFIRM, E, world.record_ids)
    assert world.counts() == before
    assert [await world.status(i) for i in world.record_ids] == [
        "考核站点待签发",
        "培训评价组织待签发",
        "培训评价组织待签发",
    ]
    await world.act(Act.CONFIRM, E, world.record_ids[1:])
    await world.act(Act.CONFIRM, S, world.record_ids)
    assert {await world.status(i) for i in world.record_ids} == {DONE}
    assert all(r.issued_at for r in await world.ports.records_by_ids(world.record_ids))
