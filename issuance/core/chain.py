"""Approval-chain engine: an ordered approval chain, each step confirmed or refused by one party.

Pure rules only: given a record's status and an act, what is the new status, or which domain
error forbids the act. The X-certificate dual sign-off (培训评价组织 then 考核站点, order
configurable) is one chain; graduation certificates (申报 → 审核 → 审批) are another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from issuance.core.errors import Conflict, Forbidden


class Act(Enum):
    """What a party does to a record at its step."""

    CONFIRM = "confirm"
    REFUSE = "refuse"
    RESUBMIT = "resubmit"


@dataclass(frozen=True)
class Step:
    """One step of a chain: which party acts, and the statuses it shows while pending/refused."""

    party: str
    role: str
    pending_status: str
    refused_status: str


@dataclass(frozen=True)
class Chain:
    """An ordered approval chain ending in `done_status`; `owner` corrects and resubmits."""

    steps: tuple[Step, ...]
    done_status: str
    owner: str

    @property
    def first_status(self) -> str:
        return self.steps[0].pending_status

    @property
    def statuses(self) -> tuple[str, ...]:
        """Every status, in the order the platform lists them."""
        ordered = [s for step in self.steps for s in (step.pending_status, step.refused_status)]
        return (*ordered, self.done_status)

    @property
    def pending_statuses(self) -> tuple[str, ...]:
        """Statuses of records waiting for some party's act."""
        return tuple(step.pending_status for step in self.steps)

    @property
    def refused_statuses(self) -> frozenset[str]:
        """Statuses of refused records, waiting for the owner to correct and resubmit."""
        return frozenset(step.refused_status for step in self.steps)

    def step_of(self, party: str) -> Step:
        for step in self.steps:
            if step.party == party:
                return step
        raise Forbidden("signoff.not_a_party")

    def next_status(self, status: str, act: Act, party: str) -> str:
        """The status after `party` does `act` on a record in `status`, or a domain error."""
        if status == self.done_status:
            raise Conflict("signoff.already_confirmed")
        if act is Act.RESUBMIT:
            if party != self.owner:
                raise Forbidden("signoff.not_owner")
            if status not in self.refused_statuses:
                raise Conflict("signoff.not_refused")
            return self.first_status
        for index, step in enumerate(self.steps):
            if status == step.refused_status:
                raise Conflict("signoff.refused_pending_resubmit")
            if status == step.pending_status:
                if step.party != party:
                    raise Conflict("signoff.not_your_turn", party=step.party)
                if act is Act.REFUSE:
                    return step.refused_status
                if index + 1 < len(self.steps):
                    return self.steps[index + 1].pending_status
                return self.done_status
        raise Conflict("signoff.unknown_status", status=status)
