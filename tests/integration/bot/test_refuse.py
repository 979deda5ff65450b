"""拒绝签发 with a reason, across a bot restart; the evaluator sees the reason and resubmits."""

from __future__ import annotations

import pytest

from tests.botworld import EVALUATOR, HEAD, World
from tests.integration.bot.test_signoff import open_page

pytestmark = pytest.mark.one_database


async def test_refusal_asks_for_a_reason_and_refuses_with_it(world: World) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        view = await open_page(world, 3)
        ask = await world.tap(HEAD, view, "r:16:2")
        done = await world.say(HEAD, "身份证号与姓名不符")
    assert "请输入拒绝签发的理由" in (ask.text or "")
    assert "已拒绝签发 1 条记录" in (done.text or "")
    [record] = await world.store.records_by_ids([16])
    assert record.status == "考核站点拒绝签发"
    assert await world.store.latest_refusals([16]) == {16: "身份证号与姓名不符"}


async def test_the_pending_reason_survives_a_bot_restart(world: World) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        view = await open_page(world, 3)
        await world.tap(HEAD, view, "t:16:3")
        view = world.api.message(HEAD.id, view.message_id)
        await world.tap(HEAD, view, "t:17:3")
        view = world.api.message(HEAD.id, view.message_id)
        ask = await world.tap(HEAD, view, "ra:1")
    assert "2 条" in (ask.text or "")
    async with world.bot():
        done = await world.say(HEAD, "照片与本人不符")
    assert "已拒绝签发 2 条记录" in (done.text or "")
    statuses = {r.id: r.status for r in await world.store.records_by_ids([16, 17, 18])}
    assert statuses == {16: "考核站点拒绝签发", 17: "考核站点拒绝签发", 18: "考核站点待签发"}


async def test_cancel_forgets_the_question_and_nothing_is_refused(world: World) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        view = await open_page(world, 3)
        await world.tap(HEAD, view, "r:16:2")
        cancelled = await world.say(HEAD, "/cancel")
        after = await world.say(HEAD, "这不是理由")
    assert "已取消" in (cancelled.text or "")
    assert "请使用菜单" in (after.text or "")
    assert (await world.store.records_by_ids([16]))[0].status == "考核站点待签发"


@pytest.mark.both_databases  # a complete flow on PostgreSQL too
async def test_evaluator_sees_the_reason_resubmits_and_the_school_hears_of_it(
    world: World,
) -> None:
    await world.bind(HEAD, 1)
    await world.bind(EVALUATOR, 0)
    head = await world.store.person_by_ref("13800000002")
    assert head is not None
    await world.issuance.refuse(head, [16], "出生日期错误")
    async with world.bot():
        listing = await world.say(EVALUATOR, "/pending")
        view = await world.tap(EVALUATOR, listing, "b:1:0")
        for _ in range(3):
            view = await world.tap(EVALUATOR, view, "下一页")
        assert "拒绝理由：出生日期错误" in (view.text or "")
        done = await world.tap(EVALUATOR, view, "rs:16:3")
        notice = await world.api.next_message(HEAD.id)
    assert "已重新提交" in (done.text or "")
    assert "重新提交" in (notice.text or "") and notice.button("查看待签发名单")
    assert (await world.store.records_by_ids([16]))[0].status == "培训评价组织待签发"
