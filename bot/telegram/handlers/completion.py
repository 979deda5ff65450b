"""完善学生信息 in chat: the evaluator flags a record; the school fixes fields or sends an XLSX."""

from __future__ import annotations

import tempfile
from pathlib import Path

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.telegram.context import BotContext, locale_of, text
from bot.telegram.ui import need_actor, say, tapped, taps
from issuance.chat import completion_desk as desk
from issuance.chat import xcert as screens
from issuance.chat.actions import FixProblem, Flag, FlagField, ListProblems, ProblemSheet
from issuance.xcert.completion import FIELDS, SheetRejected, field_label

MAX_SHEET_BYTES = 5 * 2**20


async def flag(update: Update, context: BotContext) -> None:
    """Which field of the record must the school complete?"""
    action = tapped(update, Flag)
    await desk.check_flaggable(context.session(update), action.record)
    await say(update, context, screens.field_choice(action.record, FIELDS))


async def flag_field(update: Update, context: BotContext) -> None:
    """The field is chosen: now the note (and an optional deadline)."""
    action = tapped(update, FlagField)
    await desk.ask_note(context.session(update), action.record, action.field)
    await say(update, context, text(update, "completion.ask_note"))


async def list_problems(update: Update, context: BotContext) -> None:
    """The school's open problems with a button per problem."""
    actor = await need_actor(update, context)
    problems = await context.session(update).completion.open_for(actor)
    await say(update, context, screens.problem_list(problems))


async def fix(update: Update, context: BotContext) -> None:
    """Ask for the corrected value of one problem."""
    problem = await desk.ask_value(context.session(update), tapped(update, FixProblem).problem)
    field = field_label(problem.field, locale_of(update))
    question = text(update, "completion.ask_value", field=field, name=problem.student_name)
    await say(update, context, question)


async def send_sheet(update: Update, context: BotContext) -> None:
    """The problem list as an XLSX to fill in and send back."""
    actor = await need_actor(update, context)
    data = await context.session(update).completion.problem_sheet(actor)
    await say(update, context, text(update, "completion.sheet_intro"))
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(chat.id, data, filename="学生信息待完善清单.xlsx")


async def sheet_received(update: Update, context: BotContext) -> None:
    """A corrected XLSX came back: apply it all, or report every bad row."""
    actor = await need_actor(update, context)
    completion = context.session(update).completion
    document = update.effective_message.document  # type: ignore[union-attr]
    assert document is not None
    if (document.file_size or 0) > MAX_SHEET_BYTES:
        await say(update, context, text(update, "completion.sheet_too_large"))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheet.xlsx"
        await (await document.get_file()).download_to_drive(path)
        try:
            fixed = await completion.apply_sheet(actor, path, locale_of(update))
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
    app.add_handler(CallbackQueryHandler(flag, pattern=taps(Flag)))
    app.add_handler(CallbackQueryHandler(flag_field, pattern=taps(FlagField)))
    app.add_handler(CallbackQueryHandler(list_problems, pattern=taps(ListProblems)))
    app.add_handler(CallbackQueryHandler(fix, pattern=taps(FixProblem)))
    app.add_handler(CallbackQueryHandler(send_sheet, pattern=taps(ProblemSheet)))
    app.add_handler(MessageHandler(filters.Document.FileExtension("xlsx"), sheet_received))
