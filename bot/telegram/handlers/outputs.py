"""Outputs in the bot: /roster and /print of a department's 审批人 list the schools on its route
(花名册 and 打印预览 of each term; a school's 经办人 keeps its own /print and /roster); /export
(导出) sends evaluators and schools the issuance records XLSX, by batch or status."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.telegram.context import BotContext
from bot.telegram.handlers import gradchat
from bot.telegram.handlers.gradchat import send_files
from bot.telegram.ui import need_actor, say, show, tapped, taps
from issuance.chat import outputs_desk as desk
from issuance.chat.outputs_desk import DeptPreview, DeptRoster, ExportRecords

WORDS = filters.Regex(r"^\s*导出\s*$")


async def roster_command(update: Update, context: BotContext) -> None:
    """/roster [学校代码]: a department's schools, else the school's own terms."""
    actor = await need_actor(update, context)
    if not desk.is_department(actor):
        await gradchat.roster_command(update, context)
        return
    code = context.args[0] if context.args else ""
    await show(
        update, context, await desk.department_terms(context.session(update).printouts, actor, code)
    )


async def print_command(update: Update, context: BotContext) -> None:
    """/print: for a department the same list as /roster, else the 经办人's print desk."""
    actor = await need_actor(update, context)
    if not desk.is_department(actor):
        await gradchat.print_command(update, context)
        return
    await show(
        update, context, await desk.department_terms(context.session(update).printouts, actor)
    )


async def roster(update: Update, context: BotContext) -> None:
    """花名册 of a school on the route: PDF and XLSX."""
    action = tapped(update, DeptRoster)
    actor = await need_actor(update, context)
    files = await desk.roster(context.session(update).printouts, actor, action.school, action.term)
    if update.callback_query:
        await update.callback_query.answer()
    await send_files(update, context, files)


async def preview(update: Update, context: BotContext) -> None:
    """打印预览 of a school on the route."""
    action = tapped(update, DeptPreview)
    actor = await need_actor(update, context)
    picture = await desk.preview(
        context.session(update).printouts, actor, action.school, action.term
    )
    if update.callback_query:
        await update.callback_query.answer()
    await send_files(update, context, [picture])


async def export_command(update: Update, context: BotContext) -> None:
    """/export, 导出: all records, by status or by batch."""
    actor = await need_actor(update, context)
    await say(update, context, await desk.export_choice(context.session(update).issuance, actor))


async def export(update: Update, context: BotContext) -> None:
    action = tapped(update, ExportRecords)
    actor = await need_actor(update, context)
    sheet = await desk.export(context.session(update).issuance, actor, action.batch, action.status)
    if update.callback_query:
        await update.callback_query.answer()
    await send_files(update, context, [sheet])


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("roster", roster_command))
    app.add_handler(CommandHandler("print", print_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & WORDS, export_command))
    for kind, callback in ((DeptRoster, roster), (DeptPreview, preview), (ExportRecords, export)):
        app.add_handler(CallbackQueryHandler(callback, pattern=taps(kind)))
