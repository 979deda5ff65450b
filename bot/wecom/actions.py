"""WeCom's own card actions, packed and parsed like every other (`issuance.chat.actions`).

A WeCom card has six buttons at most, so a batch page offers a drop-down of records and buttons
that act on the record chosen there (the choice arrives with the click, not in the key).
"""

from __future__ import annotations

from dataclasses import dataclass

from issuance.chat.actions import Action


@dataclass(frozen=True)
class ConfirmChosen(Action, prefix="wc"):
    """确认签发 the record chosen on this page of the batch."""

    batch: int
    page: int


@dataclass(frozen=True)
class RefuseChosen(Action, prefix="wr"):
    """拒绝签发 the record chosen on this page (a reason is asked for)."""

    batch: int
    page: int


@dataclass(frozen=True)
class ResubmitChosen(Action, prefix="wrs"):
    """重新提交 the refused record chosen on this page (evaluators)."""

    batch: int
    page: int


@dataclass(frozen=True)
class FlagChosen(Action, prefix="wf"):
    """完善信息: ask the school to complete a field of the record chosen (evaluators)."""

    batch: int
    page: int


@dataclass(frozen=True)
class ProblemsPage(Action, prefix="wpl"):
    """One page of the school's open student-info problems."""

    page: int


@dataclass(frozen=True)
class FixChosen(Action, prefix="wfx"):
    """Correct the problem chosen in the drop-down."""
