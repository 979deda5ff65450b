"""X-certificate records and batches as read from the store."""

from __future__ import annotations

from dataclasses import dataclass

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
