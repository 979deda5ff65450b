"""Notices the X-certificate workflow sends people, through the one way to notify."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from issuance.chat.actions import ListProblems, OpenBatch
from issuance.chat.notify import notify
from issuance.chat.screens import Button, Text
from issuance.core.graduates import XQualified
from issuance.core.people import Role
from issuance.core.ports import OutboxQueue, PeopleRepository
from issuance.core.records import IssuanceRecord, Problem


class NoticePorts(PeopleRepository, OutboxQueue, Protocol):
    """Who to tell (the school's responsible person) and the outbox to tell them through."""


def open_batch(batch_id: int, label: str = "bot.broadcast.open") -> list[Button]:
    """The one button of a notice about a batch: open it."""
    return [Button(Text(label), OpenBatch(batch_id))]


async def resubmitted(store: NoticePorts, record: IssuanceRecord) -> None:
    """Tell the school's responsible person a refused record is back for signing."""
    head = await store.head_of(record.site_id)
    if head is None:
        return
    params = {"name": record.student_name, "cert_no": record.cert_no, "status": record.status}
    await notify(store, head.id, "bot.resubmit.notice", params, [open_batch(record.batch_id)])


async def info_to_complete(
    store: OutboxQueue, person_ids: Sequence[int], problems: Sequence[Problem]
) -> None:
    """Tell a school's people their student info has open problems, by the nearest deadline."""
    params = {"count": len(problems), "deadline": min(p.deadline for p in problems)}
    see = [[Button(Text("completion.open_button"), ListProblems())]]
    for person_id in person_ids:
        await notify(store, person_id, "completion.notice", params, see)


async def info_completed(store: OutboxQueue, person_ids: Sequence[int], school: str) -> None:
    """Tell who flagged the problems that the school has completed its student info."""
    for person_id in person_ids:
        await notify(store, person_id, "completion.school_done", {"school": school})


async def qualified(store: NoticePorts, graduates: Sequence[XQualified]) -> None:
    """Tell the schools' 经办人 of graduates whose qualification an X certificate now is."""
    for graduate in graduates:
        for clerk in await store.people_of(graduate.school_id, (Role.CLERK,)):
            await notify(store, clerk.id, graduate.notice_key, graduate.notice_params())
