"""/broadcast (evaluators): notify every school of an exam plan, with a live progress message."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from channels.telegram.context import BotContext, locale_of, text
from channels.telegram.ui import keyboard, need_actor, numbers, say
from issuance.xcert import broadcasting


async def choose_plan(update: Update, context: BotContext) -> None:
    """Pick the exam plan whose pending lists go out."""
    actor = await need_actor(update, context)
    plans = await broadcasting.plans_for(context.issuance, actor)
    if not plans:
        await say(update, context, text(update, "bot.broadcast.no_plans"))
        return
    rows = [
        [(text(update, "bot.broadcast.plan", plan=name, schools=n), f"bc:{plan_id}")]
        for plan_id, name, n in plans
    ]
    await say(update, context, text(update, "bot.broadcast.choose"), keyboard(rows))


async def send(update: Update, context: BotContext) -> None:
    """bc:PLAN: queue the notifications once; the sender keeps the progress message current."""
    (plan_id,) = numbers(update, r"bc:(\d{1,9})")
    actor = await need_actor(update, context)
    await broadcasting.plans_for(context.issuance, actor)
    query = update.callback_query
    assert query is not None and query.message is not None
    if not await context.store.claim_tap(
        str(query.message.chat.id), query.message.message_id, query.data or ""
    ):
        await query.answer(text(update, "bot.already_done"), show_alert=True)
        return
    broadcast_id = await broadcasting.start(context.issuance, actor, plan_id)
    state = await broadcasting.progress(context.issuance, broadcast_id)
    message = await say(update, context, broadcasting.progress_text(state, locale_of(update)))
    await context.store.set_broadcast_progress(
        broadcast_id, str(message.chat_id), message.message_id
    )
    context.wake_sender()


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("broadcast", choose_plan))
    app.add_handler(CallbackQueryHandler(send, pattern=r"^bc:"))
