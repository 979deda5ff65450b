"""/broadcast (evaluators): notify every school of an exam plan, with a live progress message."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext, locale_of, text
from bot.telegram.ui import need_actor, say, tapped, taps
from issuance.chat import xcert as screens
from issuance.chat.actions import Broadcast
from issuance.xcert import broadcasting


async def choose_plan(update: Update, context: BotContext) -> None:
    """Pick the exam plan whose pending lists go out."""
    actor = await need_actor(update, context)
    plans = await broadcasting.plans_for(context.issuance, actor)
    await say(update, context, screens.plan_choice(plans))


async def send(update: Update, context: BotContext) -> None:
    """Queue the notifications once; the sender keeps the progress message current."""
    action = tapped(update, Broadcast)
    actor = await need_actor(update, context)
    query = update.callback_query
    assert query is not None and query.message is not None
    if not await context.store.claim_tap(
        str(query.message.chat.id), query.message.message_id, query.data or ""
    ):
        await query.answer(text(update, "bot.already_done"), show_alert=True)
        return
    state = await broadcasting.start(context.issuance, actor, action.plan)
    message = await say(update, context, screens.progress_text(state).render(locale_of(update)))
    await broadcasting.show_progress(
        context.issuance, state.id, str(message.chat_id), message.message_id
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("broadcast", choose_plan))
    app.add_handler(CallbackQueryHandler(send, pattern=taps(Broadcast)))
