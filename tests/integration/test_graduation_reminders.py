"""Reminders of declarations waiting too long and the departments' daily digest, once each."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from issuance.chat.notices import shown
from issuance.core.chain import Act
from issuance.core.settings import load_settings
from issuance.graduation.demo import TERM
from issuance.graduation.reminders import send_graduation_reminders
from issuance.store import SHANGHAI, Store
from tests.gradworld import UNDER_CITY, UNDER_FINAL_CITY, grad_world


async def test_waiting_declarations_are_reminded_once_and_departments_get_a_digest(
    tmp_path: Path,
) -> None:
    async with grad_world(tmp_path) as world:
        first, _ = await world.grad.declare(UNDER_FINAL_CITY, TERM)
        second, _ = await world.grad.declare(UNDER_CITY, TERM)
        await world.grad.act(world["leader_quanzhou"], second, Act.CONFIRM)
        leader, quanzhou = world["leader_fuzhou"].id, world["quanzhou"].id
    settings = load_settings(tmp_path)
    # Three days later, at 10:00 (outside the quiet hours).
    later = datetime.now(SHANGHAI).replace(hour=10) + timedelta(days=3)
    store = await Store.open(settings.database_path, clock=lambda: later)
    try:
        before = await store._all("SELECT COUNT(*) FROM outbox")
        assert await send_graduation_reminders(store, settings) == 3
        assert await send_graduation_reminders(store, settings) == 0
        rows = await store._all(
            "SELECT person_id, payload FROM outbox ORDER BY id LIMIT -1 OFFSET ?", (before[0][0],)
        )
    finally:
        await store.close()
    sent = [(person, shown(json.loads(payload), "zh")) for person, payload in rows]
    to_leader = [p for person, p in sent if person == leader]
    assert len(to_leader) == 1 and "提醒" in to_leader[0]["text"]
    assert to_leader[0]["buttons"][0][0]["callback_data"] == f"gv:{first}:1"
    to_city = [p["text"] for person, p in sent if person == quanzhou]
    assert any("提醒" in text for text in to_city)
    assert any(text.startswith("今日待您处理") and "泉州技工学校" in text for text in to_city)
