"""Hand-out through the loopback Bot API: the evaluator books a batch as mailed (courier and
tracking asked), the school is told, taps 确认收到 and hands certificates out one by one, mails one
on, then all the rest; the province seals (验印) a printed term and the 经办人 hands it out, the
held graduate left with the reason. Wrong people's taps change nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from issuance.core.chain import Act
from issuance.core.idcard import mask
from issuance.core.records import RecordFilter
from issuance.graduation.demo import TERM
from issuance.graduation.sealing import send_seal_notices
from issuance.xcert.handout import Handout
from tests.botworld import EVALUATOR, HEAD, STAFF, World, make_world
from tests.fakebot import FakeBotApi
from tests.gradworld import UNDER_CITY, GradBot, grad_bot


@pytest.fixture
async def xworld(tmp_path: Path, bot_api: FakeBotApi) -> AsyncIterator[World]:
    made = await make_world(tmp_path, bot_api)
    for index, user in enumerate((EVALUATOR, HEAD, STAFF)):
        await made.bind(user, index)
    yield made
    await made.store.close()


async def test_a_batch_is_mailed_received_and_handed_out_through_chat(xworld: World) -> None:
    world = xworld
    async with world.bot():
        overview = await world.say(EVALUATOR, "/handout")
        assert "尚未邮寄至院校" in (overview.text or "")
        asked = await world.tap(EVALUATOR, overview, "1. 邮寄纸质证书")
        assert "快递公司和运单号" in (asked.text or "")
        booked = await world.say(EVALUATOR, "顺丰速运 SF1234567890")
        assert "SF1234567890" in (booked.text or "")

        notice = await world.api.next_message(HEAD.id, timeout=15.0)
        assert "顺丰速运" in (notice.text or "") and "SF1234567890" in (notice.text or "")
        refused = await world.answer_to_tap(EVALUATOR, notice, "确认收到")
        assert "只有该批证书所属院校" in refused
        page = await world.tap(HEAD, notice, "确认收到")
        assert "已确认收到" in (page.text or "") and "已发放 0 / 14" in (page.text or "")
        assert "*****" in (page.text or "")  # ID numbers masked

        handed = await world.tap(HEAD, page, "1. 已发放")
        assert "已标记 1 本证书为已发放" in (handed.text or "")
        assert "1. 已发放" not in [b.text for row in handed.buttons for b in row]
        asked = await world.tap(HEAD, handed, "2. 已转寄")
        assert "运单号" in (asked.text or "")
        mailed_on = await world.say(HEAD, "EMS 9876")
        assert "已转寄学生" in (mailed_on.text or "") and "EMS 9876" in (mailed_on.text or "")
        rest = await world.tap(HEAD, mailed_on, "其余全部已发放（12）")
        assert "已标记 12 本证书为已发放，还有 0 本" in (rest.text or "")
        # the staff's own notice: its 确认收到 is stale now, and nothing is left to hand out
        staff_notice = await world.api.next_message(STAFF.id, timeout=15.0)
        stale = await world.answer_to_tap(STAFF, staff_notice, "确认收到")
        assert "已确认收到" in stale
        staff = await world.say(STAFF, "/handout")
        assert "已发放 14 / 14" in (staff.text or "") and staff.buttons == []
        told = await world.api.next_message(EVALUATOR.id, timeout=15.0)
        assert "已确认收到" in (told.text or "")
    counts = await Handout(world.store).counts(RecordFilter())
    assert counts == {"已发放": 13, "已转寄学生": 1}


@pytest.fixture
async def chat(tmp_path: Path, bot_api: FakeBotApi) -> AsyncIterator[GradBot]:
    async with grad_bot(tmp_path, bot_api) as built:
        yield built


async def test_the_province_seals_a_printed_term_and_the_clerk_hands_it_out(
    chat: GradBot,
) -> None:
    world = chat.world
    request_id, count = await world.grad.declare(UNDER_CITY, TERM)
    blanks = await world.grad.request_blanks(UNDER_CITY, "技工学校", count + 1, None)
    for who in ("leader_quanzhou", "quanzhou", "province"):
        for request in (request_id, blanks):
            await world.grad.act(world[who], request, Act.CONFIRM)
    await world.stock.receive("技工学校", "J0001", "J0100", world["keeper"].phone)
    await world.stock.issue(blanks, "J0001", world["distributor"].phone)
    school = await world.grad.school(UNDER_CITY)
    roster = await world.store.seal_roster(school.id, TERM)
    printed = [(f"J{n:04d}", g.id) for n, g in enumerate(roster, 1)]
    await world.stock.record_printing(school.id, printed, world["clerk_quanzhou"])
    # one graduate printed a second time, on a blank not voided: roster and serials disagree
    twice = roster[1]
    await world.stock.record_printing(school.id, [("J0013", twice.id)], world["clerk_quanzhou"])
    # one graduate held (暂缓发放): a recorded qualification is never cleared, so one without
    held = next(g for g in roster if g.held)
    with sqlite3.connect(world.home / "qianfa.db") as db:
        db.execute(
            "UPDATE graduate SET qualification_no = 'Q1'"
            " WHERE id <> ? AND qualification_no IS NULL",
            (held.id,),
        )
        db.execute("UPDATE outbox SET status = 'sent'")  # the setup's notices are not this test's
    # the worker tells the province once that the term is fully printed
    assert await send_seal_notices(world.store, chat.settings) == 1
    assert await send_seal_notices(world.store, chat.settings) == 0

    async with chat.bot():
        nothing = await chat.say("quanzhou", "/handout")
        assert "没有等您" in (nothing.text or "")
        notice = await chat.notice("province")
        assert f"{count} 本毕业证书已全部打印" in (notice.text or "")
        overview = await chat.say("province", "/handout")
        assert f"已打印 {count} 本，待验印" in (overview.text or "")
        forged = await chat.alert("quanzhou", notice, "验印")
        assert "只有负责" in forged
        refused = await chat.tap("province", notice, "验印")
        text = refused.text or ""
        assert "1 处不一致，未验印" in text and "多张空白证书上：J0002、J0013" in text
        assert mask(twice.id_number) in text and twice.id_number not in text
        await world.stock.void("J0013", "重复打印", world["clerk_quanzhou"].phone)
        sealed = await chat.tap("province", notice, "验印")
        assert f"{count} 本毕业证书已验印" in (sealed.text or "")

        told = await chat.notice("clerk_quanzhou")
        assert f"{count} 本毕业证书已验印，可以发放" in (told.text or "")
        listing = await chat.say("clerk_quanzhou", "/handout")
        text = listing.text or ""
        assert f"待发放 {count - 1} 本" in text and "暂缓发放 1 人" in text
        assert mask(held.id_number) in text and held.id_number not in text
        done = await chat.tap("clerk_quanzhou", listing, "1. 发放毕业证书")
        assert f"已发放 {count - 1} 本毕业证书" in (done.text or "")
        assert "暂缓发放 1 人" in (done.text or "")
        again = await chat.alert("clerk_quanzhou", listing, "1. 发放毕业证书")
        assert "没有可发放的毕业证书（暂缓发放 1 人）" in again
    assert await world.store.grad_handout_counts(school.id, TERM) == {
        "已验印": count,
        "已发放": count - 1,
    }
