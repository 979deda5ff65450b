"""Graduation declarations on WeCom: 退回 with a reason, 重新申报, 审核通过, 审批通过 by a final
city, each notice delivered as a card on WeCom."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from issuance.core.people import Invite
from issuance.graduation import demo
from issuance.graduation.demo import PER_SCHOOL, TERM
from issuance.graduation.service import Graduation
from issuance.xcert.service import Issuance
from tests.fakewecom import FakeWeCom, Message
from tests.gradworld import NAMES, UNDER_FINAL_CITY
from tests.wecomworld import World, wecom_world

pytestmark = pytest.mark.one_database


async def load_graduation(issuance: Issuance) -> list[Invite]:
    invites, _ = await demo.load(issuance)
    return invites


@pytest.fixture
async def grad(tmp_path: Path, fake: FakeWeCom, database: str) -> AsyncIterator[World]:
    async with wecom_world(tmp_path, fake, load=load_graduation, database_url=database) as world:
        for invite in world.invites:
            name = NAMES[invite.person.phone]
            fake.members.add(name)
            await world.issuance.bind(invite.code, "wecom", name, None)
        yield world


async def notice(world: World, who: str, after: int) -> tuple[Message, Message]:
    """The next notice to `who`: its text and the card with its buttons."""
    text, card = await world.fake.next_messages(who, after, 2)
    return text, card


@pytest.mark.both_databases  # a complete flow on PostgreSQL too
async def test_a_declaration_returned_redeclared_and_approved_on_wecom(grad: World) -> None:
    world = grad
    request_id, _ = await Graduation(world.store, world.settings).declare(UNDER_FINAL_CITY, TERM)
    first, card = await notice(world, "leader_fuzhou", 0)
    assert "待您处理" in first.text and f"{PER_SCHOOL} 人" in first.text
    ask, cancel = await world.click("leader_fuzhou", card, "退回", replies=2)
    assert "退回理由" in ask.text and "取消" in cancel.buttons
    (done,) = await world.say("leader_fuzhou", "专业名称与学籍不一致")
    assert "审核退回" in done.text
    told, redeclare = await notice(world, "clerk_fuzhou", 0)
    assert "专业名称与学籍不一致" in told.text
    (again,) = await world.click("clerk_fuzhou", redeclare, "重新申报", replies=1)
    assert "待审核" in again.text
    _, second = await notice(world, "leader_fuzhou", 5)  # after the first round's 5 messages
    (reviewed,) = await world.click("leader_fuzhou", second, "审核通过", replies=1)
    assert "待审批" in reviewed.text
    _, city = await notice(world, "fuzhou", 0)
    (approved,) = await world.click("fuzhou", city, "审批通过", replies=1)
    assert "已审批" in approved.text
    assert await world.store.request_counts(request_id) == {"已审批": PER_SCHOOL}


async def test_graduation_people_get_their_own_help(grad: World) -> None:
    (reply,) = await grad.say("leader_fuzhou", "帮助")
    assert "毕业证申报" in reply.text and "退回" in reply.text
