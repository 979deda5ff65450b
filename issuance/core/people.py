"""People and organizations as read from the store: plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass

ORG_KINDS = ("培训评价组织", "试点院校", "主管部门", "技工院校")
ROLES = (
    *("负责人", "业务管理员", "签发人", "审核人"),
    *("经办人", "校领导", "审批人", "库管员", "发放员"),
)


@dataclass(frozen=True)
class Org:
    """An organization: 培训评价组织, 试点院校 (考核站点), 主管部门 or 技工院校."""

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
