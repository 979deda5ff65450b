"""Store ports: what the use cases need from a database, one Protocol per aggregate, and the
core values they return (issuance.core.records, .graduates, .messaging), never driver rows.

The store (issuance/store, on SQLite or PostgreSQL) implements every port; mypy proves it in
issuance/store/__init__.py. A use case takes the ports it needs, not the store, so a test can
hand it an in-memory fake (tests/fakeports.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from issuance.core.audit import AuditEntry, StoredEntry
from issuance.core.graduates import (
    Blank,
    BlankEvent,
    Correction,
    GradActEntry,
    Grade,
    GradeRow,
    GradItem,
    GradOrg,
    GradRequest,
    Graduate,
    GraduateCells,
    GraduateChange,
    GraduateListed,
    GraduateState,
    GraduationRate,
    GraduationVoid,
    HandoutBatch,
    HandoutRecord,
    IssuedXCertificate,
    ItemChange,
    KeptQualification,
    ListedGrade,
    Mailing,
    NewGraduate,
    NumberedGraduate,
    NumberingInput,
    PendingItems,
    PendingQualification,
    PrintedBlank,
    QualifiedGraduate,
    RosterGraduate,
    Waiting,
    XQualified,
)
from issuance.core.messaging import BroadcastInfo, ChatAccount, Inbound, OutboxItem
from issuance.core.notices import Notice
from issuance.core.people import Binding, Org, Person
from issuance.core.records import (
    ActRecord,
    Batch,
    BatchCertificate,
    CertificateClaim,
    CertificateFile,
    IssuanceRecord,
    PlanInfo,
    Problem,
    ProblemGroup,
    RecordChange,
    RecordFilter,
    SignoffEntry,
    StagedResults,
    Stamp,
    StoredSigningRequest,
    StoredStudent,
    WaitingBatch,
)
from issuance.core.uploads import StoredUploadLink, UploadKind


class Clock(Protocol):
    """A store's clock and explicit transactions (every port has them)."""

    def transaction(self, write: bool = True) -> AbstractAsyncContextManager[None]: ...

    def now(self) -> datetime: ...

    def now_iso(self) -> str: ...


class AuditLog(Clock, Protocol):
    """The hash-chained audit log (审计日志)."""

    async def append_audit(self, entry: AuditEntry) -> int: ...

    async def audit_entries(self) -> list[StoredEntry]: ...

    async def last_referenced_audit_id(self) -> int: ...

    async def audit_keyed_count(self) -> int: ...

    async def audit_macs(self) -> dict[int, str | None]: ...


class PeopleRepository(Clock, Protocol):
    """Organizations, people, their chat accounts and invites (组织, 人员, 绑定)."""

    async def orgs_by_code(self, codes: Iterable[str]) -> dict[str, Org]: ...

    async def directory_orgs(self, kind: str | None = None) -> list[dict[str, Any]]: ...

    async def directory_people(
        self, org: str | None = None, role: str | None = None
    ) -> list[dict[str, Any]]: ...

    async def insert_orgs(self, rows: Sequence[tuple[Any, ...]]) -> int: ...

    async def org_code(self, ref: str) -> str | None: ...

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

    async def create_invite(self, code: str, person_id: int, expires_at: str) -> None: ...

    async def redeem_invite(
        self, code: str, channel: str, account: str, language: str | None
    ) -> Person: ...


class AccountRepository(PeopleRepository, AuditLog, Protocol):
    """Who is bound on which channel, for administrators (管理员): bind by phone, unbind."""

    async def bindings(self) -> list[Binding]: ...

    async def bind_account(
        self, person_id: int, channel: str, account: str, language: str | None, audit: AuditEntry
    ) -> None: ...

    async def unbind_accounts(self, person_id: int, audit: AuditEntry) -> list[str]: ...

    async def departments(self) -> list[GradOrg]: ...


class ResultRepository(Clock, Protocol):
    """Programs, exam plans, students and results as imported, and number counters."""

    async def plan(self, ref: str) -> PlanInfo | None: ...

    async def students_by_id_number(self, numbers: Iterable[str]) -> dict[str, StoredStudent]: ...

    async def import_results(self, rows: Sequence[Any]) -> int: ...

    def staged_results(self) -> AbstractAsyncContextManager[StagedResults]:
        """Results staged for one import, dropped on leaving the block (written only by its
        `write`)."""
        ...

    async def set_number_pattern(self, program_id: int, pattern: str) -> None: ...

    async def unlisted_passed_results(
        self, plan_id: int, site_id: int | None
    ) -> dict[int, list[int]]: ...

    async def plans_with_unlisted(self, issuer_id: int) -> list[tuple[int, str, int]]: ...

    async def issuer_plans(self, issuer_id: int) -> list[tuple[int, str, int]]: ...

    async def allocate_numbers(self, scope: str, count: int) -> int: ...


