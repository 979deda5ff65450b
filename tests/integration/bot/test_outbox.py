"""The outbox sender against a Telegram that goes down, rate-limits and gets blocked."""

from __future__ import annotations

import asyncio
import base64

from bot.telegram.app import build_application
from bot.telegram.sender import OutboxSender
from tests.botworld import EVALUATOR, HEAD, STAFF, World, limits_for
from tests.fakebot import RateLimits


async def _person(world: World, phone: str) -> int:
    person = await world.store.person_by_ref(phone)
    assert person is not None
    return person.id


async def _statuses(world: World) -> list[str]:
    rows = await world.store._all("SELECT status FROM outbox ORDER BY id")
    return [row[0] for row in rows]


async def test_messages_wait_out_an_outage_and_go_out_once(world: World) -> None:
    await world.bind(HEAD, 1)
    head = await _person(world, "13800000002")
    async with world.bot():
        world.api.outage(drop=True)
        for n in range(3):
            await world.store.enqueue(head, "message", {"text": f"提醒 {n}"})
        while await world.store._all("SELECT id FROM outbox WHERE last_error IS NULL"):
            await _tick()  # until every row was tried and failed
        world.api.end_outage()
        texts = [(await world.api.next_message(HEAD.id)).text for _ in range(3)]
    assert sorted(texts) == ["提醒 0", "提醒 1", "提醒 2"]
    assert world.api.stats.accepted[HEAD.id] == 3
    assert await _statuses(world) == ["sent"] * 3


async def test_a_429_is_waited_out_and_the_message_is_sent_once(world: World) -> None:
    await world.bind(HEAD, 1)
    world.api.fail_next("sendMessage", 429, retry_after=1)
    await world.store.enqueue(await _person(world, "13800000002"), "message", {"text": "通知"})
    async with world.bot():
        message = await world.api.next_message(HEAD.id)
    calls = [c.status for c in world.api.calls_to("sendMessage")]
    assert calls == [429, 200]
    assert message.text == "通知"


async def test_rate_limits_are_respected_so_every_message_arrives_once(world: World) -> None:
    await world.bind(HEAD, 1)
    await world.bind(STAFF, 2)
    await world.bind(EVALUATOR, 0)
    world.api.rate_limits = RateLimits(per_second=30, per_chat_interval=1.0)
    people = {
        HEAD.id: await _person(world, "13800000002"),
        STAFF.id: await _person(world, "13800000003"),
        EVALUATOR.id: await _person(world, "13800000001"),
    }
    for n in range(4):
        for person in people.values():
            await world.store.enqueue(person, "message", {"text": f"第 {n} 条"})
    async with world.bot():
        for chat in people:
            for _ in range(4):
                await world.api.next_message(chat)
    assert dict(world.api.stats.accepted) == dict.fromkeys(people, 4)
    assert await _statuses(world) == ["sent"] * 12
    refused = [c for c in world.api.calls_to("sendMessage") if c.status == 429]
    assert len(world.api.calls_to("sendMessage")) == 12 + len(refused)


async def test_a_user_who_blocked_the_bot_is_marked_unreachable(world: World) -> None:
    await world.bind(HEAD, 1)
    world.api.block(HEAD.id)
    head = await _person(world, "13800000002")
    await world.store.enqueue(head, "message", {"text": "通知"})
    async with world.bot():
        await world.api.wait_for(lambda c: c.method == "sendMessage" and c.status == 403)
        while await _statuses(world) != ["unreachable"]:
            await _tick()
    assert await world.store.account_of(head, "telegram") is None


async def test_documents_and_edits_are_delivered(world: World) -> None:
    await world.bind(HEAD, 1)
    head = await _person(world, "13800000002")
    await world.store.enqueue(
        head,
        "document",
        {
            "base64": base64.b64encode(b"PK zip bytes").decode(),
            "filename": "证书.zip",
            "caption": "证书已生成",
        },
    )
    async with world.bot():
        document = await world.api.next_message(HEAD.id)
        # queued once the document is out: two rows in flight arrive in either order
        await world.store.enqueue(head, "message", {"text": "待签名"})
        message = await world.api.next_message(HEAD.id)
        await world.store.enqueue(
            head,
            "edit",
            {
                "chat_id": HEAD.id,
                "message_id": message.message_id,
                "text": "已确认签发",
                "buttons": [[{"text": "查看", "callback_data": "b:1:0"}]],
            },
        )
        edited = await world.api.next_message(HEAD.id)
    assert document.file is not None and document.file.data == b"PK zip bytes"
    assert document.file.file_name == "证书.zip" and document.caption == "证书已生成"
    assert edited.message_id == message.message_id and edited.text == "已确认签发"
    assert edited.button("查看").callback_data == "b:1:0"


async def _tick() -> None:
    """Let the bot work a little before looking again."""
    await asyncio.sleep(0.05)


async def test_only_the_lease_holder_sends_so_two_senders_never_double_up(world: World) -> None:
    await world.bind(HEAD, 1)
    head = await _person(world, "13800000002")
    for n in range(5):
        await world.store.enqueue(head, "message", {"text": f"第 {n} 条"})
    app = build_application(world.settings, world.store, limits=limits_for(world.api))
    async with app:
        first = OutboxSender(app.bot, world.issuance)
        second = OutboxSender(app.bot, world.issuance)
        stop = asyncio.Event()
        runs = [asyncio.create_task(s.run(stop)) for s in (first, second)]
        texts = [(await world.api.next_message(HEAD.id)).text for _ in range(5)]
        holders = await world.store._all("SELECT holder FROM lease WHERE name = 'outbox-sender'")
        stop.set()
        await asyncio.gather(*runs)
    assert sorted(texts) == [f"第 {n} 条" for n in range(5)]
    assert world.api.stats.accepted[HEAD.id] == 5
    assert [row[0] for row in holders] in ([first.holder], [second.holder])
