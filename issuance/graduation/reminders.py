"""Graduation reminders and the departments' daily digest, as notices (quiet hours kept)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Role
from issuance.core.settings import Settings
from issuance.core.timing import after_quiet_hours
from issuance.core.vocabulary import GradStatus
from issuance.graduation.notices import NoticePorts, subject


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
        params = {"what": subject(request, row.items), "hours": hours, "role": role.value}
        about = {"request": request.id, "round": await store.request_round(request.id)}
        for person in await store.people_of(row.org_id, (role,)):
            key = f"grad.remind:{request.id}:{row.org_id}:{row.oldest}:{person.id}"
            notice = Notice(
                NoticeKind.GRAD_REMINDER,
                person.id,
                about,
                params,
                dedup_key=key,
                not_before=not_before,
            )
            added += await store.append_notice(notice) is not None
    day = not_before.astimezone(zone).date().isoformat()
    for dept in await store.departments():
        waiting = await store.waiting_for(dept.id, (GradStatus.PENDING_APPROVAL,))
        if not waiting:
            continue
        lines = [subject(w, w.waiting) for w in waiting]
        for person in await store.people_of(dept.id, (Role.APPROVER,)):
            notice = Notice(
                NoticeKind.GRAD_DIGEST,
                person.id,
                params={"lines": lines},
                dedup_key=f"grad.digest:{day}:{person.id}",
                not_before=not_before,
            )
            added += await store.append_notice(notice) is not None
    return added