class HoldRelease(Protocol):
    """An X certificate issued to a graduate's ID number is their qualification (暂缓发放 ends):
    the one place the two workflows meet, in the caller's transaction."""

    async def qualify_by_x_certificates(
        self, numbers: Iterable[str], actor: str
    ) -> list[XQualified]: ...


class RecordRepository(HoldRelease, Clock, Protocol):
    """X-certificate records and batches (发证记录, 待发证名单) through their sign-off: lists, acts,
    voiding, student-info problems, signatures and stamps."""

    async def insert_batch(
        self, plan_id: int, site_id: int, records: Sequence[tuple[int, str]], status: str
    ) -> int: ...

    async def status_counts(self, record_filter: RecordFilter) -> dict[str, int]: ...

    async def records(
        self, record_filter: RecordFilter, limit: int | None = None, offset: int = 0
    ) -> list[IssuanceRecord]: ...

    async def records_by_ids(self, ids: Sequence[int]) -> list[IssuanceRecord]: ...

    async def act_records_by_ids(self, ids: Sequence[int]) -> list[ActRecord]: ...

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

    async def latest_refusals(self, record_ids: Sequence[int]) -> dict[int, str]: ...

    async def signoff_history(self, record_id: int) -> list[SignoffEntry]: ...

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

    async def open_problems(self, record_ids: Sequence[int]) -> set[int]: ...

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

    async def add_signature(self, person_id: int, png: bytes, sha256: str, strokes: str) -> int: ...

    async def signature_owner_and_hash(self, signature_id: int) -> tuple[int, str] | None: ...

    async def current_stamp(self, org_id: int) -> Stamp | None: ...

    async def save_stamp(self, org_id: int, person_id: int, png: bytes, sha256: str) -> int: ...

    async def stamp_versions(self, org_id: int) -> int: ...


class SigningRequestRepository(Clock, Protocol):
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


class UploadLinkRepository(Clock, Protocol):
    """Upload links: the one-time links from the chat to the upload page (上传链接)."""

    async def add_upload_link(
        self,
        token_hash: str,
        person_id: int,
        kinds: Sequence[UploadKind],
        channel: str,
        chat_ref: Mapping[str, Any] | None,
        expires_at: str,
    ) -> int: ...

    async def upload_link_by_token_hash(self, token_hash: str) -> StoredUploadLink | None: ...

    async def use_upload_link(self, link_id: int) -> bool: ...


class CertificateWorkQueue(Clock, Protocol):
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
        backoff: timedelta = ...,
    ) -> None: ...

    async def certificate_job_counts(self) -> dict[str, int]: ...

    async def certificate_of(self, record_id: int) -> CertificateFile | None: ...

    async def certificate_files(self) -> list[CertificateFile]: ...

    async def batch_certificates(self, batch_id: int) -> list[BatchCertificate]: ...

    async def requeue_certificates(self, batch_id: int | None) -> list[tuple[int, str | None]]: ...

    async def open_problem_groups(self) -> list[ProblemGroup]: ...

    async def waiting_batches(self, statuses: Sequence[str]) -> list[WaitingBatch]: ...


class HandoutRepository(Clock, Protocol):
    """Hand-out (发放): X-certificate batches mailed, received and handed out; graduation
    certificates sealed (验印) and handed out."""

    async def mailing(self, batch_id: int) -> Mailing | None: ...

    async def handout_batch(self, batch_id: int) -> HandoutBatch | None: ...

    async def handout_batches(
        self, issuer_id: int | None = None, site_id: int | None = None
    ) -> list[HandoutBatch]: ...

    async def book_mailing(
        self, batch_id: int, courier: str, tracking: str, person_id: int, audit: AuditEntry
    ) -> None: ...

    async def book_receipt(self, batch_id: int, person_id: int, audit: AuditEntry) -> None: ...

    async def handout_records(self, batch_id: int) -> list[HandoutRecord]: ...

    async def hand_out_records(
        self,
        batch_id: int,
        handed: Sequence[tuple[int, str, str | None]],
        person_id: int,
        audit: AuditEntry,
    ) -> None: ...

    async def handout_counts(self, record_filter: RecordFilter) -> dict[str, int]: ...

    async def received_not_handed_out(self, before: str) -> list[HandoutBatch]: ...

    async def seal_roster(self, school_id: int, term: str) -> list[RosterGraduate]: ...

    async def printed_blanks(self, school_id: int, term: str) -> list[PrintedBlank]: ...

    async def printed_terms(self) -> list[tuple[int, str]]: ...

    async def sealed_terms(self, school_id: int) -> list[tuple[int, str]]: ...

    async def seal_blanks(
        self, school_id: int, serials: Sequence[str], person_id: int, audit: AuditEntry
    ) -> None: ...

    async def sealed_serials(self, graduate_ids: Sequence[int]) -> dict[int, str]: ...

    async def hand_out_graduates(
        self, handed: Sequence[tuple[int, str]], person_id: int, audit: AuditEntry
    ) -> None: ...

    async def grad_handout_counts(
        self, school_id: int | None, term: str | None
    ) -> dict[str, int]: ...


