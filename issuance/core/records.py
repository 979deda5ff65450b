"""X-certificate values as the store returns them: records and batches, filters, plans, sign-off
history, stamps, info problems, signing requests and certificate work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any, NamedTuple, Protocol

from issuance.core.idcard import mask
from issuance.core.vocabulary import XStatus

LEVELS = ("初级", "中级", "高级")
STUDENT_TYPES = ("院校学生", "社会学员")
RESULTS = ("已通过", "未通过")


@dataclass(frozen=True)
class IssuanceRecord:
    """发证记录: one student's certificate of one program, through its sign-off."""

    id: int
    batch_id: int
    cert_no: str
    status: str
    round: int
    version: int
    student_name: str
    id_number: str
    student_type: str
    school_code: str | None
    school_name: str | None
    program: str
    level: str
    issuer_id: int
    issuer_name: str
    plan: str
    site_id: int
    site_code: str
    site_name: str
    issued_at: str | None
    void_at: str | None

    @property
    def masked_id(self) -> str:
        return mask(self.id_number)

    @property
    def shown_status(self) -> str:
        """The status to show: 作废 once a confirmed certificate was voided."""
        return XStatus.VOID if self.void_at else self.status


@dataclass(frozen=True)
class ActRecord:
    """What a batch confirm reads of each of its records (thousands): whose records they are
    (issuer, site), whose turn and which version, and the ID number a confirmed certificate
    qualifies. The same fields, by the same names, as `IssuanceRecord`'s."""

    id: int
    status: str
    round: int
    version: int
    id_number: str
    issuer_id: int
    site_id: int
    issued_at: str | None


@dataclass(frozen=True)
class Batch:
    """A pending-issuance list: one exam plan at one assessment site."""

    id: int
    plan: str
    program: str
    level: str
    site_id: int
    site_code: str
    site_name: str
    issuer_id: int
    issuer_name: str
    counts: dict[str, int]


@dataclass(frozen=True)
class RecordFilter:
    """The platform's list filters (学生姓名, 身份证号, 学生类型, 所属院校, …) plus status/batch."""

    name: str | None = None
    id_number: str | None = None
    student_type: str | None = None
    school: str | None = None
    cert_no: str | None = None
    program: str | None = None
    issuer: str | None = None
    plan: str | None = None
    site: str | None = None
    status: str | None = None
    batch_id: int | None = None
    plan_id: int | None = None
    site_id: int | None = None
    issuer_id: int | None = None


@dataclass(frozen=True)
class PlanInfo:
    """An exam plan with its program's facts needed to generate a pending list."""

    id: int
    name: str
    program_id: int
    program: str
    level: str
    issuer_id: int
    number_pattern: str | None


class RecordChange(NamedTuple):
    """One record moving from `status` at `version` to `new_status` in sign-off round `round`.

    A tuple: a batch act makes one per record, and a frozen dataclass costs several times more."""

    record_id: int
    status: str
    version: int
    new_status: str
    round: int


@dataclass(frozen=True)
class StoredStudent:
    """A student as stored (学生): the unique ID number and the school, if any."""

    id: int
    id_number: str
    name: str
    student_type: str
    school_id: int | None


class ResultCells(NamedTuple):
    """What rows of a results file share, all but the student (学生类型 … 考核状态), checked
    once and staged once as `id`; the issuer or site is None when its cell is bad."""

    id: int
    student_type: str
    school_id: int | None
    program: str
    level: str
    issuer_id: int | None
    plan: str
    site_id: int | None
    passed: int


class StagedResult(NamedTuple):
    """A results row with a valid ID number, staged with its cells; `ok` when the row passed
    its own checks (other rows of the file and the database are checked once all are staged)."""

    row: int
    id_number: str
    name: str
    cells: int
    ok: bool


class Clash(IntEnum):
    """How a staged result disagrees with the file's other rows or the database, in the order a
    row's reasons are reported."""

    NAME = 0  # the ID number is registered, or first in the file, with another name
    REPEATED = 1  # the same student and exam plan as an earlier row
    RECORDED = 2  # the student already has a result in the exam plan
    PLAN = 3  # the exam plan belongs to another program, level or 颁证机构
    ISSUER = 4  # a good row of another 颁证机构 than the importing one


class ResultClash(NamedTuple):
    """A staged row that clashes: with the registered name, the first row, or the plan's
    program and level, as the reason needs."""

    row: int
    clash: Clash
    name: str | None
    first: int | None
    program: str | None
    level: str | None


class StagedResults(Protocol):
    """The results of one import, staged apart from the database (a connection of their own)
    until `write`: the file is checked across its rows in SQL, one chunk held at a time."""

    async def add(
        self, cells: Sequence[ResultCells], rows: Sequence[tuple[int, str, str, int, bool]]
    ) -> None:
        """Stage `rows` (`StagedResult`s, or the same as plain tuples), after the `cells` first
        used by them."""

    def clashes(self, issuer_id: int | None) -> AsyncIterator[ResultClash]:
        """The staged rows that clash, in file order (with `issuer_id`, a good row of another
        颁证机构 clashes too)."""

    async def write(self) -> int:
        """Write every staged result (programs, plans and students created as needed) in one
        short write transaction; the number written."""


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


@dataclass(frozen=True)
class Problem:
    """完善学生信息: one field of one record's student the school must fix."""

    id: int
    record_id: int
    field: str
    note: str
    deadline: str
    cert_no: str
    student_id: int
    student_name: str
    id_number: str
    student_type: str
    site_id: int
    created_by: int | None


@dataclass(frozen=True)
class StoredSigningRequest:
    """A signing request as stored: pinned record versions, content hash, state."""

    id: int
    person_id: int
    batch_id: int | None
    record_versions: dict[int, int]
    record_count: int
    content_sha256: str
    chat_ref: dict[str, Any] | None
    status: str
    failure: str | None
    signature_id: int | None
    created_at: str
    expires_at: str
    finished_at: str | None

    @property
    def record_ids(self) -> list[int]:
        return sorted(self.record_versions)


@dataclass(frozen=True)
class CertificateClaim:
    """A record leased to this worker for rendering; `token` is the claim's attempt number."""

    record_id: int
    token: int


@dataclass(frozen=True)
class CertificateFile:
    """A rendered certificate: path relative to the home, SHA-256 and size of the PDF."""

    record_id: int
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class BatchCertificate:
    """A batch's record with its certificate file, if rendered yet (for archives)."""

    record_id: int
    cert_no: str
    student_name: str
    file: CertificateFile | None


@dataclass(frozen=True)
class ProblemGroup:
    """Open student-info problems of one school with one deadline (完善学生信息)."""

    site_id: int
    site_name: str
    issuer_id: int
    deadline: datetime
    records: int


@dataclass(frozen=True)
class WaitingBatch:
    """Records of a batch waiting in one status since `since` (the oldest of them)."""

    batch_id: int
    status: str
    site_id: int
    site_name: str
    issuer_id: int
    since: datetime
    records: int
    plan: str
