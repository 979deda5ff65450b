"""Conversations that read the same on every channel, described once and run on Telegram and on
WeCom: send this, expect that."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import botworld, wecomworld
from tests.fakebot import FakeBotApi
from tests.fakewecom import FakeWeCom

COUNTS = "全部 61 · 培训评价组织待签发 0 · 培训评价组织拒绝签发 0 · 考核站点待签发 47"


@dataclass
class Chat:
    """One channel's conversation with named people: `say` returns the reply's text."""

    say: Callable[[str, str], Awaitable[str]]
    code: Callable[[int], str]


@pytest.fixture(params=["telegram", "wecom"])
async def chat(
    request: pytest.FixtureRequest, tmp_path: Path, bot_api: FakeBotApi
) -> AsyncIterator[Chat]:
    if request.param == "telegram":
        world = await botworld.make_world(tmp_path, bot_api)
        users = {"head": botworld.HEAD, "stranger": botworld.STRANGER}

        async def say_telegram(who: str, text: str) -> str:
            return (await world.say(users[who], text)).text or ""

        try:
            async with world.bot():
                yield Chat(say_telegram, lambda n: world.invites[n].code)
        finally:
            await world.store.close()
        return
    with FakeWeCom().running() as fake:
        async with wecomworld.wecom_world(tmp_path, fake) as wecom:
            members = {"head": wecomworld.HEAD, "stranger": wecomworld.STRANGER}

            async def say_wecom(who: str, text: str) -> str:
                return (await wecom.say(members[who], text))[0].text

            yield Chat(say_wecom, lambda n: wecom.invites[n].code)


async def test_binding_then_the_pending_counts(chat: Chat) -> None:
    assert "邀请码" in await chat.say("stranger", "/pending")
    bound = await chat.say("head", f"/start {chat.code(1)}")
    assert "绑定成功" in bound and "李明华" in bound
    assert COUNTS in await chat.say("head", "/pending")
    assert "已被使用" in await chat.say("stranger", f"/start {chat.code(1)}")


async def test_verification_without_binding(chat: Chat) -> None:
    assert "证书编号和身份证号" in await chat.say("stranger", "/verify")
    assert "未查到证书" in await chat.say("stranger", "15600031015610012099999 110101200001011234")
    assert "当前没有需要取消的操作" in await chat.say("stranger", "/cancel")
