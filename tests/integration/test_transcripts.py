"""Conversations that read the same on every channel, described once and run on Telegram and on
WeCom: send this, expect that."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from issuance.core.idcard import check_character
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.importing import ResultRow
from tests import botworld, wecomworld
from tests.fakebot import FakeBotApi, Sent
from tests.fakewecom import FakeWeCom, Message

COUNTS = "全部 61 · 培训评价组织待签发 0 · 培训评价组织拒绝签发 0 · 考核站点待签发 47"


@dataclass
class Chat:
    """One channel's conversation with named people: `say` returns the reply's text, `press`
    the reply to pressing a button of the last message that had buttons."""

    say: Callable[[str, str], Awaitable[str]]
    press: Callable[[str, str], Awaitable[str]]
    code: Callable[[int], str]
    store: Store


@pytest.fixture(params=["telegram", "wecom"])
async def chat(
    request: pytest.FixtureRequest, tmp_path: Path, bot_api: FakeBotApi
) -> AsyncIterator[Chat]:
    if request.param == "telegram":
        world = await botworld.make_world(tmp_path, bot_api)
        users = {
            "head": botworld.HEAD,
            "stranger": botworld.STRANGER,
            "evaluator": botworld.EVALUATOR,
        }

        buttons: dict[str, Sent] = {}

        async def say_telegram(who: str, text: str) -> str:
            reply = await world.say(users[who], text)
            if reply.buttons:
                buttons[who] = reply
            return reply.text or ""

        async def press_telegram(who: str, label: str) -> str:
            return (await world.tap(users[who], buttons[who], label)).text or ""

        try:
            async with world.bot():
                yield Chat(
                    say_telegram, press_telegram, lambda n: world.invites[n].code, world.store
                )
        finally:
            await world.store.close()
        return
    with FakeWeCom().running() as fake:
        async with wecomworld.wecom_world(tmp_path, fake) as wecom:
            members = {
                "head": wecomworld.HEAD,
                "stranger": wecomworld.STRANGER,
                "evaluator": wecomworld.EVALUATOR,
            }

            cards: dict[str, Message] = {}

            async def say_wecom(who: str, text: str) -> str:
                before = len(fake.received(members[who]))
                first = (await wecom.say(members[who], text))[0]
                await wecom.settled()
                for message in fake.received(members[who])[before:]:
                    if message.buttons:
                        cards[who] = message
                return first.text

            async def press_wecom(who: str, label: str) -> str:
                return (await wecom.click(members[who], cards[who], label, replies=1))[0].text

            yield Chat(say_wecom, press_wecom, lambda n: wecom.invites[n].code, wecom.store)


async def test_binding_then_the_pending_counts(chat: Chat) -> None:
    assert "邀请码" in await chat.say("stranger", "/pending")
    bound = await chat.say("head", f"/start {chat.code(1)}")
    assert "绑定成功" in bound and "李明华" in bound
    assert COUNTS in await chat.say("head", "/pending")
    assert "已被使用" in await chat.say("stranger", f"/start {chat.code(1)}")


async def test_verification_without_binding(chat: Chat) -> None:
    assert "请选择要查验的证书种类" in await chat.say("stranger", "/verify")
    assert "证书编号和身份证号" in await chat.press("stranger", "X 证书")
    assert "未查到证书" in await chat.say("stranger", "15600031015610012099999 110101200001011234")
    assert "当前没有需要取消的操作" in await chat.say("stranger", "/cancel")


async def passed_results_not_listed(store: Store, count: int) -> None:
    """A second school with `count` passed results of the demo plan, on no list yet."""
    await store.insert_orgs([("SCHOOL2", "大连职业技术学院", "试点院校", "210200", None)])
    school = (await store.orgs_by_code(["SCHOOL2"]))["SCHOOL2"]
    issuer = (await store.orgs_by_code([demo.ISSUER[0]]))[demo.ISSUER[0]]
    numbers = [f"21020220010101{n:03d}" for n in range(count)]
    await store.import_results(
        [
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
            for n, first17 in enumerate(numbers)
        ]
    )


async def test_the_evaluator_generates_pending_lists_with_a_button(chat: Chat) -> None:
    await chat.say("evaluator", f"/start {chat.code(0)}")
    assert "没有需要生成待签发名单的新记录" in await chat.say("evaluator", "/lists")
    await passed_results_not_listed(chat.store, 3)
    assert "请选择要生成待签发名单的考试计划" in await chat.say("evaluator", "/lists")
    done = await chat.press("evaluator", f"{demo.PLAN}（3 人）")
    assert "已生成 1 个待签发名单" in done and "3 条待签发记录" in done
