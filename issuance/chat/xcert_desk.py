"""签发工作台: what a signer sees of a batch and may act on, page by page, and the answer to each
X-certificate tap or word (refuse, resubmit, sign, download, stamp, lists, broadcast), for every
channel."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from issuance.chat import xcert as screens
from issuance.chat.screens import Screen, Text
from issuance.chat.session import Session, Tap
from issuance.chat.signing_step import Link
from issuance.chat.xcert import BatchPage
from issuance.core.chain import Act
from issuance.core.errors import Conflict, DomainError, Forbidden, Invalid
from issuance.core.people import Person
from issuance.core.records import IssuanceRecord, RecordFilter
from issuance.core.vocabulary import Party
from issuance.xcert import broadcasting, listing, stamping
from issuance.xcert.archive import write_batch_archives
from issuance.xcert.broadcasting import Progress
from issuance.xcert.service import Issuance, id_ranges

PAGE_SIZE = 5
REFUSE = "refuse"
# The checked stamp awaiting consent to the letter of authorization.
DRAFT = "stamp"
# The largest ZIP part a chat sends (Telegram takes documents up to 50 MB).
ARCHIVE_PART = 45 * 2**20


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
    return record


async def check_download(issuance: Issuance, actor: Person, batch_id: int) -> None:
    """Only the issuing organization's signer downloads a batch's certificates (to print them)."""
    batch = await issuance.batch_for(actor, batch_id)
    if actor.party != Party.EVALUATOR or batch.issuer_id != actor.org_id:
        raise Forbidden("bot.download.evaluator_only")


async def toggle(session: Session, record_id: int) -> int:
    """Tick or untick a record for a batch act; its batch."""
    (record,) = await session.issuance.records_for_act(await session.need_actor(), [record_id])
    picked = await session.conversation.selection(record.batch_id)
    await session.conversation.select(record.batch_id, picked ^ {record.id})
    return record.batch_id


async def ask_refusal(session: Session, versions: Mapping[int, int]) -> list[IssuanceRecord]:
    """拒绝签发 tapped: remember what is refused, the reason is the account's next message."""
    actor = await session.need_actor()
    records = await check_refusable(session.issuance, actor, versions)
    await session.conversation.expect(REFUSE, versions={str(k): v for k, v in versions.items()})
    return records


async def refusal_given(session: Session, data: dict[str, Any], reason: str) -> Screen:
    """The reason arrived: refuse exactly the records asked about, at the versions seen."""
    actor = await session.need_actor()
    versions = {int(k): v for k, v in data["versions"].items()}
    try:
        records = await refuse(session.issuance, actor, versions, reason)
    except Invalid:
        await session.conversation.expect(REFUSE, **data)  # still waiting for a good reason
        raise
    await session.conversation.select(records[0].batch_id, set())
    return Screen(Text("bot.refuse.done", {"count": len(records), "reason": reason.strip()}))


async def resubmit_tapped(session: Session, record_id: int, version: int) -> Screen:
    """重新提交签发 tapped by the evaluator."""
    record = await resubmit(session.issuance, await session.need_actor(), record_id, version)
    params = {"name": record.student_name, "status": record.status}
    return Screen(Text("bot.resubmit.done", params))


async def start_signing(
    session: Session, ids: list[int], versions: Mapping[int, int], tap: Tap
) -> list[IssuanceRecord]:
    """确认签发 / 批量确认签发: the records still as seen, the signing step there, this tap
    claimed once (for these records)."""
    actor = await session.need_actor()
    records = await check_current(session.issuance, actor, ids, versions)
    if session.signing is None:
        raise DomainError("bot.sign.unavailable")
    await session.claim(replace(tap, data=f"{tap.data}|{id_ranges(ids)}"))
    return records


async def signing_link(session: Session, ids: list[int], ref: dict[str, Any]) -> Link:
    """The signing page for the records (and its QR code); `ref` is where the result goes."""
    assert session.signing is not None, "start_signing checked it"
    return await session.signing(session.issuance, await session.need_actor(), ids, ref)


async def download_parts(
    session: Session, batch_id: int, folder: Path, part_limit: int = ARCHIVE_PART
) -> list[Path]:
    """下载证书: the batch's certificates and records as ZIP parts (each under `part_limit`)."""
    return await write_batch_archives(
        session.store, session.settings, batch_id, folder, part_limit=part_limit
    )


async def check_stamp_holder(session: Session) -> None:
    """签名章: only whoever may hold a stamp is told how to send one, or sends one."""
    stamping.check_holder(await session.need_actor())


async def check_stamp_upload(session: Session, size: int) -> None:
    """Before reading a stamp picture: the sender may hold a stamp, the file is not too large."""
    await check_stamp_holder(session)
    stamping.check_upload_size(size)


async def stamp_received(session: Session, data: bytes) -> bytes:
    """A stamp picture: checked, made clean and kept as a draft; the certificate preview."""
    actor = await session.need_actor()
    clean, preview = await stamping.prepare(session.issuance, actor, data)
    await session.conversation.keep(DRAFT, {"png": base64.b64encode(clean).decode()})
    return preview


async def accept_stamp(session: Session) -> tuple[Screen, bool]:
    """The letter of authorization accepted: the draft saved as the new version; the answer,
    and whether a stamp was saved (no draft: nothing to save)."""
    actor = await session.need_actor()
    draft = await session.conversation.take(DRAFT)
    if draft is None:
        return Screen(Text("bot.stamp.no_draft")), False
    version = await stamping.save(session.issuance, actor, base64.b64decode(draft["png"]))
    return Screen(Text("bot.stamp.saved", {"version": version})), True


async def discard_stamp(session: Session) -> Screen:
    await session.conversation.take(DRAFT)
    return Screen(Text("bot.stamp.discarded"))


async def broadcast_plans(session: Session) -> Screen:
    """群发 (evaluators): the exam plans whose pending lists may go out to the schools."""
    actor = await session.need_actor()
    return screens.plan_choice(await broadcasting.plans_for(session.issuance, actor))


async def start_broadcast(session: Session, plan_id: int, tap: Tap) -> Progress:
    """Queue one notice per school, once per tap; the final report comes when all went out."""
    actor = await session.need_actor()
    await session.claim(tap)
    return await broadcasting.start(session.issuance, actor, plan_id)


async def lists_choice(session: Session) -> Screen:
    """生成名单 (evaluators): the exam plans with passed results not yet on a pending list."""
    actor = await session.need_actor()
    return screens.lists_choice(await listing.plans_to_list(session.issuance, actor))


async def create_lists(session: Session, plan_id: int, tap: Tap) -> Screen:
    """Generate the plan's lists once per tap (one batch per school, numbers allocated)."""
    actor = await session.need_actor()
    await session.claim(tap)
    return Screen(screens.lists_created(await listing.create_for(session.issuance, actor, plan_id)))
