"""接收纸质版证书并发放至学生 (操作四): the evaluation organization books a batch's paper
certificates as mailed to the school, the school confirms receipt, then hands each certificate
out (已发放) or mails it on to the student (已转寄, with a tracking number). Reminders go to
schools that received a batch and did not finish handing it out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from issuance.core.audit import AuditEntry
from issuance.core.errors import Conflict, Forbidden, Invalid, NotFound, refusing
from issuance.core.graduates import HandoutBatch, HandoutRecord, Mailing
from issuance.core.notices import Notice, NoticeKind
from issuance.core.people import SCHOOL_ROLES, OrgKind, Person
from issuance.core.ports import (
    AuditLog,
    HandoutRepository,
    OutboxQueue,
    PeopleRepository,
    RecordRepository,
)
from issuance.core.records import RecordFilter
from issuance.core.settings import Settings
from issuance.core.timing import after_quiet_hours
from issuance.core.vocabulary import Delivery, HandoutStage

MAX_COURIER = 30
MAX_TRACKING = 40
# `status --json` keys, in the order a certificate passes them.
STAGES = tuple(HandoutStage)


class HandoutPorts(
    HandoutRepository, RecordRepository, PeopleRepository, OutboxQueue, AuditLog, Protocol
):
    """What hand-out of X certificates reaches: mailings and hand-outs, records, the school's
    people, the outbox, the audit log."""


@dataclass(frozen=True)
class HandedOut:
    """Certificates handed out (or mailed on) by one act."""

    batch_id: int
    how: str
    records: list[HandoutRecord]
    left: int


def checked_text(raw: str, what: str, limit: int) -> str:
    """A courier name or tracking number: trimmed, not empty, not too long."""
    value = " ".join(raw.split())
    if not value:
        raise Invalid("handout.empty", what=what)
    if len(value) > limit:
        raise Invalid("handout.too_long", what=what, limit=limit)
    return value


class Handout:
    """Mailing, receipt and hand-out of X certificates' paper copies."""

    def __init__(self, store: HandoutPorts) -> None:
        self.store = store

    async def batch_for(self, actor: Person, batch_id: int) -> HandoutBatch:
        """The batch, if the actor's organization issues it or is its school."""
        batch = await self.store.handout_batch(batch_id)
        if batch is None or actor.org_id not in (batch.issuer_id, batch.site_id):
            raise NotFound("batch.unknown")
        return batch

    async def mail(self, actor: Person, batch_id: int, courier: str, tracking: str) -> Mailing:
        """The batch's evaluation organization booked its certificates as mailed to the school;
        the school's people are told, with courier and tracking number."""
        batch = await self.batch_for(actor, batch_id)
        if actor.org_kind != OrgKind.EVALUATOR or actor.org_id != batch.issuer_id:
            raise Forbidden("handout.not_evaluator")
        courier = checked_text(courier, "快递公司", MAX_COURIER)
        tracking = checked_text(tracking, "运单号", MAX_TRACKING)
        if batch.issued == 0:
            raise Conflict("handout.nothing_issued")
        entry = self._audit(actor, "handout.mail", f"batch:{batch_id}:{courier}:{tracking}")
        params = _batch_params(batch) | {"courier": courier, "tracking": tracking}
        # booked and told in one transaction: no mailing without its notices
        async with refusing("handout.already_mailed"), self.store.transaction():
            await self.store.book_mailing(batch_id, courier, tracking, actor.id, entry)
            for person in await self.store.people_of(batch.site_id, SCHOOL_ROLES):
                notice = Notice(
                    NoticeKind.MAILED,
                    person.id,
                    {"batch": batch_id},
                    params,
                    dedup_key=f"handout.mailed:{batch_id}:{person.id}",
                )
                await self.store.append_notice(notice)
        mailing = await self.store.mailing(batch_id)
        assert mailing is not None
        return mailing

    async def receive(self, actor: Person, batch_id: int) -> HandoutBatch:
        """确认收到: the school's people confirm the mailed certificates arrived."""
        batch = await self._school_batch(actor, batch_id)
        mailing = await self.store.mailing(batch_id)
        if mailing is None:
            raise Conflict("handout.not_mailed")
        if mailing.received_at is not None:
            raise Conflict("handout.already_received")
        entry = self._audit(actor, "handout.receive", f"batch:{batch_id}")
        async with refusing("handout.already_received"), self.store.transaction():
            await self.store.book_receipt(batch_id, actor.id, entry)
            notice = Notice(
                NoticeKind.RECEIVED,
                mailing.mailed_by,
                {"batch": batch_id},
                _batch_params(batch) | {"by": actor.name},
                dedup_key=f"handout.received:{batch_id}",
            )
            await self.store.append_notice(notice)
        return batch

    async def records(self, actor: Person, batch_id: int) -> list[HandoutRecord]:
        await self.batch_for(actor, batch_id)
        return await self.store.handout_records(batch_id)

    async def hand_out(
        self,
        actor: Person,
        batch_id: int,
        record_ids: Sequence[int] = (),
        tracking: str | None = None,
    ) -> HandedOut:
        """已发放 (or 已转寄 with a tracking number): the records named, each once, or every
        certificate of the batch not handed out yet."""
        await self._school_batch(actor, batch_id)
        mailing = await self.store.mailing(batch_id)
        if mailing is None or mailing.received_at is None:
            raise Conflict("handout.not_received")
        records = await self.store.handout_records(batch_id)
        by_id = {r.record_id: r for r in records}
        if record_ids:
            picked = []
            for record_id in dict.fromkeys(record_ids):
                record = by_id.get(record_id)
                if record is None:
                    raise NotFound("handout.record_unknown")
                if record.how is not None:
                    raise Conflict("handout.already_handed_record", cert_no=record.cert_no)
                picked.append(record)
        else:
            picked = [r for r in records if r.how is None]
            if not picked:
                raise Conflict("handout.batch_done")
        how = Delivery.HANDED
        if tracking is not None:
            tracking = checked_text(tracking, "运单号", MAX_TRACKING)
            how = Delivery.MAILED_ON
        entry = self._audit(
            actor, "handout.hand_out", f"batch:{batch_id}:{how}:records:{len(picked)}"
        )
        async with refusing("handout.refused"):
            await self.store.hand_out_records(
                batch_id, [(r.record_id, how, tracking) for r in picked], actor.id, entry
            )
        left = sum(1 for r in records if r.how is None) - len(picked)
        return HandedOut(batch_id, how, picked, left)

    async def record_ids(self, actor: Person, batch_id: int, cert_nos: Sequence[str]) -> list[int]:
        """The batch's records with these certificate numbers (unknown ones are an error)."""
        by_no = {r.cert_no: r.record_id for r in await self.records(actor, batch_id)}
        missing = [no for no in cert_nos if no.strip() not in by_no]
        if missing:
            raise NotFound("handout.cert_unknown", cert_no=missing[0])
        return [by_no[no.strip()] for no in cert_nos]

    async def counts(self, record_filter: RecordFilter) -> dict[str, int]:
        """The hand-out keys of `status`: only the stages some certificate is in."""
        raw = await self.store.handout_counts(record_filter)
        shown = {stage: raw.get(stage, 0) for stage in (HandoutStage.MAILED, HandoutStage.RECEIVED)}
        shown[HandoutStage.HANDED] = raw.get(Delivery.HANDED, 0)
        shown[HandoutStage.MAILED_ON] = raw.get(Delivery.MAILED_ON, 0)
        return {key: n for key, n in shown.items() if n}

    async def _school_batch(self, actor: Person, batch_id: int) -> HandoutBatch:
        batch = await self.batch_for(actor, batch_id)
        if actor.org_id != batch.site_id or actor.role not in SCHOOL_ROLES:
            raise Forbidden("handout.not_school")
        return batch

    def _audit(self, actor: Person, action: str, subject: str) -> AuditEntry:
        return AuditEntry(self.store.now_iso(), f"person:{actor.id}", action, subject)


