"""Reminders with a controlled clock: offsets, quiet hours, restarts, escalation and nudges."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from issuance.chat.actions import OpenBatch, pack, parse
from issuance.chat.notices import shown
from issuance.core.catalog import locale_for
from issuance.core.settings import Settings, load_settings
from issuance.store import SHANGHAI, Store
from issuance.xcert import demo
from issuance.xcert.service import Issuance
from tests.databases import raw
from tests.workload import add_info_problem, people
from worker.jobs import send_reminders

T0 = datetime(2025, 7, 1, 10, 0, tzinfo=SHANGHAI)
DEADLINE = datetime(2025, 7, 6, 10, 0, tzinfo=SHANGHAI)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Sent:
    person: str
    text: str
    key: str
    not_before: str
    payload: dict[str, object]


@dataclass
class World:
    settings: Settings
    clock: Clock
    store: Store

    async def restart(self) -> None:
        await self.store.close()
        self.store = await Store.open(self.settings.database, clock=self.clock)

    async def tick(self, at: datetime) -> int:
        self.clock.now = at
        return await send_reminders(self.store, self.settings)

    def outbox(self) -> list[Sent]:
        with raw(self.settings.database) as execute:
            rows = execute(
                "SELECT p.name, o.payload, o.dedup_key, o.not_before,"
                " (SELECT a.language FROM chat_account a WHERE a.person_id = o.person_id"
                " ORDER BY a.bound_at DESC LIMIT 1) FROM outbox o"
                " JOIN person p ON p.id = o.person_id ORDER BY o.id"
            )
        # as sent: rendered in the language of the person's account
        payloads = [shown(json.loads(r[1]), locale_for(r[4])) for r in rows]
        return [Sent(r[0], p["text"], r[2], r[3], p) for r, p in zip(rows, payloads, strict=True)]


@pytest.fixture
async def world(tmp_path: Path, database: str) -> AsyncIterator[World]:
    # Nudges only after 30 days, so they stay out of the way of the deadline reminders.
    environ = {"QIANFA_WORKER_NUDGE_AFTER_HOURS": "720", "QIANFA_DATABASE_URL": database}
    settings = load_settings(tmp_path, environ=environ)
    clock = Clock(T0)
    store = await Store.open(settings.database, clock=clock)
    await demo.load(Issuance(store, settings))
    for record_id in (20, 21):
        await add_info_problem(store, record_id, DEADLINE, "姓名与身份证不符")
    found = World(settings, clock, store)
    yield found
    await found.store.close()


def _names(sent: list[Sent]) -> list[str]:
    return sorted(s.person for s in sent)


async def test_reminders_go_out_at_each_offset_once_even_across_a_restart(world: World) -> None:
    assert await world.tick(T0) == 0
    assert await world.tick(DEADLINE - timedelta(hours=73)) == 0

    assert await world.tick(DEADLINE - timedelta(hours=71)) == 2
    assert await world.tick(DEADLINE - timedelta(hours=70)) == 0
    await world.restart()
    assert await world.tick(DEADLINE - timedelta(hours=69)) == 0

    assert await world.tick(DEADLINE - timedelta(hours=23)) == 2
    await world.restart()
    assert await world.tick(DEADLINE - timedelta(hours=1, minutes=30)) == 2
    assert await world.tick(DEADLINE - timedelta(minutes=1)) == 0

    reminders = [s for s in world.outbox() if s.key.startswith("worker.info:")]
    assert _names(reminders) == sorted(["李明华", "赵晓燕"] * 3)
    assert {s.key.split(":")[-2] for s in reminders} == {"72h", "24h", "2h"}
    first = reminders[0].text
    assert "辽宁示范船舶职业技术学院" in first and "2 条" in first
    assert "2025年7月6日 10:00" in first and "3 天" in first


async def test_offsets_passed_while_the_worker_was_down_send_only_the_latest(world: World) -> None:
    assert await world.tick(DEADLINE - timedelta(hours=20)) == 2
    assert await world.tick(DEADLINE - timedelta(hours=19)) == 0
    keys = {s.key.split(":")[-2] for s in world.outbox() if s.key.startswith("worker.info:")}
    assert keys == {"24h"}


async def test_quiet_hours_postpone_a_reminder_to_their_end(world: World) -> None:
    late_evening = datetime(2025, 7, 3, 23, 30, tzinfo=SHANGHAI)  # 58.5 h before the deadline
    assert await world.tick(late_evening) == 2
    assert await world.tick(late_evening + timedelta(hours=2)) == 0
    for sent in world.outbox():
        assert datetime.fromisoformat(sent.not_before) == datetime(
            2025, 7, 4, 7, 0, tzinfo=SHANGHAI
        )


async def test_overdue_problems_escalate_to_the_evaluation_organization_once(
    world: World,
) -> None:
    assert await world.tick(DEADLINE + timedelta(hours=1)) == 1
    await world.restart()
    assert await world.tick(DEADLINE + timedelta(hours=30)) == 0
    overdue = [s for s in world.outbox() if s.key.startswith("worker.overdue:")]
    assert _names(overdue) == ["王建国"]
    assert "已逾期" in overdue[0].text and "2 条" in overdue[0].text
    assert not [s for s in world.outbox() if s.key.startswith("worker.info:")]


async def test_a_batch_waiting_too_long_nudges_its_signer_once(world: World) -> None:
    waited = timedelta(hours=world.settings.worker_nudge_after_hours)
    await world.tick(T0 + waited - timedelta(minutes=1))
    assert not [s for s in world.outbox() if s.key.startswith("worker.nudge:")]
    await world.tick(T0 + waited)
    await world.restart()
    await world.tick(T0 + waited + timedelta(hours=10))
    nudges = [s for s in world.outbox() if s.key.startswith("worker.nudge:")]
    assert _names(nudges) == ["李明华"]
    assert "47 条" in nudges[0].text
    (button,) = nudges[0].payload["buttons"][0]  # type: ignore[index]
    assert button["text"] == "查看待签发"
    assert button["callback_data"] == pack(OpenBatch(batch=1))
    assert parse(button["callback_data"]) == OpenBatch(batch=1, page=0)


async def test_english_speakers_get_english_reminders(world: World) -> None:
    _, head, _ = await people(Issuance(world.store, world.settings))
    invite = await Issuance(world.store, world.settings).create_invite(head.phone)
    await world.store.redeem_invite(invite.code, "telegram", "1001", "en-GB")
    await world.tick(DEADLINE - timedelta(hours=23))
    texts = {s.person: s.text for s in world.outbox() if s.key.startswith("worker.info:")}
    assert texts["李明华"].startswith("[Student info]")
    assert texts["赵晓燕"].startswith("【完善学生信息提醒】")
