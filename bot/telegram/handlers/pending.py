"""/pending (待签发): the signer's batches with counts, and a batch page by page."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext
from bot.telegram.handlers import graduation
from bot.telegram.ui import need_actor, show, tapped, taps
from issuance.chat import xcert as screens
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import OpenBatch, Toggle
from issuance.chat.grad_desk import is_graduation


async def pending(update: Update, context: BotContext) -> None:
    """The batches this person's organization issues or signs, with status counts."""
    actor = await need_actor(update, context)
    if is_graduation(actor):
        await graduation.pending(update, context)
        return
    batches = await context.issuance.visible_batches(actor)
    await show(update, context, screens.pending_list(batches))


async def open_batch(update: Update, context: BotContext) -> None:
    """One page of a batch."""
    action = tapped(update, OpenBatch)
    await render(update, context, action.batch, action.page)


async def toggle(update: Update, context: BotContext) -> None:
    """Tick or untick a record for a batch act."""
    action = tapped(update, Toggle)
    actor = await need_actor(update, context)
    (record,) = await context.issuance.records_for_act(actor, [action.record])
    conversation = context.conversation(update)
    picked = await conversation.selection(record.batch_id)
    await conversation.select(record.batch_id, picked ^ {record.id})
    await render(update, context, record.batch_id, action.page)


async def render(update: Update, context: BotContext, batch_id: int, page: int) -> None:
    actor = await need_actor(update, context)
    view = await desk.batch_page(context.issuance, actor, batch_id, page)
    picked = await context.conversation(update).selection(batch_id)
    await show(update, context, screens.batch_page(view, picked))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("pending", pending))
    app.add_handler(CallbackQueryHandler(open_batch, pattern=taps(OpenBatch)))
    app.add_handler(CallbackQueryHandler(toggle, pattern=taps(Toggle)))
