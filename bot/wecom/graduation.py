"""Graduation declarations on WeCom: 审核通过 / 审批通过 / 退回 (the reason is the next
message) / 重新申报 and 发放 for the 发放员, on the graduation desk's screens."""

from __future__ import annotations

from bot.wecom.context import Turn
from issuance.chat import grad_desk as desk
from issuance.chat.graduation import (
    ApproveRequest,
    IssueBlanks,
    Redeclare,
    ReturnRequest,
    ReviewRequest,
)

ACTIONS = (ReviewRequest, ApproveRequest, Redeclare, ReturnRequest, IssueBlanks)


async def clicked(
    turn: Turn, action: ReviewRequest | ApproveRequest | Redeclare | ReturnRequest | IssueBlanks
) -> None:
    """A graduation button: act on the whole request as the button saw it, or ask first."""
    session = turn.session
    if isinstance(action, ReturnRequest):
        screen = await desk.ask_return(session, action)
    elif isinstance(action, IssueBlanks):
        screen = await desk.ask_first_serial(session, action)
    else:
        screen = await desk.act(session.graduation, await session.need_actor(), action)
    await turn.show(screen)
