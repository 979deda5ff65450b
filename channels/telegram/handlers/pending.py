"""/pending (待签发): the signer's batches with counts, and a batch page by page."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from channels.telegram.context import CHANNEL, BotContext, locale_of
from channels.telegram.handlers import graduation
from channels.telegram.ui import need_actor, numbers, show
from channels.telegram.views import batch_view, pending_list
from issuance.graduation.desk import is_graduation
from issuance.xcert import desk

SELECTION = "selection"


async def pending(update: Update, context: BotContext) -> None:
    """The batches this person's organization issues or signs, with status counts."""
    actor = await need_actor(update, context)
    if is_graduation(actor):
        await graduation.pending(update, context)
        return
    batches = await context.issuance.visible_batches(actor)
    await show(update, context, *pending_list(batches, locale_of(update)))


async def open_batch(update: Update, context: BotContext) -> None:
    """One page of a batch (b:BATCH:PAGE)."""
    batch_id, page = numbers(update, r"b:(\d{1,9}):(\d{1,5})")
    await render(update, context, batch_id, page)


async def toggle(update: Update, context: BotContext) -> None:
    """Tick or untick a record for a batch act (t:RECORD:PAGE)."""
    record_id, page = numbers(update, r"t:(\d{1,9}):(\d{1,5})")
    actor = await need_actor(update, context)
    (record,) = await context.issuance.records_for_act(actor, [record_id])
    picked = await selection(update, context, record.batch_id)
    picked ^= {record_id}
    await save_selection(update, context, record.batch_id, picked)
    await render(update, context, record.batch_id, page)


async def render(update: Update, context: BotContext, batch_id: int, page: int) -> None:
    actor = await need_actor(update, context)
    view = await desk.batch_page(context.issuance, actor, batch_id, page)
    picked = await selection(update, context, batch_id)
    await show(update, context, *batch_view(view, picked, locale_of(update)))


async def selection(update: Update, context: BotContext, batch_id: int) -> set[int]:
    user = update.effective_user
    assert user is not None
    state = await context.store.chat_state(CHANNEL, str(user.id), SELECTION) or {}
    return set(state.get("ids", [])) if state.get("batch") == batch_id else set()


async def save_selection(update: Update, context: BotContext, batch_id: int, ids: set[int]) -> None:
    user = update.effective_user
    assert user is not None
    await context.store.set_chat_state(
        CHANNEL, str(user.id), SELECTION, {"batch": batch_id, "ids": sorted(ids)}
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("pending", pending))
    app.add_handler(CallbackQueryHandler(open_batch, pattern=r"^b:"))
    app.add_handler(CallbackQueryHandler(toggle, pattern=r"^t:"))
