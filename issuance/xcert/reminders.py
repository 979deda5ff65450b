"""Reminder rules of X certificates: which reminder is due, and the notices the worker sends.

Pure functions of the open problems, waiting batches and the time; the worker appends them as
typed notices, each rendered in its reader's language when it is sent. Each carries a dedup
key, so enqueueing it again (next tick, after a restart) sends nothing twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from issuance.core.catalog import t
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Role
from issuance.core.records import ProblemGroup, WaitingBatch
from issuance.core.timing import due_offset
from issuance.core.vocabulary import Party
from issuance.xcert.statuses import X_STEPS


@dataclass(frozen=True)
class Reminder:
    """A message for the people of `org_id` with one of `roles`; `key` makes it go out once."""

    key: str
    org_id: int
    roles: tuple[str, ...]
    text_key: str
    params: dict[str, object]
    batch_id: int | None = None  # the batch its button opens, if it has one


def _span(delta: timedelta, locale: str) -> str:
    hours = max(1, math.ceil(delta.total_seconds() / 3600))
    if hours >= 48:
        return t("worker.span.days", locale, n=round(hours / 24))
    return t("worker.span.hours", locale, n=hours)


def _when(moment: datetime, zone: tzinfo | None, locale: str) -> str:
    local = moment.astimezone(zone)
    return t(
        "worker.datetime",
        locale,
        year=local.year,
        month=local.month,
        day=local.day,
        hour=local.hour,
        minute=local.minute,
    )


def notices(
    problems: Sequence[ProblemGroup],
    waiting: Sequence[WaitingBatch],
    now: datetime,
    offsets: Sequence[float],
    nudge_after: timedelta,
) -> list[Reminder]:
    """Every reminder, escalation and nudge due at `now` (each possibly sent before: see keys)."""
    found: list[Reminder] = []
    for group in problems:
        deadline = group.deadline.isoformat()
        common = {"site": group.site_name, "count": group.records, "deadline": group.deadline}
        if now >= group.deadline:
            found.append(
                Reminder(
                    f"worker.overdue:{group.site_id}:{deadline}",
                    group.issuer_id,
                    (Role.SIGNER,),
                    "worker.info_overdue",
                    {**common, "late": now - group.deadline},
                )
            )
            continue
        offset = due_offset(group.deadline, now, offsets)
        if offset is not None:
            found.append(
                Reminder(
                    f"worker.info:{group.site_id}:{deadline}:{offset:g}h",
                    group.site_id,
                    (Role.HEAD, Role.STAFF),
                    "worker.info_reminder",
                    {**common, "left": group.deadline - now},
                )
            )
    for batch in waiting:
        if now - batch.since < nudge_after:
            continue
        evaluator = batch.status == X_STEPS[Party.EVALUATOR].pending_status
        found.append(
            Reminder(
                f"worker.nudge:{batch.batch_id}:{batch.status}:{batch.since.isoformat()}",
                batch.issuer_id if evaluator else batch.site_id,
                (X_STEPS[Party.EVALUATOR].role,) if evaluator else (X_STEPS[Party.SITE].role,),
                "worker.nudge",
                {
                    "plan": batch.plan,
                    "site": batch.site_name,
                    "count": batch.records,
                    "waited": now - batch.since,
                },
                batch_id=batch.batch_id,
            )
        )
    return found


@dataclass(frozen=True)
class Span:
    """A stretch of time, written out in hours or days."""

    delta: timedelta

    def render(self, locale: str) -> str:
        return _span(self.delta, locale)


@dataclass(frozen=True)
class Moment:
    """A moment, written out in the configured time zone."""

    moment: datetime
    zone: tzinfo | None

    def render(self, locale: str) -> str:
        return _when(self.moment, self.zone, locale)


def notice_for(reminder: Reminder, person_id: int, zone: ZoneInfo, not_before: datetime) -> Notice:
    """The reminder as a notice to one person: spans in seconds and moments in the configured
    time zone (rendered as `Span` and `Moment`), a nudge about its batch."""
    params: dict[str, object] = {}
    for name, value in reminder.params.items():
        if isinstance(value, timedelta):
            params[name] = value.total_seconds()
        elif isinstance(value, datetime):
            params[name] = value.astimezone(zone).isoformat()
        else:
            params[name] = value
    about = {"batch": reminder.batch_id} if reminder.batch_id is not None else {}
    return Notice(
        NoticeKind(reminder.text_key),
        person_id,
        about,
        params,
        dedup_key=f"{reminder.key}:{person_id}",
        not_before=not_before,
    )
