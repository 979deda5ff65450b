"""Typed chat actions of the graduation workflow, packed into short button data (≤ 64 bytes)."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "g"
VERBS = {"review": "v", "approve": "a", "return": "r", "resubmit": "s", "issue": "i"}
_BY_CODE = {code: verb for verb, code in VERBS.items()}


@dataclass(frozen=True)
class GradAction:
    """A tap on a request: 审核通过 (review), 审批通过 (approve), 退回 (return), 重新申报
    (resubmit), or 发放 (issue: the 发放员 hands out an approved blank request).

    `round` is the request's round when the button was made: a tap from an older round is stale.
    """

    verb: str
    request_id: int
    round: int

    def pack(self) -> str:
        return f"{PREFIX}:{VERBS[self.verb]}:{self.request_id}:{self.round}"

    @classmethod
    def parse(cls, data: str) -> GradAction | None:
        """The action in `data`, or None for anything that is not a well-formed one."""
        parts = data.split(":")
        if len(parts) != 4 or parts[0] != PREFIX or parts[1] not in _BY_CODE:
            return None
        if not (parts[2].isdigit() and parts[3].isdigit()):
            return None
        return cls(_BY_CODE[parts[1]], int(parts[2]), int(parts[3]))
