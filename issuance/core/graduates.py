"""Graduation values as the store returns them: schools, graduates, declarations and requests,
their chain items, blanks, hand-out and qualifications (毕业证书)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from issuance.core.idcard import mask
from issuance.core.notices import NoticeKind

# Schools and graduates


@dataclass(frozen=True)
class GradOrg:
    """An organization with its graduation attributes (办学层次, 学校序号, 终审)."""

    id: int
    code: str
    name: str
    kind: str
    region: str | None
    parent_id: int | None
    level: str | None
    school_seq: str | None
    final: int


@dataclass(frozen=True, slots=True)
class NewGraduate:
    """A validated graduate row of an import (school resolved); slots: an import holds 100,000."""

    school_id: int
    name: str
    id_number: str
    sex: str
    major_code: str
    major: str
    class_level: str
    enrolled: str
    graduated: str
    years: str
    study_mode: str
    qualification_no: str | None
    qualification_level: str | None
    employment: str | None


class GraduateCells(NamedTuple):
    """What rows of a graduates file share (all but 姓名, 身份证号, 性别 and 职业资格证书编号),
    checked once and staged once as `id`: NewGraduate's other fields."""

    id: int
    school_id: int
    major_code: str
    major: str
    class_level: str
    enrolled: str
    graduated: str
    years: str
    study_mode: str
    qualification_level: str | None
    employment: str | None


@dataclass(frozen=True)
class Graduate:
    """毕业生: one graduate of one term as stored, with number, qualification and employment."""

    id: int
    school_id: int
    name: str
    id_number: str
    sex: str
    major_code: str
    major: str
    class_level: str
    enrolled: str
    graduated: str
    years: str
    study_mode: str
    qualification_no: str | None
    qualification_level: str | None
    employment: str | None
    cert_no: str | None
    numbered_at: str | None
    printed_at: str | None
    amendment_id: int | None
    version: int
    updated_at: str
    employer: str | None
    qualification_occupation: str | None
    qualification_date: str | None


@dataclass(frozen=True)
class GraduateState(Graduate):
    """A graduate already imported, with its declaration status (None before declared)."""

    status: str | None


@dataclass(frozen=True)
class GraduateChange:
    """One correction of a graduate (history): old and new values as JSON, where from, when."""

    old: str
    new: str
    source: str
    at: str


@dataclass(frozen=True)
class GraduateListed:
    """A graduate as `grad list` and the export show it."""

    id: int
    name: str
    id_number: str
    school_code: str
    major_code: str
    major: str
    class_level: str
    enrolled: str
    graduated: str
    years: str
    study_mode: str
    status: str | None
    request_id: int | None
    cert_no: str | None
    serial: str | None


@dataclass(frozen=True)
class NumberedGraduate:
    """An approved, numbered graduate as printouts, the roster and the public lookup show it."""

    id: int
    name: str
    id_number: str
    sex: str
    major: str
    class_level: str
    enrolled: str
    graduated: str
    years: str
    study_mode: str
    qualification_no: str | None
    cert_no: str
    numbered_at: str
    school_name: str
    school_level: str | None
    # 作废: the certificate was voided (SQLite answers 0/1, PostgreSQL a boolean)
    voided: bool = False


@dataclass(frozen=True)
class GraduationRate:
    """One school's graduates of a year: how many, with a qualification, employed."""

    code: str
    name: str
    graduates: int
    qualified: int
    employed: int


@dataclass(frozen=True)
class GraduationVoid:
    """The 作废 of a graduation certificate: why and when."""

    reason: str
    voided_at: str


# Declarations and requests through their chain


@dataclass(frozen=True)
class GradRequest:
    """A declaration or request; `approvers` are the departments of its 审批 steps, in order."""

    id: int
    kind: str
    school_id: int
    school_code: str
    school_name: str
    term: str | None
    blank_kind: str | None
    blank_count: int | None
    changes: str | None
    approvers: tuple[int, ...]
    created_by: int
    created_at: str


@dataclass(frozen=True)
class GradItem:
    """One graduate of a request (or a blank request itself) in the chain."""

    id: int
    request_id: int
    graduate_id: int | None
    status: str
    stage: int
    round: int
    version: int


@dataclass(frozen=True)
class ItemChange:
    """An item moving from (status, stage, version) to its new status, stage and waiting org."""

    item_id: int
    version: int
    status: str
    stage: int
    waiting_org_id: int | None
    round: int
    act_stage: int


@dataclass(frozen=True)
class NumberingInput:
    """What a graduation certificate number is made of, for one graduate."""

    id: int
    graduated: str
    class_level: str
    major_code: str


@dataclass(frozen=True)
class GradActEntry:
    """One act of a request's history, per round (its items grouped)."""

    round: int
    stage: int
    act: str
    reason: str | None
    at: str
    person: str
    items: int


@dataclass(frozen=True)
class Waiting:
    """A request with items waiting for an organization: counts per status."""

    request_id: int
    kind: str
    school_name: str
    term: str | None
    blank_kind: str | None
    blank_count: int | None
    waiting: int
    oldest: str


@dataclass(frozen=True)
class PendingItems:
    """Items of a request waiting for an organization since `oldest` (for reminders)."""

    org_id: int
    request_id: int
    items: int
    oldest: str


# Blank-certificate stock


