"""完善学生信息 on WeCom: the evaluator picks a record's field and types a note; the school pages
through its open problems and types each corrected value."""

from __future__ import annotations

from bot.wecom import cards
from bot.wecom.context import Turn, new_task
from issuance.chat import completion_desk
from issuance.core.errors import Invalid
from issuance.xcert.completion import field_label


async def ask_field(turn: Turn, record_id: int) -> None:
    """完善信息 (evaluators): which field of the chosen record must the school complete?"""
    await completion_desk.check_flaggable(turn.session, record_id)
    await turn.card(cards.fields_card(record_id, new_task(), turn.locale))


async def ask_note(turn: Turn, record_id: int, index: int) -> None:
    """The field is chosen: now the note, with an optional deadline (the next message)."""
    field = await completion_desk.ask_note(turn.session, record_id, index)
    await turn.replace_buttons(field_label(field, turn.locale))
    await turn.say(turn.text("wecom.completion.ask_note"))


async def problems(turn: Turn, args: list[str]) -> None:
    """完善信息: the school's open student-info problems."""
    await show_problems(turn, 0, new_card=True)


async def show_problems(turn: Turn, page: int, new_card: bool) -> None:
    session = turn.session
    open_ = await session.completion.open_for(await session.need_actor())
    if not open_:
        await turn.say(turn.text("completion.none_open"))
        return
    page = min(max(page, 0), (len(open_) - 1) // cards.PROBLEM_PAGE)
    await turn.say(cards.problems_text(open_, page * cards.PROBLEM_PAGE, turn.locale))
    card = cards.problems_card(open_, page, new_task(), turn.locale)
    if new_card or not await turn.update_card(card):
        await turn.card(card)


async def ask_value(turn: Turn, problem_id: int) -> None:
    """修改: ask for the problem's corrected value (the member's next message)."""
    problem = await completion_desk.ask_value(turn.session, problem_id)
    field = field_label(problem.field, turn.locale)
    await turn.say(turn.text("wecom.completion.ask_value", field=field, name=problem.student_name))


async def fix_chosen(turn: Turn) -> None:
    """修改 with a problem chosen in the card's drop-down."""
    chosen = cards.selected_option(turn.fields, cards.PROBLEM_QUESTION) or ""
    if not chosen.isdigit():
        raise Invalid("wecom.batch.none_chosen")
    await ask_value(turn, int(chosen))