def _batch_params(batch: HandoutBatch) -> dict[str, object]:
    return {
        "program": batch.program,
        "level": batch.level,
        "plan": batch.plan,
        "school": batch.site_name,
        "count": batch.issued,
    }


async def send_handout_reminders(store: HandoutPorts, settings: Settings) -> int:
    """Remind the school of every batch received but not fully handed out, once per period of
    `worker.handout_remind_after_days`; returns how many notices were new."""
    now = store.now()
    period = timedelta(days=settings.worker_handout_remind_after_days)
    zone = ZoneInfo(settings.timezone)
    not_before = after_quiet_hours(now, settings.quiet_hours, zone)
    added = 0
    for batch in await store.received_not_handed_out((now - period).isoformat(timespec="seconds")):
        assert batch.received_at is not None
        since = now - datetime.fromisoformat(batch.received_at)
        periods = math.floor(since / period)
        params = _batch_params(batch) | {
            "days": since.days,
            "left": batch.issued - batch.handed,
        }
        for person in await store.people_of(batch.site_id, SCHOOL_ROLES):
            notice = Notice(
                NoticeKind.HANDOUT_REMINDER,
                person.id,
                {"batch": batch.batch_id},
                params,
                dedup_key=f"handout.remind:{batch.batch_id}:{periods}:{person.id}",
                not_before=not_before,
            )
            added += await store.append_notice(notice) is not None
    return added
