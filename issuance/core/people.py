"""People and organizations as read from the store: plain frozen values, and their vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from issuance.core.vocabulary import Party


class OrgKind(StrEnum):
    """机构类型, as the import columns name them (a new kind is one line here)."""

    EVALUATOR = "培训评价组织"
    SCHOOL = "试点院校"
    DEPARTMENT = "主管部门"
    TECH_SCHOOL = "技工院校"


class Role(StrEnum):
    """角色 of a person, with the one kind of organization it exists in, if it is tied to one
    (a new role is one line here)."""

    org_kind: OrgKind | None

    def __new__(cls, value: str, org_kind: OrgKind | None = None) -> Role:
        role = str.__new__(cls, value)
        role._value_ = value
        role.org_kind = org_kind
        return role

    HEAD = "负责人", OrgKind.SCHOOL
    STAFF = "业务管理员", OrgKind.SCHOOL
    SIGNER = "签发人", OrgKind.EVALUATOR
    REVIEWER = "审核人"
    CLERK = "经办人", OrgKind.TECH_SCHOOL
    LEADER = "校领导", OrgKind.TECH_SCHOOL
    APPROVER = "审批人", OrgKind.DEPARTMENT
    KEEPER = "库管员", OrgKind.DEPARTMENT
    DISTRIBUTOR = "发放员", OrgKind.DEPARTMENT
    ADMIN = "管理员"


class Channel(StrEnum):
    """A chat channel a person can be bound to and notified on."""

    TELEGRAM = "telegram"
    WECOM = "wecom"


ORG_KINDS = tuple(OrgKind)
ROLES = tuple(Role)
# Roles that only make sense in one kind of organization.
ROLE_ORG_KINDS: dict[str, OrgKind] = {r: r.org_kind for r in Role if r.org_kind is not None}
# Where a notice to somebody without a reachable account is queued (it fails there, visibly).
DEFAULT_CHANNEL = Channel.TELEGRAM
SCHOOL_ROLES = (Role.HEAD, Role.STAFF)


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
        """The X-certificate sign-off party this person acts for, if any."""
        if self.role == Role.SIGNER and self.org_kind == OrgKind.EVALUATOR:
            return Party.EVALUATOR
        if self.role == Role.HEAD and self.org_kind == OrgKind.SCHOOL:
            return Party.SITE
        return None


@dataclass(frozen=True)
class Binding:
    """绑定情况 of one person: the chat channels their accounts are bound on (none: not bound)."""

    person: Person
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Invite:
    """A one-time code binding a chat account to a person."""

    code: str
    expires_at: str
    link: str
    person: Person
