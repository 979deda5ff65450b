"""Notices the X-certificate workflow sends people, appended to the outbox as typed notices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from issuance.core.graduates import XQualified
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import Role
from issuance.core.ports import OutboxQueue, PeopleRepository
from issuance.core.records import IssuanceRecord, Problem


class NoticePorts(PeopleRepository, OutboxQueue, Protocol):
    """Who to tell (the school's responsible person) and the outbox to tell them through."""


async def resubmitted(store: NoticePorts, record: IssuanceRecord) -> None:
    """Tell the school's responsible person a refused record is back for signing."""
    head = await store.head_of(record.site_id)
    if head is None:
        return
    params = {"name": record.student_name, "cert_no": record.cert_no, "status": record.status}
    about = {"batch": record.batch_id}
    await store.append_notice(Notice(NoticeKind.RESUBMITTED, head.id, about, params))


async def info_to_complete(
    store: OutboxQueue, person_ids: Sequence[int], problems: Sequence[Problem]
) -> None:
    """Tell a school's people their student info has open problems, by the nearest deadline."""
    params = {"count": len(problems), "deadline": min(p.deadline for p in problems)}
    for person_id in person_ids:
        await store.append_notice(Notice(NoticeKind.INFO_TO_COMPLETE, person_id, params=params))


async def info_completed(store: OutboxQueue, person_ids: Sequence[int], school: str) -> None:
    """Tell who flagged the problems that the school has completed its student info."""
    for person_id in person_ids:
        notice = Notice(NoticeKind.INFO_COMPLETED, person_id, params={"school": school})
        await store.append_notice(notice)


async def qualified(store: NoticePorts, graduates: Sequence[XQualified]) -> None:
    """Tell the schools' 经办人 of graduates whose qualification an X certificate now is."""
    for graduate in graduates:
        for clerk in await store.people_of(graduate.school_id, (Role.CLERK,)):
            notice = Notice(graduate.notice_kind, clerk.id, params=graduate.notice_params())
            await store.append_notice(notice)