# A checked row of a graduates import (`GraduateRepository.stage_graduates`, inside its
# `graduate_import` block): its line, the id of its GraduateCells, its name, ID number and
# 职业资格证书编号 (or None); its sex is the ID number's.
StagedGraduate = tuple[int, int, str, str, str | None]
# A staged row whose graduate (ID number and term) is on file (`stage_graduates_on_file`): its
# line, the graduate's id, the catalog key refusing the correction (else None), and the
# correction's old and new values (both None when nothing changes).
StagedOnFile = tuple[int, int, str | None, dict[str, Any] | None, dict[str, Any] | None]
# A row of a qualifications or employment import, inside its `correction_import` block: the first
# line of an ID number and the number; `stage_corrections` (employment): for a row matching a
# graduate also its id, 就业情况 and 就业单位; `stage_qualifications`: the row's name and
# qualification (number, level, occupation, date), matched with graduates in SQL
# (`match_staged_qualifications`).
StagedCorrection = tuple[Any, ...]


class GraduateRepository(HoldRelease, Clock, Protocol):
    """Graduates (毕业生) of schools: import, corrections, qualifications, grades, printouts and
    voiding."""

    async def grad_orgs_by_code(self, codes: Iterable[str]) -> dict[str, GradOrg]: ...

    async def grad_org(self, org_id: int) -> GradOrg | None: ...

    async def departments(self) -> list[GradOrg]: ...

    async def used_school_seqs(self) -> set[tuple[str, str]]: ...

    async def graduates_by_id_number(
        self, numbers: Iterable[str]
    ) -> dict[tuple[str, str], GraduateState]: ...

    async def insert_graduates(self, rows: Sequence[NewGraduate]) -> int: ...

    def graduate_import(self) -> AbstractAsyncContextManager[None]: ...

    async def stage_graduates(
        self, cells: Sequence[GraduateCells], rows: Sequence[StagedGraduate]
    ) -> None: ...

    def staged_on_file(
        self, size: int = 1000
    ) -> AsyncIterator[list[tuple[int, NewGraduate, GraduateState]]]: ...

    async def stage_graduates_on_file(self, rows: Sequence[StagedOnFile]) -> None: ...

    async def staged_graduate_refusals(self) -> list[tuple[int, str | None, int]]: ...

    async def insert_staged_graduates(self) -> int: ...

    async def correct_staged_graduates(self, source: str) -> int: ...

    def staged_x_certified(self, size: int = 5000) -> AsyncIterator[list[str]]: ...

    async def correct_graduates(
        self, corrections: Sequence[tuple[int, dict[str, Any], dict[str, Any]]], source: str
    ) -> int: ...

    async def graduate_history(self, graduate_id: int) -> list[GraduateChange]: ...

    async def graduate(self, graduate_id: int) -> Graduate | None: ...

    async def graduate_by_ref(self, ref: str) -> Graduate | None: ...

    async def amend_graduate(
        self, graduate_id: int, changes: dict[str, Any], amendment_id: int
    ) -> None: ...

    async def graduates_listed(
        self, school_id: int | None, term: str | None, status: str | None = None
    ) -> list[GraduateListed]: ...

    async def graduate_counts(self, school_id: int | None, term: str | None) -> dict[str, int]: ...

    async def latest_graduates(
        self, numbers: Iterable[str], school_id: int | None = None
    ) -> dict[str, QualifiedGraduate]: ...

    def correction_import(self) -> AbstractAsyncContextManager[None]: ...

    async def staged_lines(self, numbers: Iterable[str]) -> dict[str, int]: ...

    async def stage_corrections(self, rows: Iterable[StagedCorrection]) -> None: ...

    async def stage_qualifications(self, rows: Sequence[StagedCorrection]) -> None: ...

    async def match_staged_qualifications(
        self, school_id: int | None
    ) -> list[tuple[int, PendingQualification]]: ...

    async def record_staged_qualifications(
        self, pending: Sequence[PendingQualification], source: str, audit: AuditEntry
    ) -> None: ...

    async def record_staged_corrections(self, source: str, audit: AuditEntry) -> None: ...

    async def record_corrections(
        self, corrections: Sequence[Correction], source: str, audit: AuditEntry
    ) -> None: ...

    async def pending_qualifications(self, school_id: int) -> list[KeptQualification]: ...

    async def unqualified_graduates(self, school_id: int, term: str) -> list[QualifiedGraduate]: ...

    async def unqualified_by_id_number(self, numbers: Iterable[str]) -> list[QualifiedGraduate]: ...

    async def issued_x_certificates(self, numbers: Iterable[str]) -> list[IssuedXCertificate]: ...

    async def held_ids(self, school_id: int | None, term: str | None) -> set[int]: ...

    async def replace_grades(
        self, grades: Sequence[GradeRow], source: str, audit: AuditEntry
    ) -> int: ...

    async def grades_of(self, graduate_id: int) -> list[Grade]: ...

    async def grades_listed(self, school_id: int, term: str) -> list[ListedGrade]: ...

    async def numbered_graduates(self, school_id: int, term: str) -> list[NumberedGraduate]: ...

    async def graduate_by_cert_no(self, cert_no: str) -> NumberedGraduate | None: ...

    async def print_offset(self, school_id: int) -> tuple[float, float] | None: ...

    async def set_print_offset(
        self, school_id: int, dx_mm: float, dy_mm: float, person_id: int | None, audit: AuditEntry
    ) -> None: ...

    async def graduation_rates(self, year: int, school_id: int | None) -> list[GraduationRate]: ...

    async def approved_terms(self, school_id: int) -> list[tuple[str, int]]: ...

    async def graduation_void(self, graduate_id: int) -> GraduationVoid | None: ...

    async def void_graduation(self, graduate_id: int, reason: str, audit: AuditEntry) -> None: ...

    async def numbered_terms(self) -> list[tuple[int, str, int]]: ...


