"""Binding a WeCom member with 绑定 CODE, and what unbound members are told."""

from __future__ import annotations

from tests.wecomworld import HEAD, STRANGER, World


async def test_an_unbound_member_is_told_how_to_bind(world: World) -> None:
    (reply,) = await world.say(STRANGER, "待签发")
    assert "绑定 邀请码" in reply.text


async def test_binding_with_a_code_works_once(world: World) -> None:
    code = world.invites[1].code
    (bound,) = await world.say(HEAD, f"绑定 {code}")
    (again,) = await world.say(STRANGER, f"绑定 {code}")
    (bad,) = await world.say(STRANGER, "绑定 NOTACODE99")
    assert "绑定成功" in bound.text and "李明华" in bound.text
    assert "已被使用" in again.text
    assert "邀请码无效" in bad.text
    assert await world.store.person_for_account("wecom", STRANGER) is None
    person = await world.store.person_for_account("wecom", HEAD)
    assert person is not None and person.name == "李明华"


async def test_help_depends_on_the_role(world: World) -> None:
    await world.bind(HEAD, 1)
    (head,) = await world.say(HEAD, "帮助")
    (guest,) = await world.say(STRANGER, "/help")
    assert "确认签发" in head.text
    assert "查验" in guest.text and "绑定 邀请码" in guest.text
