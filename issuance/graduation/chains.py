"""Graduation chains (申报 → 审核 → 审批) on the shared engine, and their routing.

Every chain is the school's 经办人 declaring, its 校领导 reviewing (审核), then one or two
supervisory departments approving (审批). The two 审批 steps show the same statuses, so an item's
stage (its index in the chain) is kept beside its status.
"""

from __future__ import annotations

from dataclasses import dataclass

from issuance.core.chain import Act, Chain, Step
from issuance.core.errors import Conflict
from issuance.core.people import Role
from issuance.core.vocabulary import GradStatus, RequestKind

KINDS = tuple(RequestKind)
STATUSES = tuple(GradStatus)
PENDING = (GradStatus.PENDING_REVIEW, GradStatus.PENDING_APPROVAL)
RETURNED = (GradStatus.REVIEW_RETURNED, GradStatus.APPROVAL_RETURNED)

SCHOOL_ROLES = (Role.CLERK, Role.LEADER)
DEPARTMENT_ROLES = (Role.APPROVER, Role.KEEPER, Role.DISTRIBUTOR)


def party(role: str, org_id: int) -> str:
    """The chain party of a person: their role at their organization."""
    return f"{role}@{org_id}"


@dataclass(frozen=True)
class Department:
    """A 主管部门 as routing needs it: its parent (none for the province) and its final flag."""

    id: int
    parent_id: int | None
    final: bool


def route(school_parent_id: int | None, departments: dict[int, Department]) -> tuple[int, ...]:
    """The departments that approve, in order: up the tree until a final one or the province."""
    approvers: list[int] = []
    current = departments.get(school_parent_id) if school_parent_id else None
    while current is not None:
        approvers.append(current.id)
        if current.final or current.parent_id is None:
            return tuple(approvers)
        current = departments.get(current.parent_id)
    raise Conflict("grad.no_route")


def graduation_chain(school_id: int, approvers: tuple[int, ...]) -> Chain:
    """申报 by the 经办人 → 审核 by the 校领导 → 审批 by each department of the route."""
    review = Step(
        party(Role.LEADER, school_id),
        Role.LEADER,
        GradStatus.PENDING_REVIEW,
        GradStatus.REVIEW_RETURNED,
    )
    approvals = tuple(
        Step(
            party(Role.APPROVER, dept),
            Role.APPROVER,
            GradStatus.PENDING_APPROVAL,
            GradStatus.APPROVAL_RETURNED,
        )
        for dept in approvers
    )
    return Chain((review, *approvals), GradStatus.APPROVED, owner=party(Role.CLERK, school_id))


def advance(chain: Chain, stage: int, status: str, act: Act, who: str) -> tuple[str, int]:
    """(status, stage) after `who` does `act` on an item at `stage` in `status`."""
    if act is Act.RESUBMIT:
        return chain.next_status(status, act, who), 0
    if status == chain.done_status:
        raise Conflict("signoff.already_confirmed")
    # The engine finds a step by status; from the item's stage on, the first match is its own.
    rest = Chain(chain.steps[stage:], chain.done_status, chain.owner)
    new_status = rest.next_status(status, act, who)
    if act is Act.CONFIRM and new_status != chain.done_status:
        return new_status, stage + 1
    return new_status, stage


def waiting_org(school_id: int, approvers: tuple[int, ...], status: str, stage: int) -> int | None:
    """The organization whose turn it is, or None (returned to the 经办人, or approved)."""
    if status == GradStatus.PENDING_REVIEW:
        return school_id
    if status == GradStatus.PENDING_APPROVAL:
        return approvers[stage - 1]
    return None
