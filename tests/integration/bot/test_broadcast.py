"""/broadcast: every school of a plan notified, live progress, failures reported."""

from __future__ import annotations

import re

from tests.botworld import EVALUATOR, HEAD, OTHER_HEAD, User, World

BLOCKER = User(3002, "屏蔽者")


async def test_broadcast_reports_sent_not_bound_and_blocked_schools(world: World) -> None:
    await world.bind(HEAD, 1)
    await world.bind(EVALUATOR, 0)
    await world.another_school("21020000000000000097", "已绑定学院", "13900000097", 2)
    await world.another_school("21020000000000000098", "屏蔽学院", "13900000098", 1)
    await world.another_school("21020000000000000099", "未绑定学院", "13900000099", 1)
    for phone, user in (("13900000097", OTHER_HEAD), ("13900000098", BLOCKER)):
        invite = await world.issuance.create_invite(phone)
        await world.issuance.bind(invite.code, "telegram", str(user.id), "zh")
    world.api.block(BLOCKER.id)
    async with world.bot():
        menu = await world.say(EVALUATOR, "/broadcast")
        progress = await world.tap(EVALUATOR, menu, "bc:1")
        notice = await world.api.next_message(HEAD.id)
        other = await world.api.next_message(OTHER_HEAD.id)
        final = progress
        while not (final.text or "").startswith("通知完成"):
            final = await world.api.next_message(EVALUATOR.id)
        again = await world.answer_to_tap(EVALUATOR, menu, "bc:1")
    assert "4 个考核站点" in (menu.button("bc:1").text)
    assert "正在通知 4 个考核站点" in (progress.text or "")
    assert final.message_id == progress.message_id
    assert re.search(r"已发送 2 · 失败 0 · 未绑定 1 · 已屏蔽机器人 1", final.text or "")
    assert "未绑定：未绑定学院" in (final.text or "")
    assert "已屏蔽机器人（无法送达）：屏蔽学院负责人" in (final.text or "")
    assert "考核站点待签发 47" in (notice.text or "")
    assert notice.button("查看待签发名单").callback_data == "b:1:0"
    assert "考核站点待签发 0" in (other.text or "") and "全部 2" in (other.text or "")
    assert "请勿重复点击" in again
    assert world.api.stats.accepted[HEAD.id] == 1
    assert await world.store.account_of(await _id(world, "13900000098"), "telegram") is None


async def test_only_evaluators_broadcast(world: World) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        reply = await world.say(HEAD, "/broadcast")
    assert "只有培训评价组织签发人可以群发通知" in (reply.text or "")


async def _id(world: World, phone: str) -> int:
    person = await world.store.person_by_ref(phone)
    assert person is not None
    return person.id
