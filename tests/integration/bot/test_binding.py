"""Binding a Telegram account with /start CODE."""

from __future__ import annotations

import pytest

from tests.botworld import HEAD, STRANGER, World
from tests.fakebot import User

pytestmark = pytest.mark.one_database


async def test_unknown_user_is_told_how_to_get_a_code(world: World) -> None:
    async with world.bot():
        reply = await world.say(STRANGER, "/start")
    assert "邀请码" in (reply.text or "")
    assert "/verify" in (reply.text or "")


async def test_start_with_code_binds_once_and_the_code_is_then_used_up(world: World) -> None:
    code = world.invites[1].code
    async with world.bot():
        bound = await world.say(HEAD, f"/start {code}")
        pending = await world.say(HEAD, "/pending")
        again = await world.say(STRANGER, f"/start {code}")
        bad = await world.say(STRANGER, "/start NOTACODE99")
    assert "绑定成功" in (bound.text or "") and "李明华" in (bound.text or "")
    assert "考核站点待签发 47" in (pending.text or "")
    assert "已被使用" in (again.text or "")
    assert "邀请码无效" in (bad.text or "")
    assert await world.store.person_for_account("telegram", str(STRANGER.id)) is None


async def test_commands_are_registered_in_chinese(world: World) -> None:
    async with world.bot():
        await world.say(STRANGER, "/help")
    names = {c["command"]: c["description"] for c in world.api.commands()}
    assert names["pending"] == "待签发" and names["stamp"] == "签名章"
    assert names["verify"] == "证书查验" and set(names) >= {"start", "broadcast", "help"}


async def test_failing_set_my_commands_is_not_fatal(world: World) -> None:
    world.api.fail_next("setMyCommands", 500, "Internal Server Error", times=2)
    async with world.bot():
        reply = await world.say(STRANGER, "/help")
    assert "/verify" in (reply.text or "")


async def test_english_speakers_get_the_english_catalog(world: World) -> None:
    english = User(2998, "Tom", language_code="en-US")
    async with world.bot():
        reply = await world.say(english, "/start")
    assert "ask your administrator for a one-time invite code" in (reply.text or "")
