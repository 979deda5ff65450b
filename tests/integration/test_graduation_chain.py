"""毕业证申报 → 审核 → 审批 on a real SQLite file: routing, 退回 and 重新申报, numbers, finality."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from issuance.chat.notices import shown
from issuance.core.chain import Act
from issuance.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from issuance.core.vocabulary import GradStatus
from issuance.graduation.chains import Department, route
from issuance.graduation.demo import PER_SCHOOL, TERM
from tests.gradworld import PROVINCE_RUN, UNDER_CITY, UNDER_FINAL_CITY, GradWorld, grad_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[GradWorld]:
    async with grad_world(tmp_path) as built:
        yield built


async def statuses(world: GradWorld, request_id: int) -> dict[str, int]:
    return await world.store.request_counts(request_id)


async def outbox_texts(world: GradWorld, person: str) -> list[str]:
    rows = await world.store._all(
        "SELECT payload FROM outbox WHERE person_id = ? ORDER BY id", (world[person].id,)
    )
    return [shown(json.loads(row[0]), "zh")["text"] for row in rows]


def test_routing_follows_the_tree_to_a_final_department_or_the_province() -> None:
    departments = {
        1: Department(1, None, False),
        2: Department(2, 1, True),
        3: Department(3, 1, False),
    }
    assert route(1, departments) == (1,)
    assert route(2, departments) == (2,)
    assert route(3, departments) == (3, 1)
    with pytest.raises(Conflict):
        route(None, departments)


async def test_a_declaration_returned_fixed_redeclared_and_approved_by_a_final_city(
    world: GradWorld,
) -> None:
    request_id, count = await world.grad.declare(UNDER_FINAL_CITY, TERM)
    assert count == PER_SCHOOL
    assert await statuses(world, request_id) == {GradStatus.PENDING_REVIEW: PER_SCHOOL}
    assert any("待您处理" in text for text in await outbox_texts(world, "leader_fuzhou"))

    with pytest.raises(Invalid):
        await world.grad.act(world["leader_fuzhou"], request_id, Act.REFUSE, reason="  ")
    done = await world.grad.act(
        world["leader_fuzhou"], request_id, Act.REFUSE, reason="专业名称与学籍不一致"
    )
    assert (done.status, done.items) == (GradStatus.REVIEW_RETURNED, PER_SCHOOL)
    told = await outbox_texts(world, "clerk_fuzhou")
    assert any(
        "专业名称与学籍不一致" in text and GradStatus.REVIEW_RETURNED in text for text in told
    )

    await world.grad.act(world["clerk_fuzhou"], request_id, Act.RESUBMIT)
    assert await statuses(world, request_id) == {GradStatus.PENDING_REVIEW: PER_SCHOOL}
    await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM)
    assert await statuses(world, request_id) == {GradStatus.PENDING_APPROVAL: PER_SCHOOL}
    # Fuzhou is final: the province is not on this route.
    with pytest.raises(NotFound):
        await world.grad.act(world["province"], request_id, Act.CONFIRM)
    done = await world.grad.act(world["fuzhou"], request_id, Act.CONFIRM)
    assert (done.status, done.numbered) == (GradStatus.APPROVED, PER_SCHOOL)
    assert any(GradStatus.APPROVED in text for text in await outbox_texts(world, "clerk_fuzhou"))

    history = await world.grad.history(request_id)
    assert [(h["act"], h["stage"]) for h in history] == [
        ("declare", None),
        ("refuse", 0),
        ("resubmit", 0),
        ("confirm", 0),
        ("confirm", 1),
    ]
    assert history[0]["items"] == PER_SCHOOL and history[0]["person"]
    assert history[1]["reason"] == "专业名称与学籍不一致"


async def test_numbers_have_nineteen_digits_with_the_right_parts(world: GradWorld) -> None:
    request_id, _ = await world.grad.declare(UNDER_FINAL_CITY, TERM)
    await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM)
    await world.grad.act(world["fuzhou"], request_id, Act.CONFIRM)
    listed = await world.grad.listing(UNDER_FINAL_CITY, TERM)
    numbers = [row["cert_no"] for row in listed]
    assert all(isinstance(n, str) and len(n) == 19 and n.isdigit() for n in numbers)
    assert len(set(numbers)) == PER_SCHOOL
    for row in listed:
        parts = world.grad.explain(str(row["cert_no"]))
        assert (parts.region, parts.school_seq, parts.school_level) == (35, 2, "高级技工学校")
        assert (parts.year, parts.class_level, parts.major) == (2025, row["class_level"], 701)
    serials = sorted(world.grad.explain(str(n)).serial for n in numbers)
    assert serials == list(range(1, PER_SCHOOL + 1))
    assert str(numbers[0]).startswith("35002" + "2" + "2025")


async def test_a_city_that_is_not_final_passes_the_declaration_on_to_the_province(
    world: GradWorld,
) -> None:
    request_id, _ = await world.grad.declare(UNDER_CITY, TERM)
    await world.grad.act(world["leader_quanzhou"], request_id, Act.CONFIRM)
    with pytest.raises(Conflict):
        await world.grad.act(world["province"], request_id, Act.CONFIRM)
    done = await world.grad.act(world["quanzhou"], request_id, Act.CONFIRM)
    assert (done.status, done.numbered) == (GradStatus.PENDING_APPROVAL, 0)
    assert any("待您处理" in text for text in await outbox_texts(world, "province"))
    with pytest.raises(Conflict):
        await world.grad.act(world["quanzhou"], request_id, Act.CONFIRM)
    done = await world.grad.act(
        world["province"], request_id, Act.REFUSE, reason="花名册与系统不一致"
    )
    assert done.status == GradStatus.APPROVAL_RETURNED
    await world.grad.act(world["clerk_quanzhou"], request_id, Act.RESUBMIT)
    for who in ("leader_quanzhou", "quanzhou", "province"):
        done = await world.grad.act(world[who], request_id, Act.CONFIRM)
    assert (done.status, done.numbered) == (GradStatus.APPROVED, PER_SCHOOL)


async def test_a_province_run_school_goes_straight_to_the_province(world: GradWorld) -> None:
    request_id, _ = await world.grad.declare(PROVINCE_RUN, TERM)
    await world.grad.act(world["leader_province_run"], request_id, Act.CONFIRM)
    request = await world.store.grad_request(request_id)
    assert request is not None and request.approvers == (world["province"].org_id,)
    done = await world.grad.act(world["province"], request_id, Act.CONFIRM)
    assert done.status == GradStatus.APPROVED


async def test_a_selection_is_approved_in_one_act_and_the_rest_waits(world: GradWorld) -> None:
    request_id, _ = await world.grad.declare(UNDER_FINAL_CITY, TERM)
    await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM)
    items = await world.store.grad_items(request_id)
    chosen = [item.id for item in items[:5]]
    done = await world.grad.act(world["fuzhou"], request_id, Act.CONFIRM, item_ids=chosen)
    assert (done.items, done.numbered) == (5, 5)
    assert await statuses(world, request_id) == {
        GradStatus.APPROVED: 5,
        GradStatus.PENDING_APPROVAL: PER_SCHOOL - 5,
    }
    with pytest.raises(Conflict):
        await world.grad.act(world["fuzhou"], request_id, Act.CONFIRM, item_ids=chosen[:1])


async def test_forged_and_stale_acts_change_nothing(world: GradWorld) -> None:
    request_id, _ = await world.grad.declare(UNDER_FINAL_CITY, TERM)
    attempts: list[tuple[str, Act]] = [
        ("leader_quanzhou", Act.CONFIRM),  # another school's leader
        ("clerk_fuzhou", Act.CONFIRM),  # the clerk cannot review
        ("fuzhou", Act.CONFIRM),  # not the department's turn yet
        ("clerk_fuzhou", Act.RESUBMIT),  # nothing was returned
        ("quanzhou", Act.CONFIRM),  # a department not on the route
    ]
    for who, act in attempts:
        with pytest.raises((NotFound, Forbidden, Conflict)):
            await world.grad.act(world[who], request_id, act)
    await world.grad.act(world["leader_fuzhou"], request_id, Act.REFUSE, reason="照片缺失")
    await world.grad.act(world["clerk_fuzhou"], request_id, Act.RESUBMIT)
    # A button from before the return carries round 1; the request is in round 2 now.
    with pytest.raises(Conflict):
        await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM, round_seen=1)
    assert await statuses(world, request_id) == {GradStatus.PENDING_REVIEW: PER_SCHOOL}
    acts = await world.grad.history(request_id)
    assert [a["act"] for a in acts] == ["declare", "refuse", "resubmit"]


async def test_approval_and_numbers_are_final_in_the_database(world: GradWorld) -> None:
    request_id, _ = await world.grad.declare(UNDER_FINAL_CITY, TERM)
    await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM)
    await world.grad.act(world["fuzhou"], request_id, Act.CONFIRM)
    db = sqlite3.connect(world.home / "qianfa.db")
    try:
        for statement in (
            "UPDATE grad_item SET status = '待审核' WHERE request_id = 1",
            "DELETE FROM grad_item WHERE request_id = 1",
            "UPDATE graduate SET cert_no = '3500222025207019999' WHERE cert_no IS NOT NULL",
            "UPDATE graduate SET cert_no = NULL WHERE cert_no IS NOT NULL",
            "DELETE FROM graduate WHERE cert_no IS NOT NULL",
            "DELETE FROM grad_act",
            "UPDATE grad_act SET reason = 'x'",
            "INSERT OR REPLACE INTO graduate SELECT * FROM graduate WHERE cert_no IS NOT NULL",
        ):
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(statement)
    finally:
        db.close()
    with pytest.raises(Conflict):
        await world.grad.declare(UNDER_FINAL_CITY, TERM)


_REPLACED = (
    "INSERT OR REPLACE INTO graduate (id, school_id, name, id_number, sex, major_code, major,"
    " class_level, enrolled, graduated, years, study_mode, cert_no, updated_at)"
    " SELECT {}, school_id, '冒名顶替', {}, sex, major_code, major, class_level, enrolled,"
    " graduated, years, study_mode, {}, 'x' FROM graduate WHERE cert_no IS NOT NULL LIMIT 1"
)


@pytest.mark.parametrize(
    ("new_id", "id_number", "cert_no"),
    [
        ("id", "id_number || 'x'", "NULL"),  # the same id, unnumbered
        ("NULL", "id_number || 'x'", "cert_no"),  # a new id, the same number
        ("NULL", "id_number", "NULL"),  # a new id, the same ID number and term
    ],
)
async def test_a_numbered_graduate_is_not_replaced_on_any_of_its_keys(
    world: GradWorld, new_id: str, id_number: str, cert_no: str
) -> None:
    request_id, _ = await world.grad.declare(UNDER_FINAL_CITY, TERM)
    await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM)
    await world.grad.act(world["fuzhou"], request_id, Act.CONFIRM)
    db = sqlite3.connect(world.home / "qianfa.db", isolation_level=None)
    try:
        assert db.execute("PRAGMA recursive_triggers").fetchone() == (0,)
        numbered = db.execute("SELECT * FROM graduate ORDER BY id").fetchall()
        with pytest.raises(sqlite3.IntegrityError, match="final"):
            db.execute(_REPLACED.format(new_id, id_number, cert_no))
        assert db.execute("SELECT * FROM graduate ORDER BY id").fetchall() == numbered
    finally:
        db.close()


async def test_status_counts_follow_graduates_through_their_declaration(world: GradWorld) -> None:
    request_id, _ = await world.grad.declare(UNDER_CITY, TERM)
    await world.grad.act(world["leader_quanzhou"], request_id, Act.CONFIRM)
    counts = await world.grad.counts(None, TERM)
    assert counts["全部"] == 3 * PER_SCHOOL
    assert (counts[GradStatus.PENDING_APPROVAL], counts["未申报"], counts[GradStatus.APPROVED]) == (
        PER_SCHOOL,
        2 * PER_SCHOOL,
        0,
    )
    assert list(counts)[:6] == [
        "全部",
        GradStatus.PENDING_REVIEW,
        GradStatus.REVIEW_RETURNED,
        GradStatus.PENDING_APPROVAL,
        GradStatus.APPROVAL_RETURNED,
        GradStatus.APPROVED,
    ]
    with pytest.raises(DomainError):
        await world.grad.counts("NOPE", None)


async def test_an_amendment_changes_a_printed_graduate_only_once_approved(
    world: GradWorld,
) -> None:
    request_id, _ = await world.grad.declare(UNDER_FINAL_CITY, TERM)
    await world.grad.act(world["leader_fuzhou"], request_id, Act.CONFIRM)
    await world.grad.act(world["fuzhou"], request_id, Act.CONFIRM)
    (graduate,) = (await world.grad.listing(UNDER_FINAL_CITY, TERM))[:1]
    number = str(graduate["cert_no"])
    row = await world.store.graduate_by_ref(number)
    assert row is not None
    school = world["leader_fuzhou"].org_id
    await world.stock.receive("高级技工学校", "900", "909", world["keeper"].phone)
    blanks = await world.grad.request_blanks(UNDER_FINAL_CITY, "高级技工学校", 1, None)
    for who in ("leader_fuzhou", "fuzhou"):
        await world.grad.act(world[who], blanks, Act.CONFIRM)
    await world.stock.issue(blanks, "900", world["distributor"].phone)
    await world.stock.record_printing(school, [("900", row.id)], world["clerk_fuzhou"])
    db = sqlite3.connect(world.home / "qianfa.db")
    try:
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("UPDATE graduate SET name = '改名' WHERE id = ?", (row.id,))
    finally:
        db.close()
    with pytest.raises(Invalid):
        await world.grad.amend(number, {"major_code": "0702"}, None)
    amendment = await world.grad.amend(number, {"name": "郑文华"}, None)
    assert not await world.grad.may_print_again(row.id)
    for who in ("leader_fuzhou", "fuzhou"):
        await world.grad.act(world[who], amendment, Act.CONFIRM)
    after = await world.store.graduate_by_ref(number)
    assert after is not None and (after.name, after.cert_no) == ("郑文华", number)
    history = await world.store.graduate_history(row.id)
    assert json.loads(history[-1].new) == {"name": "郑文华"}
    assert await world.grad.may_print_again(row.id)
    reprint = await world.grad.reprint(number, None)
    request = await world.store.grad_request(reprint)
    assert request is not None and request.kind == "毕业证重打"
