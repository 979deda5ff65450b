"""Store ports: what each family of use cases needs from a database, and the values it gets back.

Adapters (issuance/store: SQLite, PostgreSQL) implement them and return these frozen values or the
domain's own (Person, IssuanceRecord, …), never driver rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from issuance.core.audit import AuditEntry, StoredEntry
from issuance.core.people import Org, Person

if TYPE_CHECKING:
    # Value types that still live beside their adapter queries (moving them is a later step).
    from issuance.store.chat import BroadcastInfo, Problem
    from issuance.store.core import PlanInfo, RecordChange, RecordFilter
    from issuance.store.outbox import ChatAccount, OutboxItem
    from issuance.store.signing import StoredSigningRequest
    from issuance.store.work import (
        BatchCertificate,
        CertificateClaim,
        CertificateFile,
        ProblemGroup,
        WaitingBatch,
    )
    from issuance.xcert.records import Batch, IssuanceRecord


@dataclass(frozen=True)
class StoredStudent:
    """A student as stored (学生): the unique ID number and the school, if any."""

    id: int
    id_number: str
    name: str
    student_type: str
    school_id: int | None


@dataclass(frozen=True)
class SignoffEntry:
    """One act of a record's append-only sign-off history (签发记录)."""

    round: int
    party: str
    act: str
    reason: str | None
    at: str
    person: str | None


@dataclass(frozen=True)
class Stamp:
    """An organization's stamp in use (签名章): the newest upload."""

    id: int
    png: bytes
    sha256: str
    person_id: int
    created_at: str


class Clock(Protocol):
    """A store's clock and explicit transactions (every port has them)."""

    def transaction(self, write: bool = True) -> AbstractAsyncContextManager[None]: ...

    def now(self) -> datetime: ...

    def now_iso(self) -> str: ...


class PeopleStore(Clock, Protocol):
    """Organizations, people, chat accounts and invites (组织, 人员, 绑定)."""

    async def orgs_by_code(self, codes: Iterable[str]) -> dict[str, Org]: ...

    async def insert_orgs(
        self, rows: Sequence[tuple[str, str, str, str | None, str | None]]
    ) -> int: ...

    async def people_by_phone(self, phones: Iterable[str]) -> dict[str, Person]: ...

    async def orgs_with_head(self) -> set[int]: ...

    async def insert_people(self, rows: Sequence[tuple[str, str, int, str, str | None]]) -> int: ...

    async def person(self, person_id: int) -> Person | None: ...

    async def person_by_ref(self, ref: str) -> Person | None: ...

    async def head_of(self, org_id: int) -> Person | None: ...

    async def people_of(self, org_id: int, roles: Sequence[str]) -> list[Person]: ...

    async def heads_of(self, org_ids: Sequence[int]) -> dict[int, int]: ...

    async def person_for_account(self, channel: str, account: str) -> Person | None: ...

    async def account_of(self, person_id: int, channel: str) -> str | None: ...

    async def chat_accounts(self, person_ids: Sequence[int]) -> dict[int, ChatAccount]: ...

    async def create_invite(self, code: str, person_id: int, expires_at: str) -> None: ...

    async def redeem_invite(
        self, code: str, channel: str, account: str, language: str | None
    ) -> Person: ...

    async def mark_unreachable(self, person_id: int, channel: str) -> None: ...


class ResultStore(Clock, Protocol):
    """Programs, exam plans, students and results, as imported."""

    async def plan(self, ref: str) -> PlanInfo | None: ...

    async def plans_by_name(self) -> dict[str, tuple[int, str, str, int]]: ...

    async def students_by_id_number(self, numbers: Iterable[str]) -> dict[str, StoredStudent]: ...

    async def existing_results(self, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]: ...

    async def import_results(self, rows: Sequence[Any]) -> int: ...

    async def set_number_pattern(self, program_id: int, pattern: str) -> None: ...

    async def unlisted_passed_results(
        self, plan_id: int, site_id: int | None
    ) -> dict[int, list[int]]: ...

    async def allocate_numbers(self, scope: str, count: int) -> int: ...

    async def insert_batch(
        self, plan_id: int, site_id: int, records: Sequence[tuple[int, str]], status: str
    ) -> int: ...


