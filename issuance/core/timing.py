"""When reminders and notices go out: the reminder due before a deadline, and quiet hours
(both workflows' reminders and hand-out notices keep them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# The platform's clock: timestamps are stored and shown in China Standard Time.
SHANGHAI = ZoneInfo("Asia/Shanghai")


def due_offset(deadline: datetime, now: datetime, offsets: Sequence[float]) -> float | None:
    """The nearest reminder offset (hours before the deadline) already reached, if not yet late.

    Offsets passed while the worker was down are not sent late one after another: only the most
    recent one is, so a school gets one reminder, not three.
    """
    if now >= deadline:
        return None
    reached = [h for h in offsets if now >= deadline - timedelta(hours=h)]
    return min(reached) if reached else None


def after_quiet_hours(moment: datetime, quiet: tuple[time, time], zone: ZoneInfo) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (e.g. 22:00–07:00 moves to 07:00)."""
    start, end = quiet
    local = moment.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start == end:
        return moment
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return moment
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)