class DeclarationRepository(Clock, Protocol):
    """Declarations and requests (申报) of graduation certificates: their items through the approval
    chain, acts and numbers."""

    async def approved_since_print(self, graduate_id: int, kinds: Sequence[str]) -> bool: ...

    async def grad_request_opened(self, request_id: int) -> dict[str, Any] | None: ...

    async def seal_final(self, kind: str, ids: Sequence[int] | None = None) -> None: ...

    async def undeclared_graduates(self, school_id: int, term: str) -> list[int]: ...

    async def create_request(
        self,
        kind: str,
        school_id: int,
        approvers: Sequence[int],
        created_by: int,
        graduate_ids: Sequence[int | None],
        audit: AuditEntry,
        *,
        term: str | None = None,
        blank_kind: str | None = None,
        blank_count: int | None = None,
        changes: str | None = None,
    ) -> int: ...

    async def grad_request(self, request_id: int) -> GradRequest | None: ...

    async def grad_items(
        self, request_id: int, item_ids: Sequence[int] | None = None
    ) -> list[GradItem]: ...

    async def apply_grad_acts(
        self,
        changes: Sequence[ItemChange],
        act: str,
        person_id: int,
        reason: str | None,
        audit: AuditEntry,
        numbers: Sequence[tuple[int, str]] = (),
    ) -> None: ...

    async def numbering_rows(self, graduate_ids: Sequence[int]) -> list[NumberingInput]: ...

    async def grad_acts(self, request_id: int) -> list[GradActEntry]: ...

    async def waiting_for(self, org_id: int, statuses: Sequence[str]) -> list[Waiting]: ...

    async def returned_to(self, school_id: int) -> list[Waiting]: ...

    async def blank_requests_to_issue(self) -> list[Waiting]: ...

    async def request_round(self, request_id: int) -> int: ...

    async def request_rounds(self, request_ids: Sequence[int]) -> dict[int, int]: ...

    async def latest_return_reasons(self, request_ids: Sequence[int]) -> dict[int, str]: ...

    async def waiting_orgs(self, request_id: int) -> list[int]: ...

    async def request_counts(self, request_id: int) -> dict[str, int]: ...

    async def waiting_since(self, before: str) -> list[PendingItems]: ...


