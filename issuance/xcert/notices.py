"""Notices the X-certificate workflow sends people, appended to the outbox as typed notices."""

from __future__ import annotations

from collections.abc import Sequence

from issuance.core.notices import Notice, NoticeKind
from issuance.store import Problem, Store
from issuance.xcert.records import IssuanceRecord


async def resubmitted(store: Store, record: IssuanceRecord) -> None:
    """Tell the school's responsible person a refused record is back for signing."""
    head = await store.head_of(record.site_id)
    if head is None:
        return
    params = {"name": record.student_name, "cert_no": record.cert_no, "status": record.status}
    about = {"batch": record.batch_id}
    await store.append_notice(Notice(NoticeKind.RESUBMITTED, head.id, about, params))


async def info_to_complete(
    store: Store, person_ids: Sequence[int], problems: Sequence[Problem]
) -> None:
    """Tell a school's people their student info has open problems, by the nearest deadline."""
    params = {"count": len(problems), "deadline": min(p.deadline for p in problems)}
    for person_id in person_ids:
        await store.append_notice(Notice(NoticeKind.INFO_TO_COMPLETE, person_id, params=params))


async def info_completed(store: Store, person_ids: Sequence[int], school: str) -> None:
    """Tell who flagged the problems that the school has completed its student info."""
    for person_id in person_ids:
        notice = Notice(NoticeKind.INFO_COMPLETED, person_id, params={"school": school})
        await store.append_notice(notice)
