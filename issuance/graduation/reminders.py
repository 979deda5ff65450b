"""Graduation reminders and the departments' daily digest, as outbox rows (quiet hours kept)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from issuance.core.catalog import locale_for, t
from issuance.core.settings import Settings
from issuance.graduation.chains import APPROVER, LEADER, PENDING_APPROVAL
from issuance.graduation.notices import CHANNEL, buttons, describe
from issuance.store import Store
from issuance.xcert.reminders import after_quiet_hours


async def send_graduation_reminders(store: Store, settings: Settings) -> int:
    """Remind whoever a request waits for too long, once per wait, and send each department's
    审批人 one digest a day of what waits; returns how many notifications were new."""
    now = store.now()
    zone = ZoneInfo(settings.timezone)
    not_before = after_quiet_hours(now, settings.quiet_hours, zone)
    before = (now - timedelta(hours=settings.graduation_remind_after_hours)).isoformat(
        timespec="seconds"
    )
    added = 0
    for row in await store.waiting_since(before):
        request = await store.grad_request(row["request_id"])
        if request is None:
            continue
        role = LEADER if row["org_id"] == request.school_id else APPROVER
        hours = math.floor((now - datetime.fromisoformat(row["oldest"])).total_seconds() / 3600)
        round_ = await store.request_round(request.id)
        verb = "review" if role == LEADER else "approve"
        for person in await store.people_of(row["org_id"], (role,)):
            locale = locale_for(await store.language_of(person.id, CHANNEL))
            text = t(
                "grad.reminder", locale, what=describe(request, row["items"], locale), hours=hours
            )
            payload = {
                "text": text,
                "buttons": buttons(request.id, round_, (verb, "return"), locale),
            }
            key = f"grad.remind:{request.id}:{row['org_id']}:{row['oldest']}:{person.id}"
            added += await store.enqueue(person.id, "message", payload, key, not_before) is not None
    day = not_before.astimezone(zone).date().isoformat()
    for dept in await store.departments():
        waiting = await store.waiting_for(dept.id, (PENDING_APPROVAL,))
        if not waiting:
            continue
        for person in await store.people_of(dept.id, (APPROVER,)):
            locale = locale_for(await store.language_of(person.id, CHANNEL))
            lines = "\n".join(describe(w, w.waiting, locale) for w in waiting)
            payload = {"text": t("grad.digest", locale, lines=lines), "buttons": []}
            key = f"grad.digest:{day}:{person.id}"
            added += await store.enqueue(person.id, "message", payload, key, not_before) is not None
    return added
