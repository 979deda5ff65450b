"""What a chat does with graduation work, for every channel: the /pending screen, the answer to
each tap (the core re-checks who taps and the state), the 经办人's graduates file (or
qualifications, employment or grades file, recognised by its header row)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from issuance.chat import qual_desk
from issuance.chat.graduation import (
    ApproveRequest,
    GradAction,
    IssueBlanks,
    PendingLine,
    Redeclare,
    ReturnRequest,
    ReviewRequest,
    act_done,
    ask,
    pending_list,
)
from issuance.chat.screens import Lines, Part, Plain, Screen, Text
from issuance.chat.session import Session
from issuance.core.chain import Act
from issuance.core.errors import Conflict, Forbidden
from issuance.core.people import Person, Role
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
RETURN = "grad_return"
ISSUE = "grad_issue"


def is_graduation(person: Person) -> bool:
    return person.role in ROLES


async def pending(grad: Graduation, actor: Person) -> Screen:
    """Declarations and blank requests waiting for the person, with counts and buttons."""
    waiting = await grad.waiting_for(actor)
    ids = [w.request_id for w in waiting]
    # Two queries for the whole list, not two per request.
    rounds = await grad.store.request_rounds(ids)
    reasons = await grad.store.latest_return_reasons(ids) if actor.role == Role.CLERK else None
    lines = [
        PendingLine(
            w,
            rounds.get(w.request_id, 1),
            None if reasons is None else reasons.get(w.request_id, ""),
        )
        for w in waiting
    ]
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


async def ask_return(session: Session, action: ReturnRequest) -> Screen:
    """退回 tapped: the reason is the next message (kept across restarts)."""
    await check_returnable(session.graduation, await session.need_actor(), action)
    await session.conversation.expect(RETURN, request=action.request, round=action.round)
    return ask("grad.reason.ask")


async def return_given(session: Session, data: dict[str, Any], reason: str) -> Screen:
    """The reason of a 退回 arrived (perhaps after a restart): return the request with it."""
    actor = await session.need_actor()
    return await return_(session.graduation, actor, data["request"], data["round"], reason)


async def ask_first_serial(session: Session, action: IssueBlanks) -> Screen:
    """发放 tapped by the 发放员: the first serial of the blanks is the next message."""
    await check_issuable(session.graduation, await session.need_actor(), action)
    await session.conversation.expect(ISSUE, request=action.request)
    return ask("grad.issue.ask")


async def first_serial_given(session: Session, data: dict[str, Any], first: str) -> Screen:
    """The first serial arrived: hand the approved request's blanks out."""
    return await issue(session.stock, await session.need_actor(), data["request"], first)
