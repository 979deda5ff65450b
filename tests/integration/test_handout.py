"""Hand-out on both databases: an X batch mailed → received → handed out or mailed on, each once
and only by the right people; 验印 refused while roster and printed serials disagree, done when
they agree; a held graduation certificate (暂缓发放) never handed out; reminders once a period."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from issuance.chat.notices import shown
from issuance.core.audit import AuditEntry
from issuance.core.chain import Act
from issuance.core.errors import Conflict, Forbidden, Invalid, NotFound
from issuance.core.idcard import mask
from issuance.core.people import Person
from issuance.core.records import RecordFilter
from issuance.core.settings import Settings
from issuance.graduation import demo as grad_demo
from issuance.graduation.sealing import Sealing, SealRefused
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock
from issuance.store import Store
from issuance.store.base import SHANGHAI
from issuance.xcert import demo as x_demo
from issuance.xcert.handout import Handout, send_handout_reminders
from issuance.xcert.service import Issuance
from tests.databases import IntegrityErrors, raw

UNDER_CITY = grad_demo.SCHOOLS[2][0]  # Quanzhou's school: Quanzhou approves, the province seals


@dataclass
class World:
    settings: Settings
    store: Store
    clock: list[datetime]

    async def person(self, phone: str) -> Person:
        person = await self.store.person_by_ref(phone)
        assert person is not None
        return person


@pytest.fixture
async def world(tmp_path: Path, database: str) -> AsyncIterator[World]:
    settings = Settings(home=tmp_path, database_url=database)
    clock = [datetime(2026, 7, 1, 10, 0, tzinfo=SHANGHAI)]
    store = await Store.open(settings.database, clock=lambda: clock[0])
    issuance = Issuance(store, settings)
    await x_demo.load(issuance)
    await grad_demo.load(issuance)
    try:
        yield World(settings, store, clock)
    finally:
        await store.close()


def outbox_texts(store_location: str | Path, person_id: int) -> list[str]:
    with raw(store_location) as sql:
        rows = sql("SELECT payload FROM outbox WHERE person_id = ? ORDER BY id", (person_id,))
    # as sent: the text and its buttons
    return [json.dumps(shown(json.loads(row[0]), "zh"), ensure_ascii=False) for row in rows]


async def test_an_x_batch_is_mailed_received_and_handed_out_once_by_the_right_people(
    world: World,
) -> None:
    evaluator, head, staff = [await world.person(f"1380000000{n}") for n in (1, 2, 3)]
    handout = Handout(world.store)
    (batch,) = await world.store.handout_batches(issuer_id=evaluator.org_id)
    assert batch.issued == 14 and batch.courier is None
    with pytest.raises(Conflict, match="还未登记邮寄"):
        await handout.receive(head, batch.batch_id)
    with pytest.raises(Forbidden):
        await handout.mail(head, batch.batch_id, "顺丰速运", "SF100")
    with pytest.raises(Invalid):
        await handout.mail(evaluator, batch.batch_id, "顺丰速运", "  ")
    await handout.mail(evaluator, batch.batch_id, "顺丰速运", "SF100")
    with pytest.raises(Conflict):
        await handout.mail(evaluator, batch.batch_id, "EMS", "E200")
    # the school's people are told, with courier and tracking number
    location = world.settings.database
    for person in (head, staff):
        (notice,) = outbox_texts(location, person.id)
        assert "顺丰速运" in notice and "SF100" in notice and "确认收到" in notice
    assert outbox_texts(location, evaluator.id) == []

    records = await handout.records(head, batch.batch_id)
    with pytest.raises(Conflict, match="请先确认收到"):
        await handout.hand_out(head, batch.batch_id, [records[0].record_id])
    with pytest.raises(Forbidden):
        await handout.receive(evaluator, batch.batch_id)
    await handout.receive(staff, batch.batch_id)
    with pytest.raises(Conflict):
        await handout.receive(head, batch.batch_id)

    first, second, *rest = records
    with pytest.raises(Forbidden):
        await handout.hand_out(evaluator, batch.batch_id, [first.record_id])
    done = await handout.hand_out(head, batch.batch_id, [first.record_id])
    assert (done.how, done.left) == ("已发放", 13)
    with pytest.raises(Conflict, match=first.cert_no):
        await handout.hand_out(staff, batch.batch_id, [first.record_id])
    done = await handout.hand_out(staff, batch.batch_id, [second.record_id], tracking="EMS 300")
    assert done.how == "已转寄"
    # a record still waiting for sign-off is not in the batch's certificates to hand out
    pending = await world.store.records(
        RecordFilter(batch_id=batch.batch_id, status="考核站点待签发")
    )
    with pytest.raises(NotFound):
        await handout.hand_out(head, batch.batch_id, [pending[0].id])
    assert await handout.counts(RecordFilter()) == {"院校已签收": 12, "已发放": 1, "已转寄学生": 1}

    with raw(location) as sql:
        # past the use case, the database itself refuses a second hand-out, an unsigned record,
        # the evaluator handing out, and any change to the history
        for record_id, person_id in (
            (first.record_id, head.id),
            (pending[0].id, head.id),
            (rest[0].record_id, evaluator.id),
        ):
            with pytest.raises(IntegrityErrors):
                sql(
                    "INSERT INTO record_handout (record_id, batch_id, how, person_id, audit_id, at)"
                    " VALUES (?, ?, '已发放', ?, 1, 'now')",
                    (record_id, batch.batch_id, person_id),
                )
        with pytest.raises(IntegrityErrors):
            sql("UPDATE record_handout SET how = '已转寄', tracking = 'X'")
        with pytest.raises(IntegrityErrors):
            sql("UPDATE batch_mailing SET tracking = 'changed'")

    done = await handout.hand_out(head, batch.batch_id)
    assert (len(done.records), done.left) == (12, 0)
    with pytest.raises(Conflict):
        await handout.hand_out(head, batch.batch_id)
    assert await handout.counts(RecordFilter()) == {"已发放": 13, "已转寄学生": 1}
    actions = [row[0] for row in await world.store._all("SELECT action FROM audit ORDER BY id")]
    assert actions[-5:] == [
        "handout.mail",
        "handout.receive",
        "handout.hand_out",
        "handout.hand_out",
        "handout.hand_out",
    ]


async def test_a_received_batch_not_handed_out_reminds_the_school_once_a_period(
    world: World,
) -> None:
    evaluator, head, staff = [await world.person(f"1380000000{n}") for n in (1, 2, 3)]
    handout = Handout(world.store)
    (batch,) = await world.store.handout_batches(issuer_id=evaluator.org_id)
    await handout.mail(evaluator, batch.batch_id, "顺丰速运", "SF100")
    await handout.receive(head, batch.batch_id)
    world.clock[0] += timedelta(days=6)
    assert await send_handout_reminders(world.store, world.settings) == 0
    world.clock[0] += timedelta(days=2)
    assert await send_handout_reminders(world.store, world.settings) == 2
    assert await send_handout_reminders(world.store, world.settings) == 0
    (reminder,) = outbox_texts(world.settings.database, staff.id)[-1:]
    assert "仍有 14 本未发放" in reminder
    world.clock[0] += timedelta(days=7)
    assert await send_handout_reminders(world.store, world.settings) == 2
    await handout.hand_out(head, batch.batch_id)
    world.clock[0] += timedelta(days=7)
    assert await send_handout_reminders(world.store, world.settings) == 0


async def _printed(world: World, graduation: Graduation, skip_last: bool) -> list[int]:
    """Quanzhou's school: its term approved, blanks issued, printed (but the last, if asked)."""
    people = {name: await world.person(phone) for phone, name in _PEOPLE.items()}
    request_id, count = await graduation.declare(UNDER_CITY, grad_demo.TERM)
    for who in ("leader", "quanzhou", "province"):
        await graduation.act(people[who], request_id, Act.CONFIRM)
    stock = Stock(world.store, world.settings)
    await stock.receive("技工学校", "J0001", "J0100", people["keeper"].phone)
    blanks = await graduation.request_blanks(UNDER_CITY, "技工学校", count, None)
    for who in ("leader", "quanzhou", "province"):
        await graduation.act(people[who], blanks, Act.CONFIRM)
    await stock.issue(blanks, "J0001", people["distributor"].phone)
    school = await graduation.school(UNDER_CITY)
    roster = await world.store.seal_roster(school.id, grad_demo.TERM)
    ids = [g.id for g in roster]
    printed = ids[:-1] if skip_last else ids
    serials = [f"J{n:04d}" for n in range(1, len(printed) + 1)]
    await stock.record_printing(school.id, list(zip(serials, printed, strict=True)), None)
    return ids