class RecordStore(Clock, Protocol):
    """Issuance records and batches as the lists, exports and verification read them."""

    async def status_counts(self, record_filter: RecordFilter) -> dict[str, int]: ...

    async def records(
        self, record_filter: RecordFilter, limit: int | None = None, offset: int = 0
    ) -> list[IssuanceRecord]: ...

    async def records_by_ids(self, ids: Sequence[int]) -> list[IssuanceRecord]: ...

    async def record_by_cert_no(self, cert_no: str) -> IssuanceRecord | None: ...

    async def record_and_file_sha256(
        self, cert_no: str
    ) -> tuple[IssuanceRecord, str | None] | None: ...

    async def batches(
        self,
        issuer_id: int | None = None,
        site_id: int | None = None,
        plan_id: int | None = None,
        batch_id: int | None = None,
    ) -> list[Batch]: ...

    async def batch(self, batch_id: int) -> Batch | None: ...

    async def issuer_plans(self, issuer_id: int) -> list[tuple[int, str, int]]: ...

    async def latest_refusals(self, record_ids: Sequence[int]) -> dict[int, str]: ...

    async def signoff_history(self, record_id: int) -> list[SignoffEntry]: ...


class SignoffStore(Clock, Protocol):
    """Sign-off acts: signatures, stamps, problems to complete, voiding."""

    async def open_problems(self, record_ids: Sequence[int]) -> set[int]: ...

    async def add_signature(self, person_id: int, png: bytes, sha256: str, strokes: str) -> int: ...

    async def signature_owner_and_hash(self, signature_id: int) -> tuple[int, str] | None: ...

    async def apply_signoff(
        self,
        changes: Sequence[RecordChange],
        party: str,
        act: str,
        person_id: int | None,
        reason: str | None,
        signature_id: int | None,
        audit: AuditEntry,
        done_status: str,
    ) -> None: ...

    async def void_record(self, record_id: int, reason: str, audit: AuditEntry) -> None: ...

    async def current_stamp(self, org_id: int) -> Stamp | None: ...

    async def save_stamp(self, org_id: int, person_id: int, png: bytes, sha256: str) -> int: ...

    async def stamp_versions(self, org_id: int) -> int: ...

    async def add_problems(
        self, rows: Sequence[tuple[int, str, str, str]], created_by: int
    ) -> list[int]: ...

    async def problems(
        self, site_id: int | None = None, ids: Sequence[int] | None = None, open_only: bool = True
    ) -> list[Problem]: ...

    async def resolve_problems(
        self, fixes: Sequence[tuple[int, int, str, str]], person_id: int
    ) -> None: ...

    async def id_number_taken(self, id_number: str, student_id: int) -> bool: ...


class AuditStore(Clock, Protocol):
    """The hash-chained audit log."""

    async def append_audit(self, entry: AuditEntry) -> int: ...

    async def audit_entries(self) -> list[StoredEntry]: ...

    async def last_referenced_audit_id(self) -> int: ...


class SigningStore(Clock, Protocol):
    """Signing requests behind the one-time links to the signature page."""

    async def add_signing_request(
        self,
        token_hash: str,
        person_id: int,
        batch_id: int | None,
        record_versions: Mapping[int, int],
        content_sha256: str,
        chat_ref: Mapping[str, Any] | None,
        expires_at: str,
    ) -> int: ...

    async def signing_request_by_token_hash(
        self, token_hash: str
    ) -> StoredSigningRequest | None: ...

    async def signing_request(self, request_id: int) -> StoredSigningRequest | None: ...

    async def use_signing_request(self, request_id: int, signature_id: int) -> bool: ...

    async def fail_signing_request(self, request_id: int, failure: str) -> bool: ...


