"""Graduation reminders and the departments' daily digest, through notify (quiet hours kept)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from issuance.chat.graduation import buttons, describe
from issuance.chat.notify import notify
from issuance.chat.screens import Lines
from issuance.core.people import Role
from issuance.core.settings import Settings
from issuance.core.timing import after_quiet_hours
from issuance.core.vocabulary import GradStatus
from issuance.graduation.notices import NoticePorts


async def send_graduation_reminders(store: NoticePorts, settings: Settings) -> int:
    """Remind whoever a request waits for too long, once per wait, and send each department's
    审批人 one digest a day of what waits; returns how many notifications were new."""
    now = store.now()
    zone = ZoneInfo(settings.timezone)
    not_before = after_quiet_hours(now, settings.quiet_hours, zone)
    since = now - timedelta(hours=settings.graduation_remind_after_hours)
    added = 0
    for row in await store.waiting_since(since.isoformat(timespec="seconds")):
        request = await store.grad_request(row.request_id)
        if request is None:
            continue
        role = Role.LEADER if row.org_id == request.school_id else Role.APPROVER
        hours = math.floor((now - datetime.fromisoformat(row.oldest)).total_seconds() / 3600)
        params = {"what": describe(request, row.items), "hours": hours}
        rows = [buttons(request.id, await store.request_round(request.id), role)]
        for person in await store.people_of(row.org_id, (role,)):
            key = f"grad.remind:{request.id}:{row.org_id}:{row.oldest}:{person.id}"
            queued = await notify(
                store,
                person.id,
                "grad.reminder",
                params,
                rows,
                dedup_key=key,
                not_before=not_before,
            )
            added += queued is not None
    day = not_before.astimezone(zone).date().isoformat()
    for dept in await store.departments():
        waiting = await store.waiting_for(dept.id, (GradStatus.PENDING_APPROVAL,))
        if not waiting:
            continue
        lines = Lines([describe(w, w.waiting) for w in waiting])
        for person in await store.people_of(dept.id, (Role.APPROVER,)):
            queued = await notify(
                store,
                person.id,
                "grad.digest",
                {"lines": lines},
                dedup_key=f"grad.digest:{day}:{person.id}",
                not_before=not_before,
            )
            added += queued is not None
    return added
