"""Use cases of the sign-off core: what the bot, web part, worker and command line call."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from issuance.core.audit import AuditEntry, first_broken
from issuance.core.chain import Act, Chain
from issuance.core.errors import Conflict, Forbidden, Invalid, NotFound
from issuance.core.idcard import mask, mask_name
from issuance.core.numbers import NumberPattern
from issuance.core.people import Invite, OrgKind, Person
from issuance.core.ports import Ports
from issuance.core.records import (
    ActRecord,
    Batch,
    IssuanceRecord,
    PlanInfo,
    RecordChange,
    RecordFilter,
)
from issuance.core.settings import Settings
from issuance.core.text import REASON_MAX, checked_text
from issuance.core.vocabulary import Party, XStatus
from issuance.xcert import notices
from issuance.xcert.statuses import X_STATUSES, x_certificate_chain

ALL = "全部"
_INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_REASON = 500
# A record as an act reads it: whole (shown, told) or only what a batch confirm checks.
R = TypeVar("R", IssuanceRecord, ActRecord)


def with_total(counts: Mapping[str, int]) -> dict[str, int]:
    """The platform's counts line: 全部 first, then every status in order (zeros included)."""
    result = {ALL: sum(counts.values())}
    result.update({status: counts.get(status, 0) for status in X_STATUSES})
    if counts.get(XStatus.VOID):
        # Voided certificates (no longer 确认签发) are listed only when there are some, so the
        # platform's six keys stay as they were.
        result[XStatus.VOID] = counts[XStatus.VOID]
    return result


def id_ranges(ids: Sequence[int]) -> str:
    """Compact `1-3,7` form of record ids, for audit subjects."""
    parts: list[str] = []
    ordered = sorted(set(ids))
    start = prev = ordered[0] if ordered else 0
    for value in [*ordered[1:], None]:  # type: ignore[list-item]
        if value is not None and value == prev + 1:
            prev = value
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if value is not None:
            start = prev = value
    return ",".join(parts)


@dataclass(frozen=True)
class BatchCreated:
    """A pending list generated for one school."""

    id: int
    school: str
    records: int


@dataclass(frozen=True)
class Verification:
    """The public answer to 证书查验: valid, void or not found, with what may be shown."""

    status: str
    cert_no: str
    name: str | None = None
    program: str | None = None
    level: str | None = None
    issuer: str | None = None
    issued_on: str | None = None
    sha256: str | None = None


