"""Binding a WeCom member with 绑定 CODE, and what unbound members are told."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fakewecom import FakeWeCom
from tests.wecomworld import HEAD, STRANGER, World, wecom_world

pytestmark = pytest.mark.one_database


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


async def test_the_app_menu_is_set_and_its_clicks_act_like_the_words(world: World) -> None:
    names = [b.get("name") for b in world.fake.menu]
    assert names == ["待签发", "签名章", "更多"]
    assert [b["key"] for b in world.fake.menu[2]["sub_button"]] == ["查验", "上传", "帮助"]
    await world.bind(HEAD, 1)
    before = len(world.fake.received(HEAD))
    await world.fake.post_callback(
        {
            "FromUserName": HEAD,
            "CreateTime": str(int(time.time())),
            "MsgType": "event",
            "Event": "click",
            "EventKey": "待签发",
        }
    )
    listing, card = await world.fake.next_messages(HEAD, before, 2)
    assert "考核站点待签发 47" in listing.text and card.msgtype == "template_card"


async def test_a_failing_menu_call_does_not_stop_the_channel(tmp_path: Path) -> None:
    with FakeWeCom().running() as fake:
        fake.fail_next("menu/create", 60020, errmsg="not allow to access from your ip")
        async with wecom_world(tmp_path, fake) as world:
            (reply,) = await world.say(STRANGER, "帮助")
    assert "查验" in reply.text and fake.menu == []


async def test_an_unbound_member_opening_the_app_is_greeted_once(world: World) -> None:
    def entered(userid: str, later: int = 0) -> dict[str, str]:
        return {
            "FromUserName": userid,
            "CreateTime": str(int(time.time()) + later),
            "MsgType": "event",
            "Event": "enter_agent",
            "EventKey": "",
        }

    await world.fake.post_callback(entered(STRANGER))
    (greeting,) = await world.fake.next_messages(STRANGER, 0)
    await world.fake.post_callback(entered(STRANGER, later=1))  # another visit
    await world.bind(HEAD, 1)
    await world.fake.post_callback(entered(HEAD))
    await world.settled()
    assert "绑定 邀请码" in greeting.text
    assert len(world.fake.received(STRANGER)) == 1 and world.fake.received(HEAD) == []
