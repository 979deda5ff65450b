"""完善学生信息 on WeCom: school staff list the flagged items and correct them one by one."""

from __future__ import annotations

import pytest

from issuance.xcert.completion import Completion
from tests.wecomworld import EVALUATOR, STAFF, World

pytestmark = pytest.mark.one_database


async def flag(world: World, record_ids: list[int], field: str = "name") -> None:
    evaluator = await world.store.person_by_ref("13800000001")
    assert evaluator is not None
    await Completion(world.issuance).flag(evaluator, record_ids, field, "姓名有误 2030-12-01")


async def test_staff_correct_a_flagged_name_and_the_item_is_closed(world: World) -> None:
    await world.bind(STAFF, 2)
    await flag(world, [20, 21])
    notice, button = await world.fake.next_messages(STAFF, 0, 2)  # queued, sent by the outbox
    assert "学生信息待完善" in notice.text
    listing, card = await world.click(STAFF, button, "查看并完善", replies=2)
    assert "待完善的学生信息（2 项）" in listing.text and "2030-12-01" in listing.text
    [first, second] = card.options
    (ask,) = await world.click(STAFF, card, "修改", option=first, replies=1)
    assert "正确姓名" in ask.text
    (bad,) = await world.say(STAFF, "张3")
    assert "不能含数字" in bad.text
    (saved,) = await world.say(STAFF, "张三")
    assert saved.text == "已保存。"
    (record,) = await world.store.records_by_ids([20])
    assert record.student_name == "张三"
    (ask,) = await world.click(STAFF, card, "修改", option=second, replies=1)
    (done,) = await world.say(STAFF, "李四")
    assert "已全部完善" in done.text
    (none,) = await world.say(STAFF, "完善信息")
    assert "没有待完善的学生信息" in none.text


async def test_the_evaluator_cannot_use_the_school_list(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    await flag(world, [20])
    (reply,) = await world.say(EVALUATOR, "完善信息")
    assert "只有考核站点负责人和业务管理员" in reply.text
