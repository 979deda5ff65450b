"""Domain entities as read from the store: plain frozen values, no behaviour beyond naming."""

from __future__ import annotations

from dataclasses import dataclass

from issuance.idcard import mask

ORG_KINDS = ("培训评价组织", "试点院校", "主管部门")
ROLES = ("负责人", "业务管理员", "签发人", "审核人")
LEVELS = ("初级", "中级", "高级")
STUDENT_TYPES = ("院校学生", "社会学员")
RESULTS = ("已通过", "未通过")


@dataclass(frozen=True)
class Org:
    """An organization: 培训评价组织, 试点院校 (考核站点) or 主管部门."""

    id: int
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class Person:
    """Somebody who works in Qianfa for an organization, with one role there."""

    id: int
    name: str
    phone: str
    org_id: int
    org_name: str
    org_kind: str
    role: str

    @property
    def party(self) -> str | None:
        """The sign-off party this person acts for, if any."""
        if self.role == "签发人" and self.org_kind == "培训评价组织":
            return "培训评价组织"
        if self.role == "负责人" and self.org_kind == "试点院校":
            return "考核站点"
        return None


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
