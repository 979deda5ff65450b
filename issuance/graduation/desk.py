"""What a chat does with graduation work, for every channel: the /pending screen, the answer to
each tap (the core re-checks who taps and the state), the 经办人's graduates file (or
qualifications, employment or grades file, recognised by its header row)."""

from __future__ import annotations

from pathlib import Path

from issuance.chat.graduation import (
    ApproveRequest,
    GradAction,
    IssueBlanks,
    PendingLine,
    Redeclare,
    ReturnRequest,
    ReviewRequest,
    act_done,
    pending_list,
)
from issuance.chat.screens import Lines, Part, Plain, Screen, Text
from issuance.core.chain import Act
from issuance.core.errors import Conflict, Forbidden
from issuance.core.people import Person, Role
from issuance.graduation import qual_desk
from issuance.graduation.chains import DEPARTMENT_ROLES, SCHOOL_ROLES
from issuance.graduation.importing import GraduateReport, import_graduates
from issuance.graduation.service import ActDone, Graduation
from issuance.graduation.stock import Stock

ROLES = (*SCHOOL_ROLES, *DEPARTMENT_ROLES)
# Which button is whose, and what it does.
_ACTS: dict[type, tuple[tuple[Role, ...], Act]] = {
    ReviewRequest: ((Role.LEADER,), Act.CONFIRM),
    ApproveRequest: ((Role.APPROVER,), Act.CONFIRM),
    ReturnRequest: ((Role.LEADER, Role.APPROVER), Act.REFUSE),
    Redeclare: ((Role.CLERK,), Act.RESUBMIT),
}
MAX_ERRORS_SHOWN = 20


def is_graduation(person: Person) -> bool:
    return person.role in ROLES


async def pending(grad: Graduation, actor: Person) -> Screen:
    """Declarations and blank requests waiting for the person, with counts and buttons."""
    lines = []
    for waiting in await grad.waiting_for(actor):
        reason = None
        if actor.role == Role.CLERK:
            reason = await grad.store.latest_return_reason(waiting.request_id) or ""
        round_ = await grad.store.request_round(waiting.request_id)
        lines.append(PendingLine(waiting, round_, reason))
    return pending_list(lines, actor.role)


def _mine(actor: Person, action: GradAction) -> Act:
    """The act of the button, if the button is for this person's role at all."""
    roles, act = _ACTS.get(type(action), ((), None))
    if act is None or actor.role not in roles:
        raise Forbidden("grad.not_your_button")
    return act


async def act(grad: Graduation, actor: Person, action: GradAction) -> Screen:
    """审核通过 / 审批通过 / 重新申报 from a tap: the whole request, at the round the button saw."""
    assert not isinstance(action, IssueBlanks | ReturnRequest)
    done = await grad.act(actor, action.request, _mine(actor, action), round_seen=action.round)
    return await _done(grad, done)


async def check_returnable(grad: Graduation, actor: Person, action: ReturnRequest) -> None:
    """Before asking for a reason: the person may 退回 this request now (else a domain error)."""
    _mine(actor, action)
    waiting = await grad.waiting_for(actor)
    if action.request not in {w.request_id for w in waiting}:
        await grad.request_for(actor, action.request)
        raise Conflict("grad.nothing_waiting")


async def return_(
    grad: Graduation, actor: Person, request_id: int, round_: int, reason: str
) -> Screen:
    """退回 with the reason the person typed."""
    done = await grad.act(actor, request_id, Act.REFUSE, reason=reason, round_seen=round_)
    return await _done(grad, done)


async def _done(grad: Graduation, done: ActDone) -> Screen:
    request = await grad.store.grad_request(done.request_id)
    assert request is not None
    return act_done(request, done.items, done.status)


async def check_issuable(grad: Graduation, actor: Person, action: IssueBlanks) -> None:
    """Before asking for the first serial: the person is a 发放员 and the request waits."""
    if actor.role != Role.DISTRIBUTOR:
        raise Forbidden("grad.not_your_button")
    waiting = await grad.store.blank_requests_to_issue()
    if action.request not in {w.request_id for w in waiting}:
        raise Conflict("stock.request_issued")


async def issue(stock: Stock, actor: Person, request_id: int, first: str) -> Screen:
    """The 发放员 typed the first serial: hand the request's blanks out from there."""
    moved = await stock.issue(request_id, first.strip(), actor.phone)
    request = await stock.store.grad_request(request_id)
    assert request is not None
    params = {
        "count": len(moved.serials),
        "first": moved.serials[0],
        "last": moved.serials[-1],
        "school": request.school_name,
    }
    parts = [Text("stock.cli.issued", params)]
    if moved.low_stock is not None:
        parts.append(Text("stock.cli.low", {"kind": request.blank_kind, "left": moved.low_stock}))
    else:  # the 发放员 sees what is left of the kind either way
        left = await stock.in_stock(request.blank_kind or "")
        parts.append(Text("stockchat.left", {"kind": request.blank_kind, "left": left}))
    return Screen(Lines(parts))


async def import_file(grad: Graduation, actor: Person, path: Path, locale: str) -> Screen:
    """The 经办人 sent a graduates file: import it all or nothing, answer with the outcome."""
    if actor.role != Role.CLERK:
        raise Forbidden("grad.file.not_clerk")
    other = await qual_desk.import_file(grad.store, actor, path, locale)
    if other is not None:
        return other
    # A 经办人 imports their own school's graduates only.
    report = await import_graduates(grad.store, path, locale, school_id=actor.org_id)
    if report.errors:
        shown = "\n".join(str(e) for e in report.errors[:MAX_ERRORS_SHOWN])
        more = len(report.errors) - MAX_ERRORS_SHOWN
        parts = [Text("grad.file.failed", {"count": len(report.errors), "errors": shown})]
        if more > 0:
            parts.append(Text("grad.file.more", {"count": more}))
        return Screen(Lines(parts))
    assert isinstance(report, GraduateReport)
    counts = {
        "imported": report.imported,
        "corrected": report.corrected,
        "warnings": len(report.warnings),
    }
    lines: list[Part] = [Text("grad.file.imported", counts)]
    lines += [Plain(str(w)) for w in report.warnings[:MAX_ERRORS_SHOWN]]
    return Screen(Lines(lines))