_PEOPLE = {
    "13900000001": "province",
    "13900000002": "keeper",
    "13900000003": "distributor",
    "13900000004": "fuzhou",
    "13900000005": "quanzhou",
    "13900000031": "clerk",
    "13900000032": "leader",
}


async def test_seal_waits_for_agreement_and_a_held_certificate_is_never_handed_out(
    world: World,
) -> None:
    graduation = Graduation(world.store, world.settings)
    sealing = Sealing(graduation)
    people = {name: await world.person(phone) for phone, name in _PEOPLE.items()}
    ids = await _printed(world, graduation, skip_last=True)
    school = await graduation.school(UNDER_CITY)
    roster = {g.id: g for g in await world.store.seal_roster(school.id, grad_demo.TERM)}
    missing = roster[ids[-1]]
    assert await sealing.terms_to_seal(people["province"]) == []

    # Quanzhou approves but does not seal (its 审批 goes on to the province); nor does a clerk
    for who in ("quanzhou", "clerk", "fuzhou"):
        with pytest.raises(Forbidden):
            await sealing.seal(people[who], UNDER_CITY, grad_demo.TERM)
    with pytest.raises(SealRefused) as refused:
        await sealing.seal(people["province"], UNDER_CITY, grad_demo.TERM)
    message = refused.value.message()
    assert "1 处不一致" in message and missing.name in message and missing.cert_no in message
    assert mask(missing.id_number) in message and missing.id_number not in message
    assert "is not printed on a blank" in refused.value.message("en")
    assert (await sealing.counts(UNDER_CITY, grad_demo.TERM))["已验印"] == 0
    with pytest.raises(Conflict, match="尚未验印"):
        await sealing.hand_out(people["clerk"], UNDER_CITY, grad_demo.TERM)

    stock = Stock(world.store, world.settings)
    await stock.record_printing(school.id, [(f"J{len(ids):04d}", ids[-1])], None)
    (term,) = await sealing.terms_to_seal(people["province"])
    assert (term.school_id, term.term, term.certificates) == (school.id, grad_demo.TERM, len(ids))
    sealed = await sealing.seal(people["province"], UNDER_CITY, grad_demo.TERM)
    assert len(sealed.serials) == len(ids)
    with pytest.raises(Conflict, match="已全部验印"):
        await sealing.seal(people["province"], UNDER_CITY, grad_demo.TERM)
    trace = await stock.trace("J0001")
    assert (trace.state, [e.event for e in trace.events][-1]) == ("已验印", "seal")

    # the held graduate (no qualification recorded: 暂缓发放) is refused, by name, masked; a
    # recorded qualification is never cleared, so the held one is one the demo left without
    held_id = next(g.id for g in roster.values() if g.held)
    other_id = next(g.id for g in roster.values() if not g.held)
    with raw(world.settings.database) as sql:
        with pytest.raises(IntegrityErrors):
            sql("UPDATE graduate SET qualification_no = NULL WHERE id = ?", (other_id,))
        sql("UPDATE graduate SET qualification_no = 'Q1' WHERE id <> ?", (held_id,))
        with pytest.raises(IntegrityErrors):  # only a department's 审批人 seals
            sql(
                "INSERT INTO blank_event (serial, event, person_id, audit_id, at)"
                " VALUES ('J0099', 'seal', ?, 1, 'now')",
                (people["clerk"].id,),
            )
    held = roster[held_id]
    # a certificate voided (作废) after 验印 is never handed out
    voided_id = next(i for i in ids if i not in (held_id, other_id))
    entry = AuditEntry(world.store.now_iso(), "test", "grad.void", f"graduate:{voided_id}")
    await world.store.void_graduation(voided_id, "错印", entry)
    with pytest.raises(Forbidden):
        await sealing.hand_out(people["leader"], UNDER_CITY, grad_demo.TERM)
    with pytest.raises(Conflict, match="暂缓发放") as refusal:
        await sealing.hand_out(
            people["clerk"],
            UNDER_CITY,
            grad_demo.TERM,
            [held.id_number, roster[other_id].id_number],
        )
    assert mask(held.id_number) in str(refusal.value)
    assert (await sealing.counts(UNDER_CITY, grad_demo.TERM))["已发放"] == 0
    done = await sealing.hand_out(people["clerk"], UNDER_CITY, grad_demo.TERM)
    assert [g.id for g in done.held] == [held_id]
    assert len(done.handed) == len(ids) - 2
    assert not {held_id, voided_id} & {g.id for g in done.handed}
    with pytest.raises(Conflict, match="暂缓发放 1 人"):
        await sealing.hand_out(people["clerk"], UNDER_CITY, grad_demo.TERM)
    with raw(world.settings.database) as sql:
        for graduate_id in (held_id, voided_id, other_id):  # held, voided, handed out before
            with pytest.raises(IntegrityErrors):
                sql(
                    "INSERT INTO graduate_handout (graduate_id, serial, person_id, audit_id, at)"
                    " SELECT graduate_id, serial, ?, 1, 'now' FROM blank WHERE graduate_id = ?",
                    (people["clerk"].id, graduate_id),
                )
    counts = await sealing.counts(UNDER_CITY, grad_demo.TERM)
    assert counts == {"已验印": len(ids), "已发放": len(ids) - 2}
