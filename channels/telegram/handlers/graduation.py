"""Graduation declarations in chat: 审核通过 / 审批通过 / 退回 (its reason asked, kept across
restarts) / 重新申报 taps, /pending for graduation people, the 经办人's graduates file."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from channels.telegram import awaiting
from channels.telegram.context import BotContext, locale_of, text
from channels.telegram.ui import StaleButton, keyboard, need_actor, say, show
from issuance.graduation import desk
from issuance.graduation.actions import GradAction
from issuance.graduation.chains import CLERK
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock

MAX_FILE_BYTES = 20 * 2**20
RETURN = "grad_return"
ISSUE = "grad_issue"


def graduation(context: BotContext) -> Graduation:
    return Graduation(context.store, context.settings)


async def pending(update: Update, context: BotContext) -> None:
    """/pending of a graduation person: what waits for them, with counts and buttons."""
    actor = await need_actor(update, context)
    view = await desk.pending(graduation(context), actor, locale_of(update))
    if view is None:
        await show(update, context, text(update, "grad.pending.none"))
        return
    await show(update, context, view.text, keyboard(view.rows))


async def tapped(update: Update, context: BotContext) -> None:
    """A graduation button: act at once, or ask for the reason of a 退回."""
    query = update.callback_query
    action = GradAction.parse(query.data or "") if query else None
    if action is None:
        raise StaleButton()
    actor = await need_actor(update, context)
    if action.verb == "return":
        await desk.check_returnable(graduation(context), actor, action)
        await awaiting.expect(
            update, context, RETURN, request=action.request_id, round=action.round
        )
        ask = text(update, "grad.reason.ask")
        await say(update, context, ask, keyboard([[(text(update, "bot.button.cancel"), "x")]]))
        return
    if action.verb == "issue":
        await desk.check_issuable(graduation(context), actor, action)
        await awaiting.expect(update, context, ISSUE, request=action.request_id)
        ask = text(update, "grad.issue.ask")
        await say(update, context, ask, keyboard([[(text(update, "bot.button.cancel"), "x")]]))
        return
    answer = await desk.act(graduation(context), actor, action, locale_of(update))
    context.wake_sender()
    await say(update, context, answer)


async def reason_given(
    update: Update, context: BotContext, state: dict[str, Any], reason: str
) -> None:
    """The reason of a 退回 arrived (perhaps after a restart): return the request with it."""
    actor = await need_actor(update, context)
    answer = await desk.return_(
        graduation(context), actor, state["request"], state["round"], reason, locale_of(update)
    )
    context.wake_sender()
    await say(update, context, answer)


async def first_serial_given(
    update: Update, context: BotContext, state: dict[str, Any], first: str
) -> None:
    """The 发放员 typed the first serial: hand the approved request's blanks out."""
    actor = await need_actor(update, context)
    stock = Stock(context.store, context.settings)
    answer = await desk.issue(stock, actor, state["request"], first, locale_of(update))
    context.wake_sender()
    await say(update, context, answer)


async def file_received(update: Update, context: BotContext) -> None:
    """A 经办人's graduates file (XLSX or CSV): imported all or nothing. Others' files go on to
    the next handler group (the X-certificate completion sheet)."""
    actor = await context.actor(update)
    message = update.effective_message
    if actor is None or actor.role != CLERK or message is None or message.document is None:
        return
    document = message.document
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await say(update, context, text(update, "grad.file.too_large"))
        raise ApplicationHandlerStop
    await say(update, context, text(update, "grad.file.received"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(document.file_name or "graduates.xlsx").name
        await (await document.get_file()).download_to_drive(path)
        answer = await desk.import_file(graduation(context), actor, path, locale_of(update))
    await say(update, context, answer)
    raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    awaiting.on(RETURN, reason_given)
    awaiting.on(ISSUE, first_serial_given)
    app.add_handler(CallbackQueryHandler(tapped, pattern=r"^g:"))
    files = filters.Document.FileExtension("xlsx") | filters.Document.FileExtension("csv")
    # An earlier group: a 经办人's file stops here, anyone else's reaches the completion sheet.
    app.add_handler(MessageHandler(files, file_received), group=-1)
