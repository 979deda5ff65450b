"""notify: the person's channel and language picked once, for every notice, on a real database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from issuance.chat.actions import OpenBatch, pack
from issuance.chat.notices import rendered
from issuance.chat.notify import Notice, notify, send
from issuance.chat.screens import Button, Text
from issuance.core.notices import Notice as TypedNotice
from issuance.core.notices import NoticeKind
from issuance.core.people import Person
from issuance.core.settings import Settings, load_settings
from issuance.store import SHANGHAI, Store
from issuance.xcert import demo
from issuance.xcert.service import Issuance
from tests.databases import raw
from tests.workload import people


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Demo:
    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings, self.store, self.clock = settings, store, clock
        self.issuance = Issuance(store, settings)

    async def bind(self, person: Person, channel: str, account: str, language: str) -> None:
        invite = await self.issuance.create_invite(person.phone)
        await self.store.redeem_invite(invite.code, channel, account, language)

    def rows(self) -> list[tuple[str, str, str, dict[str, object]]]:
        with raw(self.settings.database) as execute:
            found = execute(
                "SELECT p.name, o.channel, o.kind, o.payload FROM outbox o"
                " JOIN person p ON p.id = o.person_id ORDER BY o.id"
            )
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in found]


@pytest.fixture
async def world(tmp_path: Path, database: str) -> AsyncIterator[Demo]:
    settings = load_settings(tmp_path, environ={"QIANFA_DATABASE_URL": database})
    clock = Clock(datetime(2025, 7, 1, 10, 0, tzinfo=SHANGHAI))
    store = await Store.open(settings.database, clock=clock)
    await demo.load(Issuance(store, settings))
    yield Demo(settings, store, clock)
    await store.close()


OPEN = [[Button(Text("bot.broadcast.open"), OpenBatch(batch=1))]]


async def test_a_notice_goes_out_in_the_language_of_the_persons_account(world: Demo) -> None:
    evaluator, head, staff = await people(world.issuance)
    await world.bind(head, "telegram", "2002", "en-GB")
    await world.bind(staff, "telegram", "2003", "zh-hans")
    for person in (head, staff, evaluator):
        await notify(world.store, person.id, "bot.resubmit.notice", _params(), OPEN)
    (en, zh, unbound) = world.rows()
    assert str(en[3]["text"]).startswith("The evaluation organization corrected")
    assert str(zh[3]["text"]).startswith("培训评价组织已处理并重新提交：张三")
    assert en[3]["buttons"] == [[{"text": "Open the pending list", "callback_data": "b:1:0"}]]
    assert zh[3]["buttons"] == [[{"text": "查看待签发名单", "callback_data": pack(OpenBatch(1))}]]
    # Nobody bound: queued on the default channel in Chinese, where the sender reports it failed.
    assert unbound[:3] == (evaluator.name, "telegram", "message")
    assert unbound[3]["text"] == zh[3]["text"]


async def test_a_notice_follows_the_account_bound_last_and_each_sender_takes_its_own(
    world: Demo,
) -> None:
    _, head, _ = await people(world.issuance)
    await world.bind(head, "wecom", "lihua", "en")
    world.clock.now += timedelta(minutes=1)
    await world.bind(head, "telegram", "2002", "zh")
    await notify(world.store, head.id, "bot.resubmit.notice", _params(), OPEN)
    where = {"channel": "wecom", "chat_id": "lihua", "message_id": 5}
    await send(world.store, Notice(head.id, Text("bot.cancelled"), edit=where))
    (message, edit) = world.rows()
    assert message[1:3] == ("telegram", "message") and str(message[3]["text"]).startswith("培训")
    assert edit[1:3] == ("wecom", "edit") and edit[3]["text"] == "已取消。"
    lease = timedelta(minutes=1)
    (telegram,) = await world.store.claim_outbox(10, lease, "telegram")
    (wecom,) = await world.store.claim_outbox(10, lease, "wecom")
    assert (telegram.kind, wecom.kind) == ("message", "edit")


async def test_an_edit_goes_to_the_channel_of_its_message_once(world: Demo) -> None:
    _, head, _ = await people(world.issuance)
    await world.bind(head, "wecom", "lihua", "zh")
    where = {"channel": "telegram", "chat_id": 4242, "message_id": 77}
    notice = Notice(head.id, Text("bot.cancelled"), dedup_key="signing:9", edit=where)
    assert await send(world.store, notice) is not None
    assert await send(world.store, notice) is None
    ((_, channel, kind, payload),) = world.rows()
    assert (channel, kind) == ("telegram", "edit")
    assert payload["chat_id"] == 4242 and payload["message_id"] == 77


async def test_a_typed_notice_is_queued_for_the_account_and_read_in_its_language_when_sent(
    world: Demo,
) -> None:
    _, head, _ = await people(world.issuance)
    await world.bind(head, "wecom", "lihua", "zh")
    notice = TypedNotice(NoticeKind.RESUBMITTED, head.id, {"batch": 1}, _params(), dedup_key="r:1")
    assert await world.store.append_notice(notice) is not None
    assert await world.store.append_notice(notice) is None  # a dedup key goes out once, ever
    ((_, channel, kind, payload),) = world.rows()
    assert (channel, kind) == ("wecom", "message") and "text" not in payload
    # The reader switched to English before it went out: it is rendered in English.
    with raw(world.settings.database) as execute:
        execute("UPDATE chat_account SET language = 'en' WHERE account = 'lihua'")
    (item,) = await world.store.claim_outbox(10, timedelta(minutes=1), "wecom")
    sent = (await rendered(world.store, item)).payload
    assert str(sent["text"]).startswith("The evaluation organization corrected")
    assert sent["buttons"] == [[{"text": "Open the pending list", "callback_data": "b:1:0"}]]


async def test_a_notice_of_an_act_that_rolled_back_is_never_queued(world: Demo) -> None:
    _, head, _ = await people(world.issuance)
    notice = TypedNotice(NoticeKind.INFO_COMPLETED, head.id, params={"school": "一中"})
    with pytest.raises(RuntimeError):
        async with world.store.transaction():
            await world.store.append_notice(notice)
            raise RuntimeError("the act failed after its notice was appended")
    assert world.rows() == []


async def test_senders_of_the_process_are_woken_when_a_transaction_adding_rows_commits(
    world: Demo,
) -> None:
    _, head, _ = await people(world.issuance)
    notice = TypedNotice(NoticeKind.INFO_COMPLETED, head.id, params={"school": "一中"})
    bell = asyncio.Event()
    world.store.listen_outbox(bell)
    with pytest.raises(RuntimeError):
        async with world.store.transaction():
            await world.store.append_notice(notice)
            raise RuntimeError("rolled back")
    assert not bell.is_set()
    async with world.store.transaction():
        await world.store.append_notice(notice)
        await world.store.enqueue(head.id, "message", {"text": "x"})
        assert not bell.is_set()  # not before the rows can be seen
    assert bell.is_set()
    bell.clear()
    await world.store.append_notices([notice, notice], None)
    assert bell.is_set()
    world.store.forget_outbox(bell)
    bell.clear()
    await world.store.append_notice(notice)
    assert not bell.is_set()


def _params() -> dict[str, object]:
    return {"name": "张三", "cert_no": "15600031015610012000045", "status": "考核站点待签发"}