@dataclass(frozen=True)
class Blank:
    """空白证书: one blank certificate of the stock, its state and where it went."""

    serial: str
    kind: str
    state: str
    received_by: int
    issued_by: int | None
    school_id: int | None
    request_id: int | None
    graduate_id: int | None
    updated_at: str


@dataclass(frozen=True)
class BlankEvent:
    """One event of a blank certificate, for `stock trace`."""

    at: str
    event: str
    by: str | None
    school: str | None
    cert_no: str | None
    reason: str | None


# Hand-out (X-certificate batches and sealed graduation certificates)

HANDED = "已发放"
MAILED_ON = "已转寄"


@dataclass(frozen=True)
class Mailing:
    """A batch's paper certificates on their way to the school, or received there."""

    batch_id: int
    courier: str
    tracking: str
    mailed_by: int
    mailed_at: str
    received_by: int | None
    received_at: str | None


@dataclass(frozen=True)
class HandoutBatch:
    """A batch as hand-out sees it: who issues, which school, its mailing and counts."""

    batch_id: int
    plan: str
    program: str
    level: str
    issuer_id: int
    site_id: int
    site_name: str
    issued: int
    handed: int
    courier: str | None
    tracking: str | None
    received_at: str | None


@dataclass(frozen=True)
class HandoutRecord:
    """One issued, not void certificate of a batch and how it left the school, if it did."""

    record_id: int
    cert_no: str
    name: str
    id_number: str
    how: str | None
    tracking: str | None


@dataclass(frozen=True)
class RosterGraduate:
    """An approved, numbered graduate of a school's term (a line of the roster), with hand-out."""

    id: int
    name: str
    id_number: str
    cert_no: str
    qualification_no: str | None
    handed: bool

    @property
    def held(self) -> bool:
        """暂缓发放: no qualification recorded yet (a roster graduate is numbered)."""
        return self.qualification_no is None


@dataclass(frozen=True)
class PrintedBlank:
    """A blank printed with a graduate's certificate, as 验印 checks it."""

    serial: str
    state: str
    school_id: int | None
    graduate_id: int
    name: str
    graduate_school_id: int
    graduated: str
    prints: int
    voided: bool


# Qualifications, employment and grades

# (graduate id, old values, new values): a correction as `correct_graduates` takes it.
Correction = tuple[int, dict[str, Any], dict[str, Any]]


# Why a qualification row was kept instead of applied.
NAME_MISMATCH, NO_GRADUATE = "name_mismatch", "no_graduate"


@dataclass(frozen=True)
class PendingQualification:
    """A qualification row of an import that matched no graduate: kept, not applied (`reason`:
    NAME_MISMATCH or NO_GRADUATE)."""

    school_id: int | None
    name: str
    id_number: str
    qualification_no: str
    qualification_level: str
    occupation: str | None
    issued_on: str | None
    reason: str
    graduate_name: str | None


@dataclass(frozen=True)
class KeptQualification:
    """A qualification row kept unapplied (no graduate matched), as imported."""

    name: str
    id_number: str
    qualification_no: str
    qualification_level: str
    reason: str
    graduate_name: str | None
    source: str
    at: str


@dataclass(frozen=True)
class QualifiedGraduate:
    """A graduate with its school's code, qualification and employment (证书比对, 暂缓发放)."""

    id: int
    school_id: int
    school_code: str
    name: str
    id_number: str
    graduated: str
    cert_no: str | None
    qualification_no: str | None
    qualification_level: str | None
    qualification_occupation: str | None
    qualification_date: str | None
    employment: str | None
    employer: str | None


@dataclass(frozen=True)
class IssuedXCertificate:
    """An X certificate issued (确认签发, not void) to an ID number."""

    id_number: str
    cert_no: str
    program: str
    level: str
    issued_at: str | None


@dataclass(frozen=True)
class GradeRow:
    """One graduate's grade of one course, as imported."""

    graduate_id: int
    course: str
    score: str
    teacher: str
    semester: str | None


@dataclass(frozen=True)
class Grade:
    """One course grade of a graduate (成绩)."""

    course: str
    score: str
    teacher: str
    semester: str | None


@dataclass(frozen=True)
class ListedGrade:
    """One grade of a school's term as the grade list shows it: graduate and course."""

    cert_no: str | None
    name: str
    id_number: str
    major: str
    semester: str | None
    course: str
    score: str
    teacher: str


@dataclass(frozen=True)
class XQualified:
    """A graduate whose qualification is now an X certificate issued in Qianfa (a held one,
    numbered already, is released: 暂缓发放 no more)."""

    graduate_id: int
    school_id: int
    name: str
    id_number: str
    cert_no: str | None
    xcert_no: str
    program: str
    level: str

    @property
    def notice_kind(self) -> NoticeKind:
        """What the school's 经办人 is told: a hold released, or a qualification recorded."""
        released = NoticeKind.QUALIFICATION_RELEASED
        return released if self.cert_no else NoticeKind.QUALIFICATION_RECORDED

    def notice_params(self) -> dict[str, str]:
        """The notice's parameters, the ID number masked."""
        return {
            "name": self.name,
            "id": mask(self.id_number),
            "program": self.program,
            "level": self.level,
            "xcert_no": self.xcert_no,
            "cert_no": self.cert_no or "",
        }