class StockRepository(Clock, Protocol):
    """The blank-certificate stock (空白证书): received, issued, printed, voided, returned."""

    async def serial_width(self, prefix: str) -> int | None: ...

    async def receive_blanks(
        self, kind: str, serials: Sequence[str], person_id: int, audit: AuditEntry
    ) -> None: ...

    async def issue_blanks(
        self,
        request_id: int,
        school_id: int,
        kind: str,
        serials: Sequence[str],
        person_id: int,
        audit: AuditEntry,
    ) -> None: ...

    async def print_blanks(
        self,
        school_id: int,
        printed: Sequence[tuple[str, int]],
        person_id: int | None,
        audit: AuditEntry,
    ) -> None: ...

    async def void_blank(
        self, serial: str, reason: str, person_id: int | None, audit: AuditEntry
    ) -> None: ...

    async def return_blanks(
        self, serials: Sequence[str], person_id: int, audit: AuditEntry
    ) -> None: ...

    async def blank(self, serial: str) -> Blank | None: ...

    async def existing_serials(self, serials: Sequence[str]) -> set[str]: ...

    async def blank_events(self, serial: str) -> list[BlankEvent]: ...

    async def blank_balance(self, school_id: int | None) -> list[tuple[str, str, int]]: ...

    async def blank_balance_by_school(self) -> list[tuple[str, str, str, int]]: ...

    async def issued_for_request(self, request_id: int) -> int: ...


class OutboxQueue(Clock, Protocol):
    """Notifications to send (发件箱) to the account that reaches a person, claimed with leases,
    and named leases."""

    async def chat_accounts(self, person_ids: Sequence[int]) -> dict[int, ChatAccount]: ...

    async def mark_unreachable(self, person_id: int, channel: str) -> None: ...

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

    async def append_notice(
        self, notice: Notice, broadcast_id: int | None = None
    ) -> int | None: ...

    async def append_notices(self, notices: Sequence[Notice], broadcast_id: int | None) -> None: ...

    def listen_outbox(self, event: asyncio.Event) -> None: ...

    def forget_outbox(self, event: asyncio.Event) -> None: ...

    async def claim_outbox(
        self, limit: int, lease: timedelta, channel: str = ...
    ) -> list[OutboxItem]: ...

    async def outbox_sent(self, item_id: int, message_ref: str | None) -> None: ...

    async def outbox_retry(self, item_id: int, not_before: datetime, error: str) -> None: ...

    async def outbox_settle(self, item_id: int, status: str, error: str) -> None: ...

    async def outbox_counts(self, broadcast_id: int) -> dict[str, int]: ...

    async def outbox_people(self, broadcast_id: int, status: str) -> list[str]: ...

    async def take_lease(self, name: str, holder: str, duration: timedelta) -> bool: ...

    async def release_lease(self, name: str, holder: str) -> None: ...


class InboxQueue(Clock, Protocol):
    """Chat updates passed from web processes to the bot process holding the inbox lease, and
    WeCom callbacks stored on arrival."""

    async def receive_update(self, channel: str, key: str, data: dict[str, Any]) -> bool: ...

    async def take_updates(self, channel: str, limit: int) -> list[dict[str, Any]]: ...

    async def take_lease(self, name: str, holder: str, duration: timedelta) -> bool: ...

    async def store_inbound(
        self, msg_key: str, stamp: str, account: str, kind: str, body: dict[str, Any]
    ) -> int | None: ...

    async def claim_inbound(
        self, limit: int, lease: timedelta, busy: Collection[str] = ()
    ) -> list[Inbound]: ...

    async def inbound_settle(self, item_id: int, error: str | None = None) -> None: ...

    async def inbound_release(self, item_id: int, error: str) -> None: ...

    async def prune_inbound(self, before: datetime) -> int: ...

    async def inbound_counts(self) -> dict[str, int]: ...


class ChatStateRepository(Clock, Protocol):
    """What a chat channel keeps between messages (conversation state, taps) and broadcasts."""

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


class Ports(
    AccountRepository,
    PeopleRepository,
    AuditLog,
    ResultRepository,
    RecordRepository,
    SigningRequestRepository,
    UploadLinkRepository,
    CertificateWorkQueue,
    HandoutRepository,
    GraduateRepository,
    DeclarationRepository,
    StockRepository,
    OutboxQueue,
    InboxQueue,
    ChatStateRepository,
    Protocol,
):
    """Every port: what the one database adapter offers the use cases that span aggregates (the
    X-certificate use cases, a chat session), and the entry points that hold it."""

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...
