"""/pending (待签发): the signer's batches with counts, and a batch page by page."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext
from bot.telegram.ui import need_actor, show, tapped, taps
from issuance.chat import account_desk
from issuance.chat import xcert as screens
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import OpenBatch, Toggle


async def pending(update: Update, context: BotContext) -> None:
    """The batches this person's organization issues or signs, with status counts (for
    graduation people, what waits for them)."""
    await show(update, context, await account_desk.pending(context.session(update)))


async def open_batch(update: Update, context: BotContext) -> None:
    """One page of a batch."""
    action = tapped(update, OpenBatch)
    await render(update, context, action.batch, action.page)


async def toggle(update: Update, context: BotContext) -> None:
    """Tick or untick a record for a batch act."""
    action = tapped(update, Toggle)
    batch_id = await desk.toggle(context.session(update), action.record)
    await render(update, context, batch_id, action.page)


async def render(update: Update, context: BotContext, batch_id: int, page: int) -> None:
    actor = await need_actor(update, context)
    session = context.session(update)
    view = await desk.batch_page(session.issuance, actor, batch_id, page)
    picked = await session.conversation.selection(batch_id)
    await show(update, context, screens.batch_page(view, picked))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("pending", pending))
    app.add_handler(CallbackQueryHandler(open_batch, pattern=taps(OpenBatch)))
    app.add_handler(CallbackQueryHandler(toggle, pattern=taps(Toggle)))
