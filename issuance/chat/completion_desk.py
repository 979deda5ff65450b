"""What a chat does with 完善学生信息, for every channel: the evaluator flags a field of a record
(the note is the next message), the school corrects a problem's value (the next message)."""

from __future__ import annotations

from typing import Any

from issuance.chat.screens import Screen, Text
from issuance.chat.session import Session
from issuance.core.errors import Conflict, Invalid
from issuance.core.records import Problem
from issuance.xcert.completion import FIELDS

FLAG = "flag"
FIX = "fix"


async def check_flaggable(session: Session, record_id: int) -> None:
    """完善信息 on a record: the evaluator may act on it (else a domain error)."""
    await session.issuance.records_for_act(await session.need_actor(), [record_id])


async def ask_note(session: Session, record_id: int, field: int) -> str:
    """The field (its index in FIELDS) is chosen: the note, with an optional deadline, is the
    next message. The field's name."""
    if field >= len(FIELDS):
        raise Conflict("bot.stale_button")
    await check_flaggable(session, record_id)
    await session.conversation.expect(FLAG, record=record_id, field=FIELDS[field])
    return FIELDS[field]


async def note_given(session: Session, data: dict[str, Any], note: str) -> Screen:
    """The note arrived: the school is asked to complete the field."""
    actor = await session.need_actor()
    try:
        flagged = await session.completion.flag(actor, [data["record"]], data["field"], note)
    except Invalid:
        await session.conversation.expect(FLAG, **data)  # still waiting for a good note
        raise
    return Screen(Text("completion.flagged", {"deadline": flagged[0].deadline}))


async def ask_value(session: Session, problem_id: int) -> Problem:
    """修改: the problem's corrected value is the next message."""
    problem = await session.completion.open_problem(await session.need_actor(), problem_id)
    await session.conversation.expect(FIX, problem=problem.id)
    return problem


async def value_given(session: Session, data: dict[str, Any], value: str) -> Screen:
    """The corrected value arrived: the problem is fixed (and perhaps the school's last)."""
    actor = await session.need_actor()
    try:
        fixed = await session.completion.fix(actor, data["problem"], value)
    except Invalid:
        await session.conversation.expect(FIX, **data)  # still waiting for a good value
        raise
    return Screen(Text("completion.fixed_all" if fixed.school_done else "completion.fixed_one"))