class Issuance:
    """The X-certificate issuance use cases over one store."""

    def __init__(self, store: Ports, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.chain: Chain = x_certificate_chain(settings.signoff_order)

    # Pending lists

    async def create_lists(
        self, plan_ref: str, school_code: str | None = None
    ) -> list[BatchCreated]:
        """Generate one pending list per school for the plan's passed, unlisted results."""
        plan = await self.store.plan(plan_ref)
        if plan is None:
            raise NotFound("plan.unknown", plan=plan_ref)
        site_id = None
        if school_code:
            orgs = await self.store.orgs_by_code([school_code])
            if school_code not in orgs:
                raise NotFound("org.unknown", code=school_code)
            site_id = orgs[school_code].id
        pattern = NumberPattern(plan.number_pattern or self.settings.numbers_default_pattern)
        year = self.store.now().year
        scope = pattern.scope(plan.program_id, year, plan.level)
        # One transaction: two `list create` runs at once cannot list a result twice, and a
        # failure leaves no numbers allocated without records.
        async with self.store.transaction():
            return await self._create_lists(plan, site_id, pattern, year, scope)

    async def _create_lists(
        self, plan: PlanInfo, site_id: int | None, pattern: NumberPattern, year: int, scope: str
    ) -> list[BatchCreated]:
        created = []
        for site, result_ids in (
            await self.store.unlisted_passed_results(plan.id, site_id)
        ).items():
            first = await self.store.allocate_numbers(scope, len(result_ids))
            numbers = [
                pattern.format(plan.program_id, year, plan.level, first + offset)
                for offset in range(len(result_ids))
            ]
            batch_id = await self.store.insert_batch(
                plan.id, site, list(zip(result_ids, numbers, strict=True)), self.chain.first_status
            )
            await self.store.append_audit(
                AuditEntry(self.store.now_iso(), "admin", "list.create", f"batch:{batch_id}")
            )
            batch = await self.store.batch(batch_id)
            assert batch is not None
            created.append(BatchCreated(batch_id, batch.site_code, len(result_ids)))
        return created

    async def counts(self, record_filter: RecordFilter) -> dict[str, int]:
        return with_total(await self.store.status_counts(record_filter))

    # Who sees what

    async def visible_batches(self, actor: Person) -> list[Batch]:
        """Batches the actor's organization issues (evaluator) or signs (school)."""
        if actor.party == Party.EVALUATOR:
            return await self.store.batches(issuer_id=actor.org_id)
        if actor.org_kind == OrgKind.SCHOOL:
            return await self.store.batches(site_id=actor.org_id)
        return []

    async def batch_for(self, actor: Person, batch_id: int) -> Batch:
        batch = await self.store.batch(batch_id)
        if batch is None or not _may_see(actor, batch.issuer_id, batch.site_id):
            raise NotFound("batch.unknown")
        return batch

    # Sign-off acts

    async def records_for_act(
        self, actor: Person, record_ids: Sequence[int]
    ) -> list[IssuanceRecord]:
        """The records, after checking the actor signs for each of them."""
        if not record_ids:
            raise Invalid("signoff.nothing_selected")
        return _signed_for(actor, record_ids, await self.store.records_by_ids(record_ids))

    async def check_confirmable(
        self, actor: Person, record_ids: Sequence[int]
    ) -> list[IssuanceRecord]:
        """Everything that must hold before the actor is sent to sign: turn, stamp, student info."""
        return await self._confirmable(actor, await self.records_for_act(actor, record_ids))

    async def _confirmable(self, actor: Person, records: list[R]) -> list[R]:
        """`check_confirmable`'s checks after the records' own (`records_for_act`)."""
        party = _party(actor)
        # Once per status, in the records' order: the first record's error, as record by record.
        for status in dict.fromkeys(record.status for record in records):
            self.chain.next_status(status, Act.CONFIRM, party)
        if party == Party.SITE and await self.store.current_stamp(actor.org_id) is None:
            raise Conflict("signoff.stamp_required")
        blocked = await self.store.open_problems([r.id for r in records])
        if blocked:
            raise Conflict("signoff.info_incomplete", count=len(blocked))
        return records

    async def confirm(
        self,
        actor: Person,
        record_ids: Sequence[int],
        signature_id: int,
        expected_versions: Mapping[int, int] | None = None,
    ) -> list[ActRecord]:
        """确认签发 one or many records in one act, carrying the signer's online signature."""
        owned = await self.store.signature_owner_and_hash(signature_id)
        if owned is None or owned[0] != actor.id:
            raise Invalid("signoff.signature_required")
        signature = owned[1]
        async with self.store.transaction():
            # The checks of `check_confirmable` on what they read of the records, no more: a
            # batch confirm reads thousands, and returns them so.
            if not record_ids:
                raise Invalid("signoff.nothing_selected")
            records = _signed_for(
                actor, record_ids, await self.store.act_records_by_ids(record_ids)
            )
            records = await self._confirmable(actor, records)
            _check_versions(records, expected_versions)
            done = await self._apply(actor, records, Act.CONFIRM, None, signature_id, signature)
            # An issued X certificate is a graduate's qualification: it releases a hold (暂缓发放).
            confirmed = [r.id_number for r in done if r.status == XStatus.CONFIRMED]
            qualified = await self.store.qualify_by_x_certificates(confirmed, f"person:{actor.id}")
            await notices.qualified(self.store, qualified)
            return done

    async def refuse(
        self, actor: Person, record_ids: Sequence[int], reason: str
    ) -> list[IssuanceRecord]:
        """拒绝签发 with a written reason."""
        reason = reason.strip()
        if not reason:
            raise Invalid("signoff.reason_required")
        if len(reason) > MAX_REASON:
            raise Invalid("signoff.reason_too_long", limit=MAX_REASON)
        async with self.store.transaction():
            records = await self.records_for_act(actor, record_ids)
            return await self._apply(actor, records, Act.REFUSE, reason, None, None)

    async def resubmit(self, actor: Person, record_ids: Sequence[int]) -> list[IssuanceRecord]:
        """The evaluation organization corrected a refused record: its sign-off starts again;
        each school's head is told in the same transaction."""
        async with self.store.transaction():
            records = await self.records_for_act(actor, record_ids)
            done = await self._apply(actor, records, Act.RESUBMIT, None, None, None)
            for record in done:
                await notices.resubmitted(self.store, record)
            return done

    async def _apply(
        self,
        actor: Person,
        records: Sequence[R],
        act: Act,
        reason: str | None,
        signature_id: int | None,
        signature: str | None,
    ) -> list[R]:
        """Apply the act to every record, or none; the records as they are now (not reloaded)."""
        party = _party(actor)
        # A few statuses among thousands of records: the chain is asked once per status.
        statuses = dict.fromkeys(r.status for r in records)  # in the records' order
        after = {s: self.chain.next_status(s, act, party) for s in statuses}
        changes = [
            RecordChange(
                r.id,
                r.status,
                r.version,
                after[r.status],
                r.round + 1 if act is Act.RESUBMIT else r.round,
            )
            for r in records
        ]
        entry = AuditEntry(
            at=self.store.now_iso(),
            actor=f"person:{actor.id}",
            action=f"signoff.{act.value}",
            subject="records:" + id_ranges([r.id for r in records]),
            reason=reason,
            signature=signature,
        )
        await self.store.apply_signoff(
            changes, party, act.value, actor.id, reason, signature_id, entry, XStatus.CONFIRMED
        )
        return [
            _moved(record, change, entry.at if change.new_status == XStatus.CONFIRMED else None)
            for record, change in zip(records, changes, strict=True)
        ]

    # Accounts

    async def create_invite(self, person_ref: str) -> Invite:
        person = await self.store.person_by_ref(person_ref)
        if person is None:
            raise NotFound("person.unknown", ref=person_ref)
        code = "".join(secrets.choice(_INVITE_ALPHABET) for _ in range(10))
        expires = self.store.now() + timedelta(hours=self.settings.signoff_invite_ttl_hours)
        expires_at = expires.isoformat(timespec="seconds")
        await self.store.create_invite(code, person.id, expires_at)
        username = self.settings.telegram_bot_username
        link = f"https://t.me/{username}?start={code}" if username else f"/start {code}"
        return Invite(code, expires_at, link, person)

    async def bind(self, code: str, channel: str, account: str, language: str | None) -> Person:
        code = code.strip().upper()
        person = await self.store.redeem_invite(code, channel, account, language)
        await self.store.append_audit(
            AuditEntry(self.store.now_iso(), f"person:{person.id}", "account.bind", f"{channel}")
        )
        return person

    async def void(self, cert_no: str, reason: str) -> IssuanceRecord:
        """作废 an issued certificate (e.g. a spoiled or wrongly issued one); it stays on file."""
        reason = reason.strip()
        if not reason:
            raise Invalid("void.reason_required")
        reason = checked_text(reason, REASON_MAX, "void.reason_bad_text", "void.reason_too_long")
        record = await self.store.record_by_cert_no(cert_no.strip())
        if record is None:
            raise NotFound("void.unknown", cert_no=cert_no)
        if record.status != XStatus.CONFIRMED:
            raise Conflict("void.not_issued")
        entry = AuditEntry(
            self.store.now_iso(), "admin", "certificate.void", f"record:{record.id}", reason=reason
        )
        await self.store.void_record(record.id, reason, entry)
        found = await self.store.record_by_cert_no(record.cert_no)
        assert found is not None
        return found

    # Verification and audit

    async def verify(self, cert_no: str, id_number: str) -> Verification:
        """证书查验: the same answer for an unknown number and a wrong ID number."""
        # Chinese input methods type full-width digits (１２３): NFKC folds them to ASCII.
        cert_no = unicodedata.normalize("NFKC", cert_no).strip()
        id_number = unicodedata.normalize("NFKC", id_number).strip().upper()
        found = await self.store.record_and_file_sha256(cert_no)
        if found is None:
            return Verification("not_found", cert_no)
        record, sha256 = found
        if record.id_number != id_number or record.status != XStatus.CONFIRMED:
            return Verification("not_found", cert_no)
        return Verification(
            "void" if record.void_at else "valid",
            cert_no,
            name=mask_name(record.student_name),
            program=record.program,
            level=record.level,
            issuer=record.issuer_name,
            issued_on=(record.issued_at or "")[:10] or None,
            sha256=sha256,
        )

    async def audit_problem(self) -> tuple[int, str] | None:
        """The first altered or missing audit entry, or None when the chain is intact."""
        entries = await self.store.audit_entries()
        broken = first_broken(entries)
        if broken:
            return broken
        last = entries[-1].id if entries else 0
        referenced = await self.store.last_referenced_audit_id()
        if referenced > last:
            return last + 1, f"entry {last + 1} is missing (referenced by the sign-off history)"
        return None


def _party(actor: Person) -> str:
    if actor.party is None:
        raise Forbidden("signoff.not_a_signer")
    return actor.party


def _may_see(actor: Person, issuer_id: int, site_id: int) -> bool:
    if actor.org_kind == OrgKind.EVALUATOR:
        return actor.org_id == issuer_id
    return actor.org_id == site_id


def _moved(record: R, change: RecordChange, issued_at: str | None) -> R:
    """The record after `change`, as `dataclasses.replace` would make it, without its per-field
    introspection: a batch act moves thousands."""
    moved = object.__new__(type(record))
    moved.__dict__.update(record.__dict__)
    moved.__dict__.update(
        status=change.new_status,
        round=change.round,
        version=record.version + 1,
        issued_at=issued_at or record.issued_at,
    )
    return moved


def _signed_for(actor: Person, record_ids: Sequence[int], records: list[R]) -> list[R]:
    """`records`, read for `record_ids`, once each is known and the actor signs for it."""
    if len(records) != len(set(record_ids)):
        raise NotFound("record.unknown")
    for record in records:
        if not _signs_for(actor, record):
            raise Forbidden("signoff.not_your_records")
    return records


def _signs_for(actor: Person, record: IssuanceRecord | ActRecord) -> bool:
    if actor.party == Party.EVALUATOR:
        return actor.org_id == record.issuer_id
    if actor.party == Party.SITE:
        return actor.org_id == record.site_id
    return False


def _check_versions(
    records: Sequence[IssuanceRecord | ActRecord], expected: Mapping[int, int] | None
) -> None:
    if expected is None:
        return
    for record in records:
        if expected.get(record.id) != record.version:
            raise Conflict("signoff.changed_meanwhile")


__all__ = ["ALL", "Invite", "Issuance", "Verification", "mask"]
