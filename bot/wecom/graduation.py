"""Graduation declarations on WeCom: 审核通过 / 审批通过 / 退回 (the reason is the next
message) / 重新申报, 发放 for the 发放员, and 待签发 for graduation people, on the graduation
desk's screens."""

from __future__ import annotations

from typing import Any

from bot.wecom.context import Turn
from issuance.chat import grad_desk as desk
from issuance.chat.graduation import (
    ApproveRequest,
    IssueBlanks,
    Redeclare,
    ReturnRequest,
    ReviewRequest,
    ask,
)
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock

RETURN = "grad_return"
ISSUE = "grad_issue"
ACTIONS = (ReviewRequest, ApproveRequest, Redeclare, ReturnRequest, IssueBlanks)


def graduation(turn: Turn) -> Graduation:
    return Graduation(turn.store, turn.services.settings)


async def pending(turn: Turn) -> None:
    """待签发 of a graduation person: what waits for them, with counts and buttons."""
    await turn.show(await desk.pending(graduation(turn), await turn.need_actor()))


async def clicked(
    turn: Turn, action: ReviewRequest | ApproveRequest | Redeclare | ReturnRequest | IssueBlanks
) -> None:
    """A graduation button: act on the whole request as the button saw it, or ask first."""
    actor = await turn.need_actor()
    if isinstance(action, ReturnRequest):
        await desk.check_returnable(graduation(turn), actor, action)
        await turn.conversation.expect(RETURN, request=action.request, round=action.round)
        await turn.show(ask("grad.reason.ask"))
    elif isinstance(action, IssueBlanks):
        await desk.check_issuable(graduation(turn), actor, action)
        await turn.conversation.expect(ISSUE, request=action.request)
        await turn.show(ask("grad.issue.ask"))
    else:
        answer = await desk.act(graduation(turn), actor, action)
        turn.services.wake_sender()
        await turn.show(answer)


async def reason_given(turn: Turn, data: dict[str, Any], reason: str) -> None:
    """The reason of a 退回 arrived: return the request with it."""
    actor = await turn.need_actor()
    answer = await desk.return_(graduation(turn), actor, data["request"], data["round"], reason)
    turn.services.wake_sender()
    await turn.show(answer)


async def first_serial_given(turn: Turn, data: dict[str, Any], first: str) -> None:
    """The 发放员 sent the first serial: hand the approved request's blanks out."""
    actor = await turn.need_actor()
    stock = Stock(turn.store, turn.services.settings)
    answer = await desk.issue(stock, actor, data["request"], first)
    turn.services.wake_sender()
    await turn.show(answer)