class ChatStore(Clock, Protocol):
    """What a chat channel keeps between messages, and broadcasts."""

    async def set_chat_state(
        self, channel: str, account: str, kind: str, data: dict[str, Any]
    ) -> None: ...

    async def chat_state(self, channel: str, account: str, kind: str) -> dict[str, Any] | None: ...

    async def take_chat_state(
        self, channel: str, account: str, kind: str
    ) -> dict[str, Any] | None: ...

    async def claim_tap(self, chat: str, message_id: int, data: str) -> bool: ...

    async def create_broadcast(
        self, plan_id: int, person_id: int, schools: int, not_bound: Sequence[str]
    ) -> int: ...

    async def broadcast(self, broadcast_id: int) -> BroadcastInfo | None: ...

    async def set_broadcast_progress(
        self, broadcast_id: int, chat: str, message_id: int
    ) -> None: ...

    async def finish_broadcast(self, broadcast_id: int) -> bool: ...

    async def open_broadcasts(self) -> list[int]: ...

    async def outbox_people(self, broadcast_id: int, status: str) -> list[str]: ...


class InboxStore(Clock, Protocol):
    """Chat updates passed from web processes to the bot process holding the inbox lease."""

    async def receive_update(self, channel: str, key: str, data: dict[str, Any]) -> bool: ...

    async def take_updates(self, channel: str, limit: int) -> list[dict[str, Any]]: ...

    async def take_lease(self, name: str, holder: str, duration: timedelta) -> bool: ...


class OutboxStore(Clock, Protocol):
    """Notifications to send, claimed with leases, and named leases."""

    async def enqueue(
        self,
        person_id: int,
        kind: str,
        payload: dict[str, Any],
        dedup_key: str | None = None,
        not_before: datetime | None = None,
        broadcast_id: int | None = None,
        channel: str = ...,
    ) -> int | None: ...

    async def enqueue_many(
        self, rows: Sequence[tuple[int, str, str, dict[str, Any]]], broadcast_id: int | None
    ) -> None: ...

    async def claim_outbox(
        self, limit: int, lease: timedelta, channel: str = ...
    ) -> list[OutboxItem]: ...

    async def outbox_sent(self, item_id: int, message_ref: str | None) -> None: ...

    async def outbox_retry(self, item_id: int, not_before: datetime, error: str) -> None: ...

    async def outbox_settle(self, item_id: int, status: str, error: str) -> None: ...

    async def outbox_counts(self, broadcast_id: int) -> dict[str, int]: ...

    async def take_lease(self, name: str, holder: str, duration: timedelta) -> bool: ...

    async def release_lease(self, name: str, holder: str) -> None: ...


class CertificateWorkStore(Clock, Protocol):
    """Certificate jobs with leases, certificate files and reminder inputs."""

    async def discover_certificate_jobs(self) -> int: ...

    async def claim_certificate_jobs(
        self, limit: int, lease: timedelta
    ) -> list[CertificateClaim]: ...

    async def current_claims(self, claims: Sequence[CertificateClaim]) -> set[int]: ...

    async def record_certificates(self, files: Sequence[CertificateFile]) -> None: ...

    async def release_certificate_jobs(
        self,
        claims: Sequence[CertificateClaim],
        error: str,
        max_attempts: int,
        backoff: timedelta = timedelta(seconds=30),
    ) -> None: ...

    async def certificate_job_counts(self) -> dict[str, int]: ...

    async def certificate_of(self, record_id: int) -> CertificateFile | None: ...

    async def certificate_files(self) -> list[CertificateFile]: ...

    async def batch_certificates(self, batch_id: int) -> list[BatchCertificate]: ...

    async def current_stamp(self, org_id: int) -> Stamp | None: ...

    async def open_problem_groups(self) -> list[ProblemGroup]: ...

    async def waiting_batches(self, statuses: Sequence[str]) -> list[WaitingBatch]: ...
