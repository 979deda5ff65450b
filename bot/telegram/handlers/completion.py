"""完善学生信息 in chat: the evaluator flags a record; the school fixes fields or sends an XLSX."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.telegram import awaiting
from bot.telegram.context import BotContext, locale_of, text
from bot.telegram.ui import StaleButton, need_actor, say, tapped, taps
from issuance.chat import xcert as screens
from issuance.chat.actions import FixProblem, Flag, FlagField, ListProblems, ProblemSheet
from issuance.core.errors import Invalid
from issuance.xcert.completion import FIELDS, SheetRejected, field_label

MAX_SHEET_BYTES = 5 * 2**20


async def flag(update: Update, context: BotContext) -> None:
    """Which field of the record must the school complete?"""
    action = tapped(update, Flag)
    actor = await need_actor(update, context)
    await context.issuance.records_for_act(actor, [action.record])
    await say(update, context, screens.field_choice(action.record, FIELDS))


async def flag_field(update: Update, context: BotContext) -> None:
    """The field is chosen: now the note (and an optional deadline)."""
    action = tapped(update, FlagField)
    if action.field >= len(FIELDS):
        raise StaleButton()
    await need_actor(update, context)
    await awaiting.expect(update, context, "flag", record=action.record, field=FIELDS[action.field])
    await say(update, context, text(update, "completion.ask_note"))


async def note_given(update: Update, context: BotContext, state: dict[str, Any], note: str) -> None:
    actor = await need_actor(update, context)
    problems = await context.completion.flag(actor, [state["record"]], state["field"], note)
    await say(update, context, text(update, "completion.flagged", deadline=problems[0].deadline))


async def list_problems(update: Update, context: BotContext) -> None:
    """The school's open problems with a button per problem."""
    actor = await need_actor(update, context)
    problems = await context.completion.open_for(actor)
    await say(update, context, screens.problem_list(problems))


async def fix(update: Update, context: BotContext) -> None:
    """Ask for the corrected value of one problem."""
    problem_id = tapped(update, FixProblem).problem
    actor = await need_actor(update, context)
    problem = await context.completion.open_problem(actor, problem_id)
    field = field_label(problem.field, locale_of(update))
    await awaiting.expect(update, context, "fix", problem=problem_id)
    question = text(update, "completion.ask_value", field=field, name=problem.student_name)
    await say(update, context, question)


async def value_given(
    update: Update, context: BotContext, state: dict[str, Any], value: str
) -> None:
    actor = await need_actor(update, context)
    try:
        fixed = await context.completion.fix(actor, state["problem"], value)
    except Invalid:
        await awaiting.expect(update, context, "fix", **state)  # still waiting for a good value
        raise
    await say(
        update,
        context,
        text(update, "completion.fixed_all" if fixed.school_done else "completion.fixed_one"),
    )


async def send_sheet(update: Update, context: BotContext) -> None:
    """The problem list as an XLSX to fill in and send back."""
    actor = await need_actor(update, context)
    data = await context.completion.problem_sheet(actor)
    await say(update, context, text(update, "completion.sheet_intro"))
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(chat.id, data, filename="学生信息待完善清单.xlsx")


async def sheet_received(update: Update, context: BotContext) -> None:
    """A corrected XLSX came back: apply it all, or report every bad row."""
    actor = await need_actor(update, context)
    document = update.effective_message.document  # type: ignore[union-attr]
    assert document is not None
    if (document.file_size or 0) > MAX_SHEET_BYTES:
        await say(update, context, text(update, "completion.sheet_too_large"))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheet.xlsx"
        await (await document.get_file()).download_to_drive(path)
        try:
            fixed = await context.completion.apply_sheet(actor, path, locale_of(update))
        except SheetRejected as rejected:
            lines = [rejected.message(locale_of(update))] + [
                text(update, "completion.row_error", row=e.row, column=e.column, message=e.message)
                for e in rejected.errors[:20]
            ]
            await say(update, context, "\n".join(lines))
            return
    await say(
        update,
        context,
        text(
            update,
            "completion.sheet_applied",
            count=len(fixed.problems),
            done=text(update, "completion.fixed_all") if fixed.school_done else "",
        ),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    awaiting.on(app, "flag", note_given)
    awaiting.on(app, "fix", value_given)
    app.add_handler(CallbackQueryHandler(flag, pattern=taps(Flag)))
    app.add_handler(CallbackQueryHandler(flag_field, pattern=taps(FlagField)))
    app.add_handler(CallbackQueryHandler(list_problems, pattern=taps(ListProblems)))
    app.add_handler(CallbackQueryHandler(fix, pattern=taps(FixProblem)))
    app.add_handler(CallbackQueryHandler(send_sheet, pattern=taps(ProblemSheet)))
    app.add_handler(MessageHandler(filters.Document.FileExtension("xlsx"), sheet_received))
