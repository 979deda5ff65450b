"""生成名单 on WeCom: the evaluator generates pending lists for passed results with a button."""

from __future__ import annotations

import pytest

from issuance.core.idcard import check_character
from issuance.xcert import demo
from issuance.xcert.importing import ResultRow
from tests.wecomworld import EVALUATOR, HEAD, World

pytestmark = pytest.mark.one_database


async def new_school_with_passed_results(world: World, count: int) -> None:
    """A second school whose passed results of the demo plan are not on any list yet."""
    await world.store.insert_orgs([("SCHOOL2", "大连职业技术学院", "试点院校", "210200", None)])
    school = (await world.store.orgs_by_code(["SCHOOL2"]))["SCHOOL2"]
    issuer = (await world.store.orgs_by_code([demo.ISSUER[0]]))[demo.ISSUER[0]]
    rows = []
    for n in range(count):
        first17 = f"21020220010101{n:03d}"
        rows.append(
            ResultRow(
                f"新生{n}",
                first17 + check_character(first17),
                "院校学生",
                school.id,
                demo.PROGRAM,
                "初级",
                issuer.id,
                demo.PLAN,
                school.id,
                1,
            )
        )
    await world.store.import_results(rows)


async def test_the_evaluator_generates_the_lists_once(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    (none,) = await world.say(EVALUATOR, "生成名单")
    assert "没有需要生成待签发名单的新记录" in none.text
    await new_school_with_passed_results(world, 3)
    choose, card = await world.say(EVALUATOR, "生成名单", replies=2)
    assert "请选择要生成待签发名单的考试计划" in choose.text
    (done,) = await world.click(EVALUATOR, card, f"{demo.PLAN}（3 人）", replies=1)
    assert "已生成 1 个待签发名单" in done.text and "3 条待签发记录" in done.text
    assert card.replaced == "已生成"
    (again,) = await world.click(EVALUATOR, card, f"{demo.PLAN}（3 人）", replies=1)
    assert "已处理" in again.text
    evaluator = await world.store.person_by_ref("13800000001")
    assert evaluator is not None
    assert len(await world.store.batches(issuer_id=evaluator.org_id)) == 2


async def test_only_the_evaluator_generates_lists(world: World) -> None:
    await world.bind(HEAD, 1)
    (reply,) = await world.say(HEAD, "生成名单")
    assert "只有培训评价组织签发人可以生成待签发名单" in reply.text
