"""Queued notices on WeCom: the outbox rows of channel "wecom", sent within WeCom's limits."""

from __future__ import annotations

import asyncio
import base64

from issuance.chat.notify import notify
from tests.fakewecom import FakeWeCom
from tests.pictures import drawn_stamp
from tests.wecomworld import EVALUATOR, HEAD, World


async def person(world: World, phone: str = "13800000002") -> int:
    found = await world.store.person_by_ref(phone)
    assert found is not None
    return found.id


async def settled(world: World, row: int | None) -> str:
    """The row's status once the sender is done with it."""
    assert row is not None
    for _ in range(1000):
        found = await world.store._one("SELECT status FROM outbox WHERE id = ?", (row,))
        assert found is not None
        if found["status"] not in ("pending", "sending"):
            return str(found["status"])
        await asyncio.sleep(0.01)
    raise AssertionError("outbox row not settled")


async def test_a_notice_goes_to_the_wecom_account_as_text_and_a_card(world: World) -> None:
    await world.bind(HEAD, 1)
    row = await notify(
        world.store,
        await person(world),
        "bot.broadcast.notice",
        {
            "issuer": "颁证机构",
            "plan": "考试计划",
            "program": "证书",
            "level": "初级",
            "counts": "…",
        },
    )
    (text,) = await world.fake.next_messages(HEAD, 0)
    assert "颁证机构" in text.text and await settled(world, row) == "sent"
    assert world.fake.calls[-1][1]["enable_duplicate_check"] == 1


async def test_a_notice_button_opens_the_batch(world: World) -> None:
    await world.bind(HEAD, 1)
    row = await world.store.enqueue(
        await person(world),
        "message",
        {"text": "【待签发】请签发", "buttons": [[{"text": "查看", "callback_data": "b:1:0"}]]},
        channel="wecom",
    )
    text, card = await world.fake.next_messages(HEAD, 0, 2)
    assert text.text == "【待签发】请签发" and card.buttons == {"查看": "b:1:0"}
    assert await settled(world, row) == "sent"
    await world.click(HEAD, card, "查看")
    assert "第 1/13 页" in card.text


async def test_the_signing_result_arrives_as_a_new_message(world: World) -> None:
    await world.bind(HEAD, 1)
    record = (await world.store.records_by_ids([16]))[0]
    _, listing = await world.say(HEAD, "待签发", replies=2)
    await world.click(HEAD, listing, "查看第 1 批")
    for _ in range(3):
        await world.click(HEAD, listing, "下一页")
    await world.click(HEAD, listing, "确认签发", option=f"16. {record.student_name}", replies=2)
    [call] = world.signing.calls
    before = len(world.fake.received(HEAD))
    await world.signing.complete(world.issuance, call)
    (result,) = await world.fake.next_messages(HEAD, before)
    assert result.text == "已确认签发 1 条记录。"


async def test_pictures_and_files_are_uploaded_then_sent(world: World) -> None:
    await world.bind(HEAD, 1)
    head, png = await person(world), drawn_stamp()
    photo = {"base64": base64.b64encode(png).decode(), "filename": "qr.png"}
    document = {"base64": base64.b64encode(b"PK\x03\x04zip!").decode(), "filename": "a.zip"}
    await world.store.enqueue(head, "photo", photo, channel="wecom")
    await world.store.enqueue(head, "document", document | {"caption": "证书"}, channel="wecom")
    # The two rows are delivered side by side, so only the caption's place after its file is fixed.
    got = await world.fake.next_messages(HEAD, 0, 3)
    kinds = [message.msgtype for message in got]
    assert sorted(kinds) == ["file", "image", "text"]
    image, file = got[kinds.index("image")], got[kinds.index("file")]
    assert world.fake.media(image) == ("qr.png", png)
    assert world.fake.media(file)[0] == "a.zip"
    assert kinds.index("text") > kinds.index("file") and got[kinds.index("text")].text == "证书"


async def test_a_member_who_left_is_marked_unreachable(world: World, fake: FakeWeCom) -> None:
    await world.bind(HEAD, 1)
    fake.remove_member(HEAD)
    head = await person(world)
    row = await world.store.enqueue(head, "message", {"text": "你好"}, channel="wecom")
    assert await settled(world, row) == "unreachable"
    assert await world.store.account_of(head, "wecom") is None


async def test_wecom_busy_is_retried_and_the_notice_arrives_once(
    world: World, fake: FakeWeCom
) -> None:
    await world.bind(HEAD, 1)
    fake.fail_next("message/send", -1, times=5)
    row = await world.store.enqueue(
        await person(world), "message", {"text": "提醒"}, channel="wecom"
    )
    assert await settled(world, row) == "sent"
    assert [m.text for m in fake.received(HEAD)] == ["提醒"]


async def test_rows_of_other_channels_are_left_alone(world: World) -> None:
    await world.bind(HEAD, 1)
    head = await person(world)
    other = await world.store.enqueue(head, "message", {"text": "tg"}, channel="telegram")
    await world.store.enqueue(head, "message", {"text": "wecom"}, channel="wecom")
    await world.fake.next_messages(HEAD, 0)
    found = await world.store._one("SELECT status FROM outbox WHERE id = ?", (other,))
    assert found is not None and found["status"] == "pending"
    assert [m.text for m in world.fake.received(HEAD)] == ["wecom"]


async def test_an_evaluator_broadcasts_from_wecom_and_gets_the_report(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    await world.bind(HEAD, 1)
    choice, card = await world.say(EVALUATOR, "群发", replies=2)
    assert "请选择要通知的考试计划" in choice.text
    [label] = card.buttons
    (started,) = await world.click(EVALUATOR, card, label, replies=1)
    notice, button = await world.fake.next_messages(HEAD, 0, 2)
    assert "考核站点待签发 47" in notice.text and "查看" in "".join(button.buttons)
    (report,) = await world.fake.next_messages(EVALUATOR, 3)
    assert started.text.startswith("正在通知 1 个考核站点")
    assert report.text.startswith("通知完成（共 1 个考核站点）：已发送 1")
    assert card.replaced == "已开始群发"
    again = await world.fake.click(EVALUATOR, card, label)  # the same card, clicked again
    assert again.status_code == 200
    await world.settled()
    assert len([m for m in world.fake.received(HEAD) if m.msgtype == "text"]) == 1
