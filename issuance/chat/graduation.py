"""Graduation conversations: the typed buttons of declarations and blank requests, and their
screens (the /pending list, answers to taps), for any channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from issuance.chat.actions import Action, Cancel
from issuance.chat.screens import Button, Lines, Part, Plain, Screen, Text
from issuance.core.graduates import GradRequest, Waiting
from issuance.core.people import Role
from issuance.core.vocabulary import GradStatus
from issuance.graduation.notices import subject

# Buttons carry the request's round: a tap from before a 退回 and 重新申报 is stale.


@dataclass(frozen=True)
class ReviewRequest(Action, prefix="gv"):
    """审核通过: the 校领导 passes what of the request waits for them."""

    request: int
    round: int


@dataclass(frozen=True)
class ApproveRequest(Action, prefix="ga"):
    """审批通过: the department approves what of the request waits for it."""

    request: int
    round: int


@dataclass(frozen=True)
class ReturnRequest(Action, prefix="gr"):
    """退回 to the 经办人 (a reason is asked for)."""

    request: int
    round: int


@dataclass(frozen=True)
class Redeclare(Action, prefix="gs"):
    """重新申报 after a 退回, by the 经办人."""

    request: int
    round: int


@dataclass(frozen=True)
class IssueBlanks(Action, prefix="gi"):
    """发放: the province's 发放员 hands out an approved blank request (the first serial is
    asked for)."""

    request: int


GradAction = ReviewRequest | ApproveRequest | ReturnRequest | Redeclare | IssueBlanks


def describe(request: GradRequest | Waiting, count: int) -> Text:
    """One line naming a request: kind, school, then term and graduates, or blank kind and count."""
    return described(subject(request, count))


def described(what: Mapping[str, object]) -> Text:
    """The line naming a request from its `subject` (as a notice stores it)."""
    return Text("grad.describe.blanks" if what.get("blank_kind") else "grad.describe", what)


def buttons(request_id: int, round_: int, role: str) -> list[Button]:
    """What the person of `role` may do with the request."""
    if role == Role.LEADER:
        return [
            Button(Text("grad.button.review"), ReviewRequest(request_id, round_)),
            Button(Text("grad.button.return"), ReturnRequest(request_id, round_)),
        ]
    if role == Role.APPROVER:
        return [
            Button(Text("grad.button.approve"), ApproveRequest(request_id, round_)),
            Button(Text("grad.button.return"), ReturnRequest(request_id, round_)),
        ]
    if role == Role.CLERK:
        return [Button(Text("grad.button.resubmit"), Redeclare(request_id, round_))]
    if role == Role.DISTRIBUTOR:
        return [Button(Text("grad.button.issue"), IssueBlanks(request_id))]
    return []


@dataclass(frozen=True)
class PendingLine:
    """One request of the /pending list: what waits, its round, a 退回's reason."""

    waiting: Waiting
    round: int
    reason: str | None = None


_WAITING_STATUS = {
    Role.LEADER: GradStatus.PENDING_REVIEW,
    Role.APPROVER: GradStatus.PENDING_APPROVAL,
    Role.CLERK: "退回",
    Role.DISTRIBUTOR: "待发放",
}


def pending_list(lines: Sequence[PendingLine], role: str) -> Screen:
    """/pending of a graduation person: each request with its count, and its buttons."""
    if not lines:
        return Screen(Text("grad.pending.none"))
    status = _WAITING_STATUS.get(Role(role), "")
    parts: list[Part] = [Text("grad.pending.title")]
    rows = []
    for n, line in enumerate(lines, 1):
        what = describe(line.waiting, line.waiting.waiting)
        count = {"what": what, "status": status, "count": line.waiting.waiting}
        parts.append(Lines([Plain(f"{n}. "), Text("grad.pending.line", count)], separator=""))
        if line.reason is not None:
            parts.append(Text("grad.pending.reason", {"reason": line.reason}))
        rows.append(
            [
                Button(Lines([Plain(f"{n}. "), b.label], separator=""), b.action)
                for b in buttons(line.waiting.request_id, line.round, role)
            ]
        )
    return Screen(Lines(parts), rows)


def act_done(request: GradRequest, items: int, status: str) -> Screen:
    """The answer to an act: which request, how many items, their status now."""
    what = describe(request, items)
    return Screen(Text("grad.act.done", {"what": what, "items": items, "status": status}))


def ask(key: str) -> Screen:
    """A question (a 退回's reason, the first serial to hand out) with a 取消 button."""
    return Screen(Text(key), [[Button(Text("bot.button.cancel"), Cancel())]])
