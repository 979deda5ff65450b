"""Notices reach people on their channel, in their language, with buttons that work."""

from __future__ import annotations

from dataclasses import replace

import pytest

from issuance.chat.actions import Broadcast, OpenBatch, pack, parse
from tests.botworld import EVALUATOR, HEAD, World
from worker.jobs import send_reminders

pytestmark = pytest.mark.one_database


async def test_the_nudge_button_opens_its_batch(world: World) -> None:
    await world.bind(HEAD, 1)
    # Nudge at once, at any hour of the day.
    settings = replace(
        world.settings, worker_nudge_after_hours=0.0, worker_quiet_hours="00:00-00:00"
    )
    async with world.bot():
        assert await send_reminders(world.store, settings) == 1
        nudge = await world.api.next_message(HEAD.id)
        button = nudge.button("查看待签发")
        assert button.callback_data is not None
        page = await world.tap(HEAD, nudge, button.callback_data)
    assert "47 条记录等待您签发" in (nudge.text or "")
    assert parse(button.callback_data) == OpenBatch(batch=1)
    assert "第 1/13 页" in (page.text or "") and page.message_id == nudge.message_id
    assert "考核站点待签发 47" in (page.text or "")
    assert page.button("批量确认签发（47）")


async def test_a_broadcast_reaches_an_english_speaking_signer_in_english(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    await world.issuance.bind(world.invites[1].code, "telegram", str(HEAD.id), "en-GB")
    async with world.bot():
        menu = await world.say(EVALUATOR, "/broadcast")
        await world.tap(EVALUATOR, menu, pack(Broadcast(plan=1)))
        notice = await world.api.next_message(HEAD.id)
    text = notice.text or ""
    assert text.startswith("[Pending sign-off]")
    assert "Awaiting school 47" in text and "Tap below to review and sign." in text
    assert "待签发" not in text
    button = notice.button("Open the pending list")
    assert parse(button.callback_data) == OpenBatch(batch=1)
