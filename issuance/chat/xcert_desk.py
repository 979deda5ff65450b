"""签发工作台: what a signer sees of a batch and may act on, page by page, for any front end."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from issuance.core.chain import Act
from issuance.core.errors import Conflict, Forbidden
from issuance.core.people import Person
from issuance.store import RecordFilter
from issuance.xcert import notices
from issuance.xcert.records import Batch, IssuanceRecord
from issuance.xcert.service import Issuance
from issuance.xcert.statuses import EVALUATOR

PAGE_SIZE = 5


@dataclass(frozen=True)
class BatchPage:
    """One page of a batch for one viewer, with what they may do to each record."""

    batch: Batch
    page: int
    pages: int
    offset: int
    records: list[IssuanceRecord]
    refusals: dict[int, str]
    refused: set[int]
    problems: set[int]
    actionable: set[int]
    resubmittable: set[int]
    waiting_total: int
    can_flag: bool


def waiting_status(issuance: Issuance, actor: Person) -> str | None:
    """The status of records waiting for this actor's sign-off (None: not a signer)."""
    if actor.party is None:
        return None
    return issuance.chain.step_of(actor.party).pending_status


async def batch_page(issuance: Issuance, actor: Person, batch_id: int, page: int) -> BatchPage:
    batch = await issuance.batch_for(actor, batch_id)
    total = sum(batch.counts.values())
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    records = await issuance.store.records(
        RecordFilter(batch_id=batch_id), limit=PAGE_SIZE, offset=page * PAGE_SIZE
    )
    ids = [r.id for r in records]
    waiting = waiting_status(issuance, actor)
    is_owner = actor.party == issuance.chain.owner
    refused = {r.id for r in records if r.status in issuance.chain.refused_statuses}
    return BatchPage(
        batch=batch,
        page=page,
        pages=pages,
        offset=page * PAGE_SIZE,
        records=records,
        refusals=await issuance.store.latest_refusals(ids),
        refused=refused,
        problems=await issuance.store.open_problems(ids),
        actionable={r.id for r in records if waiting and r.status == waiting},
        resubmittable=refused if is_owner else set(),
        waiting_total=batch.counts.get(waiting, 0) if waiting else 0,
        can_flag=is_owner,
    )


async def waiting_in_batch(issuance: Issuance, actor: Person, batch_id: int) -> list[int]:
    """Ids of the batch's records waiting for this actor."""
    await issuance.batch_for(actor, batch_id)
    waiting = waiting_status(issuance, actor)
    if waiting is None:
        return []
    records = await issuance.store.records(RecordFilter(batch_id=batch_id, status=waiting))
    return [r.id for r in records]


async def check_refusable(
    issuance: Issuance, actor: Person, versions: Mapping[int, int]
) -> list[IssuanceRecord]:
    """The records, if the actor may refuse each of them now at the version seen."""
    records = await issuance.records_for_act(actor, list(versions))
    for record in records:
        if versions[record.id] not in (0, record.version):
            raise Conflict("signoff.changed_meanwhile")
        assert actor.party is not None
        issuance.chain.next_status(record.status, Act.REFUSE, actor.party)
    return records


async def check_current(
    issuance: Issuance, actor: Person, record_ids: Sequence[int], versions: Mapping[int, int]
) -> list[IssuanceRecord]:
    """Confirmable records, still at the versions the actor saw (0: any version)."""
    records = await issuance.check_confirmable(actor, record_ids)
    for record in records:
        if versions.get(record.id, 0) not in (0, record.version):
            raise Conflict("signoff.changed_meanwhile")
    return records


async def check_version(issuance: Issuance, actor: Person, record_id: int, version: int) -> None:
    """The record as the actor saw it: a button from before a change is stale."""
    (record,) = await issuance.records_for_act(actor, [record_id])
    if record.version != version:
        raise Conflict("signoff.changed_meanwhile")


async def refuse(
    issuance: Issuance, actor: Person, versions: Mapping[int, int], reason: str
) -> list[IssuanceRecord]:
    """拒绝签发 exactly the records asked about, still at the versions seen (0: any)."""
    await check_refusable(issuance, actor, versions)
    return await issuance.refuse(actor, list(versions), reason)


async def resubmit(
    issuance: Issuance, actor: Person, record_id: int, version: int
) -> IssuanceRecord:
    """重新提交签发 a corrected record seen at `version`; its school's head is told."""
    await check_version(issuance, actor, record_id, version)
    (record,) = await issuance.resubmit(actor, [record_id])
    await notices.resubmitted(issuance.store, record)
    return record


async def check_download(issuance: Issuance, actor: Person, batch_id: int) -> None:
    """Only the issuing organization's signer downloads a batch's certificates (to print them)."""
    batch = await issuance.batch_for(actor, batch_id)
    if actor.party != EVALUATOR or batch.issuer_id != actor.org_id:
        raise Forbidden("bot.download.evaluator_only")
