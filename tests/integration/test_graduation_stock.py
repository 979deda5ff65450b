"""Blank-certificate stock on a real SQLite file: custody separate from hand-out, a serial never
issued or printed twice (the database refuses), void and return, and `stock trace` end to end."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from issuance.chat.notices import shown
from issuance.core.audit import AuditEntry
from issuance.core.chain import Act
from issuance.core.errors import Conflict, Forbidden
from issuance.core.vocabulary import BlankState
from issuance.graduation.demo import TERM
from tests.cli import qianfa
from tests.gradworld import UNDER_CITY, UNDER_FINAL_CITY, GradWorld, grad_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[GradWorld]:
    async with grad_world(tmp_path) as built:
        yield built


async def approved_request(world: GradWorld, count: int = 3) -> int:
    """A 空白毕业证申报 of the Quanzhou school (技工学校), approved by city and province."""
    request_id = await world.grad.request_blanks(UNDER_CITY, "技工学校", count, None)
    for who in ("leader_quanzhou", "quanzhou", "province"):
        await world.grad.act(world[who], request_id, Act.CONFIRM)
    return request_id


def entry(action: str) -> AuditEntry:
    return AuditEntry("2026-01-01T00:00:00+08:00", "test", action, "blank")


async def test_keeper_books_in_distributor_hands_out_and_never_the_other_way(
    world: GradWorld,
) -> None:
    await world.stock.receive("技工学校", "J0000001", "J0000010", world["keeper"].phone)
    with pytest.raises(Forbidden):
        await world.stock.receive("技工学校", "J0000011", "J0000012", world["distributor"].phone)
    request_id = await approved_request(world)
    with pytest.raises(Forbidden):
        await world.stock.issue(request_id, "J0000001", world["keeper"].phone)
    # Past the use case, the database itself refuses the keeper handing out.
    school = world["leader_quanzhou"].org_id
    with pytest.raises(sqlite3.IntegrityError):
        await world.store.issue_blanks(
            request_id, school, "技工学校", ["J0000001"], world["keeper"].id, entry("x")
        )
    db = sqlite3.connect(world.home / "qianfa.db")
    try:
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            db.execute("UPDATE blank SET issued_by = received_by WHERE serial = 'J0000001'")
    finally:
        db.close()
    moved = await world.stock.issue(request_id, "J0000001", world["distributor"].phone)
    assert moved.serials == ["J0000001", "J0000002", "J0000003"]
    blank = await world.store.blank("J0000002")
    assert blank is not None and (blank.state, blank.school_id) == (BlankState.ISSUED, school)


async def test_the_database_refuses_a_serial_issued_twice_or_printed_twice(
    world: GradWorld,
) -> None:
    await world.stock.receive("技工学校", "100", "199", world["keeper"].phone)
    request_id = await approved_request(world, 2)
    await world.stock.issue(request_id, "100", world["distributor"].phone)
    with pytest.raises(Conflict):
        await world.stock.issue(request_id, "100", world["distributor"].phone)
    db = sqlite3.connect(world.home / "qianfa.db")
    try:
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(
                "INSERT INTO blank_event (serial, event, person_id, school_id, audit_id, at)"
                " VALUES ('100', 'issue', ?, ?, 1, 'now')",
                (world["distributor"].id, world["leader_quanzhou"].org_id),
            )
    finally:
        db.close()
    school = world["leader_quanzhou"].org_id
    graduates = await world.store.undeclared_graduates(school, TERM)
    await world.stock.record_printing(school, [("100", graduates[0])], world["clerk_quanzhou"])
    with pytest.raises(Conflict) as twice:
        await world.stock.record_printing(school, [("100", graduates[1])], world["clerk_quanzhou"])
    assert twice.value.key == "stock.printed_twice"
    # Another school cannot print on Quanzhou's blank; nobody prints on a blank still in stock.
    other = world["leader_fuzhou"].org_id
    for serial, school_id in (("101", other), ("150", school)):
        with pytest.raises(Conflict) as foreign:
            await world.stock.record_printing(school_id, [(serial, graduates[2])], None)
        assert foreign.value.key == "stock.not_issued_to_school"


async def test_void_return_and_trace_of_one_blank_end_to_end(world: GradWorld) -> None:
    await world.stock.receive("技工学校", "500", "509", world["keeper"].phone)
    request_id = await approved_request(world, 2)
    await world.stock.issue(request_id, "500", world["distributor"].phone)
    school = world["leader_quanzhou"].org_id
    graduates = await world.store.undeclared_graduates(school, TERM)
    await world.stock.record_printing(school, [("500", graduates[0])], world["clerk_quanzhou"])
    await world.stock.void("500", "打印错位", world["clerk_quanzhou"].phone)
    with pytest.raises(Conflict):
        await world.stock.void("500", "again", None)
    await world.stock.return_(["500"], world["keeper"].phone)
    with pytest.raises(Conflict):
        await world.stock.return_(["501"], world["keeper"].phone)

    run = qianfa(world.home, "stock", "trace", "500", "--json")
    assert run.code == 0, run.stderr
    trace = run.json()
    assert (trace["serial"], trace["kind"], trace["state"]) == (
        "500",
        "技工学校",
        BlankState.RETURNED,
    )
    assert [e["event"] for e in trace["events"]] == ["receive", "issue", "print", "void", "return"]
    assert [e["by"] for e in trace["events"]] == ["陈丽娟", "黄国华", "许雅琴", "许雅琴", "陈丽娟"]
    assert trace["events"][1]["school"] == "泉州技工学校"
    text = qianfa(world.home, "stock", "trace", "500").stdout.splitlines()
    assert len(text) == 6 and "入库" in text[1] and "退回省厅" in text[5]

    balance = qianfa(world.home, "stock", "balance", "--json").json()["balance"]
    assert {(b["state"], b["count"]) for b in balance} == {
        (BlankState.IN_STOCK, 8),
        (BlankState.ISSUED, 1),
        (BlankState.RETURNED, 1),
    }
    audit = await world.store.audit_entries()
    assert {"stock.receive", "stock.issue", "stock.print", "stock.void", "stock.return"} <= {
        e.entry.action for e in audit
    }


async def test_low_stock_warns_the_province_keeper(world: GradWorld) -> None:
    await world.stock.receive("技工学校", "700", "705", world["keeper"].phone)
    request_id = await approved_request(world, 3)
    moved = await world.stock.issue(request_id, "700", world["distributor"].phone)
    assert moved.low_stock == 3
    rows = await world.store._all(
        "SELECT payload FROM outbox WHERE person_id = ?", (world["keeper"].id,)
    )
    assert any("仅剩 3 张" in shown(json.loads(row[0]), "zh")["text"] for row in rows)


async def test_a_blank_request_needs_approval_before_issue(world: GradWorld) -> None:
    await world.stock.receive("高级技工学校", "800", "809", world["keeper"].phone)
    request_id = await world.grad.request_blanks(UNDER_FINAL_CITY, "高级技工学校", 2, None)
    with pytest.raises(Conflict):
        await world.stock.issue(request_id, "800", world["distributor"].phone)
    await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM)
    await world.grad.act(world["fuzhou"], request_id, Act.CONFIRM)
    moved = await world.stock.issue(request_id, "800", world["distributor"].phone)
    assert moved.serials == ["800", "801"]


async def test_insert_or_replace_cannot_undo_final_graduation_rows(world: GradWorld) -> None:
    await world.stock.receive("技工学校", "300", "301", world["keeper"].phone)
    request_id = await approved_request(world, 1)
    await world.stock.issue(request_id, "300", world["distributor"].phone)
    db = sqlite3.connect(world.home / "qianfa.db")
    try:
        for statement in (
            "INSERT OR REPLACE INTO blank (serial, kind, received_by, updated_at)"
            " SELECT serial, kind, received_by, updated_at FROM blank WHERE serial = '300'",
            "INSERT OR REPLACE INTO blank_event (serial, event, person_id, school_id, audit_id, at)"
            " SELECT serial, event, person_id, school_id, audit_id, at FROM blank_event"
            " WHERE serial = '300' AND event = 'issue'",
            "INSERT OR REPLACE INTO grad_item SELECT * FROM grad_item WHERE status = '已审批'",
            "INSERT OR REPLACE INTO grad_act SELECT * FROM grad_act",
        ):
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(statement)
    finally:
        db.close()
    trace = await world.stock.trace("300")
    assert [e.event for e in trace.events] == ["receive", "issue"]
