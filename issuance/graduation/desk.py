"""What a chat shows of graduation work, computed once for every channel: the /pending list with
its buttons, and the answer to each tap. Channels render the rows and turn taps into actions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from issuance.core.catalog import t
from issuance.core.chain import Act
from issuance.core.errors import Conflict, Forbidden
from issuance.core.people import Person
from issuance.graduation.actions import GradAction
from issuance.graduation.chains import (
    APPROVER,
    CLERK,
    DEPARTMENT_ROLES,
    DISTRIBUTOR,
    LEADER,
    SCHOOL_ROLES,
)
from issuance.graduation.importing import GraduateReport, import_graduates
from issuance.graduation.notices import describe
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock

ROLES = (*SCHOOL_ROLES, *DEPARTMENT_ROLES)
_VERBS = {
    LEADER: ("review", "return"),
    APPROVER: ("approve", "return"),
    CLERK: ("resubmit",),
    DISTRIBUTOR: ("issue",),
}
_ACTS = {"review": Act.CONFIRM, "approve": Act.CONFIRM, "resubmit": Act.RESUBMIT}
MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class View:
    """Text and rows of (label, action data) buttons."""

    text: str
    rows: list[list[tuple[str, str]]]


def is_graduation(person: Person) -> bool:
    return person.role in ROLES


async def pending(grad: Graduation, actor: Person, locale: str) -> View | None:
    """Declarations and blank requests waiting for the person, with counts; None if nothing."""
    waiting = await grad.waiting_for(actor)
    if not waiting:
        return None
    status = {LEADER: "待审核", APPROVER: "待审批", CLERK: "退回", DISTRIBUTOR: "待发放"}.get(
        actor.role, ""
    )
    lines = [t("grad.pending.title", locale)]
    rows: list[list[tuple[str, str]]] = []
    for index, w in enumerate(waiting, 1):
        what = describe(w, w.waiting, locale)
        lines.append(
            f"{index}. " + t("grad.pending.line", locale, what=what, status=status, count=w.waiting)
        )
        if actor.role == CLERK:
            reason = await grad.store.latest_return_reason(w.request_id)
            lines.append("   " + t("grad.pending.reason", locale, reason=reason or ""))
        round_ = await grad.store.request_round(w.request_id)
        rows.append(
            [
                (
                    f"{index}. {t(f'grad.button.{verb}', locale)}",
                    GradAction(verb, w.request_id, round_).pack(),
                )
                for verb in _VERBS.get(actor.role, ())
            ]
        )
    return View("\n".join(lines), rows)


async def act(grad: Graduation, actor: Person, action: GradAction, locale: str) -> str:
    """审核通过 / 审批通过 / 重新申报 from a tap: the whole request, at the round the button saw."""
    if action.verb not in _ACTS or action.verb not in _VERBS.get(actor.role, ()):
        raise Forbidden("grad.not_your_button")
    done = await grad.act(actor, action.request_id, _ACTS[action.verb], round_seen=action.round)
    return await _done(grad, done.request_id, done.items, done.status, locale)


async def check_returnable(grad: Graduation, actor: Person, action: GradAction) -> None:
    """Before asking for a reason: the person may 退回 this request now (else a domain error)."""
    if "return" not in _VERBS.get(actor.role, ()):
        raise Forbidden("grad.not_your_button")
    waiting = await grad.waiting_for(actor)
    if action.request_id not in {w.request_id for w in waiting}:
        await grad.request_for(actor, action.request_id)
        raise Conflict("grad.nothing_waiting")


async def return_(
    grad: Graduation, actor: Person, request_id: int, round_: int, reason: str, locale: str
) -> str:
    """退回 with the reason the person typed."""
    done = await grad.act(actor, request_id, Act.REFUSE, reason=reason, round_seen=round_)
    return await _done(grad, done.request_id, done.items, done.status, locale)


async def _done(grad: Graduation, request_id: int, items: int, status: str, locale: str) -> str:
    request = await grad.store.grad_request(request_id)
    assert request is not None
    what = describe(request, items, locale)
    return t("grad.act.done", locale, what=what, items=items, status=status)


async def import_file(grad: Graduation, actor: Person, path: Path, locale: str) -> str:
    """The 经办人 sent a graduates file: import it all or nothing, answer with the outcome."""
    if actor.role != CLERK:
        raise Forbidden("grad.file.not_clerk")
    report = await import_graduates(grad.store, path, locale)
    if report.errors:
        shown = "\n".join(str(e) for e in report.errors[:MAX_ERRORS_SHOWN])
        more = len(report.errors) - MAX_ERRORS_SHOWN
        if more > 0:
            shown += "\n" + t("grad.file.more", locale, count=more)
        return t("grad.file.failed", locale, count=len(report.errors), errors=shown)
    assert isinstance(report, GraduateReport)
    return t(
        "grad.file.imported",
        locale,
        imported=report.imported,
        corrected=report.corrected,
        warnings=len(report.warnings),
    )


async def check_issuable(grad: Graduation, actor: Person, action: GradAction) -> None:
    """Before asking for the first serial: the person is a 发放员 and the request waits."""
    if actor.role != DISTRIBUTOR:
        raise Forbidden("grad.not_your_button")
    waiting = await grad.store.blank_requests_to_issue()
    if action.request_id not in {w.request_id for w in waiting}:
        raise Conflict("stock.request_issued")


async def issue(stock: Stock, actor: Person, request_id: int, first: str, locale: str) -> str:
    """The 发放员 typed the first serial: hand the request's blanks out from there."""
    moved = await stock.issue(request_id, first.strip(), actor.phone)
    request = await stock.store.grad_request(request_id)
    assert request is not None
    lines = [
        t(
            "stock.cli.issued",
            locale,
            count=len(moved.serials),
            first=moved.serials[0],
            last=moved.serials[-1],
            school=request.school_name,
        )
    ]
    if moved.low_stock is not None:
        lines.append(t("stock.cli.low", locale, kind=request.blank_kind, left=moved.low_stock))
    return "\n".join(lines)
