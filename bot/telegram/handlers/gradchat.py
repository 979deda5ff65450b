"""Graduation printouts in the bot: /print (打印 with its preview, 校准页), /roster (花名册) for
the school, /stats [YEAR] (统计) for the departments; files as documents, pictures as photos."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext, locale_of, text
from bot.telegram.ui import need_actor, say, show, tapped, taps
from issuance.chat import print_desk as printdesk
from issuance.chat.gradchat import CalibrationPage, OutFile, PrintTerm, RosterOf

# Bot API limits for uploads: photos up to 10 MB, documents up to 50 MB.
PHOTO_BYTES = 10 * 2**20
DOCUMENT_BYTES = 50 * 2**20


async def send_files(update: Update, context: BotContext, files: Sequence[OutFile]) -> None:
    """Each file as a document (a picture as a photo when small enough), with its caption."""
    chat = update.effective_chat
    assert chat is not None
    for file in files:
        caption = file.caption.render(locale_of(update))
        if len(file.data) > DOCUMENT_BYTES:
            size = f"{len(file.data) / 2**20:.1f}"
            limit = DOCUMENT_BYTES // 2**20
            await say(
                update,
                context,
                text(update, "gradchat.too_large", name=file.name, size=size, limit=limit),
            )
        elif file.picture and len(file.data) <= PHOTO_BYTES:
            await context.bot.send_photo(chat.id, file.data, caption=caption)
        else:
            await context.bot.send_document(chat.id, file.data, filename=file.name, caption=caption)


async def print_command(update: Update, context: BotContext) -> None:
    """/print: the 经办人's approved terms with 打印, 花名册 and 校准页."""
    actor = await need_actor(update, context)
    await show(update, context, await printdesk.terms(context.session(update).printouts, actor))


async def print_term(update: Update, context: BotContext) -> None:
    """打印: the print PDF and the preview of its first page."""
    action = tapped(update, PrintTerm)
    actor = await need_actor(update, context)
    desk = context.session(update).printouts
    await printdesk.own_school(desk, actor, action.school)
    await say(update, context, text(update, "gradchat.preparing"))
    await send_files(
        update, context, await printdesk.print_files(desk, actor, action.school, action.term)
    )


async def calibration(update: Update, context: BotContext) -> None:
    """校准页: the calibration test page."""
    action = tapped(update, CalibrationPage)
    actor = await need_actor(update, context)
    files = await printdesk.calibration_file(
        context.session(update).printouts, actor, action.school
    )
    if update.callback_query:
        await update.callback_query.answer()
    await send_files(update, context, files)


async def roster_command(update: Update, context: BotContext) -> None:
    """/roster: the school's approved terms, each with 花名册."""
    actor = await need_actor(update, context)
    await show(update, context, await printdesk.rosters(context.session(update).printouts, actor))


async def roster(update: Update, context: BotContext) -> None:
    """花名册: the roster PDF and XLSX (ID numbers masked)."""
    action = tapped(update, RosterOf)
    actor = await need_actor(update, context)
    files = await printdesk.roster_files(
        context.session(update).printouts, actor, action.school, action.term
    )
    if update.callback_query:
        await update.callback_query.answer()
    await send_files(update, context, files)


async def stats(update: Update, context: BotContext) -> None:
    """/stats [YEAR]: the table and bar chart of the schools under the asker's department."""
    actor = await need_actor(update, context)
    year = context.args[0] if context.args else None
    table, chart = await printdesk.stats(context.session(update).printouts, actor, year)
    await say(update, context, table)
    if chart is not None:
        await send_files(update, context, [chart])


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("print", print_command))
    app.add_handler(CommandHandler("roster", roster_command))
    app.add_handler(CommandHandler("stats", stats))
    app.add_handler(CallbackQueryHandler(print_term, pattern=taps(PrintTerm)))
    app.add_handler(CallbackQueryHandler(calibration, pattern=taps(CalibrationPage)))
    app.add_handler(CallbackQueryHandler(roster, pattern=taps(RosterOf)))
