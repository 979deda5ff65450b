"""Graduation declarations in chat: 审核通过 / 审批通过 / 退回 (its reason asked, kept across
restarts) / 重新申报 taps, 发放 for the 发放员, and the 经办人's graduates file."""

from __future__ import annotations

import tempfile
from pathlib import Path

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.telegram.context import BotContext, locale_of, text
from bot.telegram.ui import need_actor, say, tapped, taps
from issuance.chat import grad_desk as desk
from issuance.chat.graduation import (
    ApproveRequest,
    IssueBlanks,
    Redeclare,
    ReturnRequest,
    ReviewRequest,
)
from issuance.core.people import Role

MAX_FILE_BYTES = 20 * 2**20


async def act(update: Update, context: BotContext) -> None:
    """审核通过 / 审批通过 / 重新申报: the whole request, as the button saw it."""
    action = tapped(update, ReviewRequest | ApproveRequest | Redeclare)  # type: ignore[arg-type]
    actor = await need_actor(update, context)
    answer = await desk.act(context.session(update).graduation, actor, action)
    await say(update, context, answer)


async def ask_reason(update: Update, context: BotContext) -> None:
    """退回: ask for the reason (the question is kept in the database)."""
    action = tapped(update, ReturnRequest)
    await say(update, context, await desk.ask_return(context.session(update), action))


async def ask_first_serial(update: Update, context: BotContext) -> None:
    """发放: ask the 发放员 for the first serial of the blanks to hand out."""
    action = tapped(update, IssueBlanks)
    await say(update, context, await desk.ask_first_serial(context.session(update), action))


async def file_received(update: Update, context: BotContext) -> None:
    """A 经办人's graduates file (XLSX or CSV): imported all or nothing. Others' files go on to
    the next handler group (the X-certificate completion sheet)."""
    session = context.session(update)
    actor = await session.actor()
    message = update.effective_message
    if actor is None or actor.role != Role.CLERK or message is None or not message.document:
        return
    document = message.document
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await say(update, context, text(update, "grad.file.too_large"))
        raise ApplicationHandlerStop
    await say(update, context, text(update, "grad.file.received"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(document.file_name or "graduates.xlsx").name
        await (await document.get_file()).download_to_drive(path)
        answer = await desk.import_file(session.graduation, actor, path, locale_of(update))
    await say(update, context, answer)
    raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    for kind in (ReviewRequest, ApproveRequest, Redeclare):
        app.add_handler(CallbackQueryHandler(act, pattern=taps(kind)))
    app.add_handler(CallbackQueryHandler(ask_reason, pattern=taps(ReturnRequest)))
    app.add_handler(CallbackQueryHandler(ask_first_serial, pattern=taps(IssueBlanks)))
    files = filters.Document.FileExtension("xlsx") | filters.Document.FileExtension("csv")
    # An earlier group: a 经办人's file stops here, anyone else's reaches the completion sheet.
    app.add_handler(MessageHandler(files, file_received), group=-1)
