"""The answers a chat waits for, by name, and the desk that takes each: one table for every
channel. A desk that asks a question stores its name in the account's `Conversation`; the
channel hands the account's next text here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from issuance.chat import account_desk, completion_desk, grad_desk, handout_desk, xcert_desk
from issuance.chat.conversation import Awaited
from issuance.chat.handout import MAIL, MAIL_ON
from issuance.chat.screens import Screen
from issuance.chat.session import Session

Answer = Callable[[Session, dict[str, Any], str], Awaitable[Screen]]

ANSWERS: dict[str, Answer] = {
    xcert_desk.REFUSE: xcert_desk.refusal_given,
    completion_desk.FLAG: completion_desk.note_given,
    completion_desk.FIX: completion_desk.value_given,
    account_desk.VERIFY: account_desk.numbers_given,
    account_desk.GRADUATION_ANSWER: account_desk.graduation_given,
    grad_desk.RETURN: grad_desk.return_given,
    grad_desk.ISSUE: grad_desk.first_serial_given,
    MAIL: handout_desk.mailing_given,
    MAIL_ON: handout_desk.tracking_given,
}


async def answer(session: Session, text: str) -> Screen | None:
    """The answer to what the account was asked (forgotten, so it acts once); None when
    nothing was asked."""
    return await reply(session, await session.conversation.take_awaited(), text)


async def reply(session: Session, awaited: Awaited | None, text: str) -> Screen | None:
    """The answer to `awaited`, already taken from the conversation; None when nothing (of
    the chat layer's) was asked."""
    if awaited is None or awaited.name not in ANSWERS:
        return None
    return await ANSWERS[awaited.name](session, awaited.data, text)
