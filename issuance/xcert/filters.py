"""List and export filters checked before use: an unknown value is an error, not zero rows."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from issuance.core.errors import Invalid, NotFound
from issuance.core.ports import PeopleRepository, RecordRepository, ResultRepository
from issuance.core.records import STUDENT_TYPES, RecordFilter
from issuance.core.vocabulary import XStatus
from issuance.xcert.statuses import X_STATUSES

STATUS_CHOICES = (*X_STATUSES, XStatus.VOID)


class FilterPorts(PeopleRepository, ResultRepository, RecordRepository, Protocol):
    """What checking a filter reads: organizations, plans and batches."""


async def checked_filter(store: FilterPorts, record_filter: RecordFilter) -> RecordFilter:
    """The filter with organizations given by name resolved to codes; raises for unknown values.

    Free-text filters (name, program, certificate and ID numbers) may match nothing; the closed
    ones (status, student type, organizations, plan, batch) must name something that exists.
    """
    f = record_filter
    if f.status and f.status not in STATUS_CHOICES:
        raise Invalid("filter.status", value=f.status, choices="、".join(STATUS_CHOICES))
    if f.student_type and f.student_type not in STUDENT_TYPES:
        raise Invalid("filter.student_type", value=f.student_type, choices="、".join(STUDENT_TYPES))
    for field in ("school", "site", "issuer"):
        ref = getattr(f, field)
        if not ref:
            continue
        code = await store.org_code(ref)
        if code is None:
            raise NotFound("filter.org", value=ref)
        if field == "school":
            f = replace(f, school=code)
        elif field == "site":
            f = replace(f, site=code)
    if f.plan and await store.plan(f.plan) is None:
        raise NotFound("plan.unknown", plan=f.plan)
    if f.batch_id is not None and await store.batch(f.batch_id) is None:
        raise NotFound("filter.batch", value=f.batch_id)
    return f
