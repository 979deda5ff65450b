"""Reminder rules: due offsets and quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from issuance.core.timing import after_quiet_hours, due_offset
from issuance.store import SHANGHAI

NIGHT = (time(22, 0), time(7, 0))
LUNCH = (time(12, 0), time(13, 30))
DEADLINE = datetime(2025, 7, 6, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("hours_before", "due"),
    [
        (80, None),
        (72, 72.0),
        (30, 72.0),
        (24, 24.0),
        (3, 24.0),
        (2, 2.0),
        (0.1, 2.0),
        (0, None),
        (-5, None),
    ],
)
def test_due_offset_is_the_nearest_reached_before_the_deadline(
    hours_before: float, due: float | None
) -> None:
    now = DEADLINE - timedelta(hours=hours_before)
    assert due_offset(DEADLINE, now, (72.0, 24.0, 2.0)) == due


@pytest.mark.parametrize(
    ("moment", "window", "expected"),
    [
        ((2025, 7, 1, 21, 59), NIGHT, (2025, 7, 1, 21, 59)),
        ((2025, 7, 1, 22, 0), NIGHT, (2025, 7, 2, 7, 0)),
        ((2025, 7, 1, 23, 45), NIGHT, (2025, 7, 2, 7, 0)),
        ((2025, 7, 2, 3, 0), NIGHT, (2025, 7, 2, 7, 0)),
        ((2025, 7, 2, 7, 0), NIGHT, (2025, 7, 2, 7, 0)),
        ((2025, 7, 2, 12, 10), LUNCH, (2025, 7, 2, 13, 30)),
        ((2025, 7, 2, 14, 0), LUNCH, (2025, 7, 2, 14, 0)),
    ],
)
def test_quiet_hours_postpone_to_their_end(
    moment: tuple[int, ...], window: tuple[time, time], expected: tuple[int, ...]
) -> None:
    at = datetime(*moment, tzinfo=SHANGHAI)
    assert after_quiet_hours(at, window, SHANGHAI) == datetime(*expected, tzinfo=SHANGHAI)


def test_quiet_hours_work_from_a_utc_clock() -> None:
    utc = datetime(2025, 7, 1, 15, 0).astimezone(SHANGHAI).astimezone(tz=None)
    moved = after_quiet_hours(utc, NIGHT, SHANGHAI)
    assert moved == datetime(2025, 7, 2, 7, 0, tzinfo=SHANGHAI)
