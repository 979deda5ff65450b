"""/broadcast (evaluators): notify every school of an exam plan, with a live progress message."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext, locale_of
from bot.telegram.ui import say, tap_of, tapped, taps
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import Broadcast
from issuance.chat.xcert import progress_text
from issuance.xcert import broadcasting


async def choose_plan(update: Update, context: BotContext) -> None:
    """Pick the exam plan whose pending lists go out."""
    await say(update, context, await desk.broadcast_plans(context.session(update)))


async def send(update: Update, context: BotContext) -> None:
    """Queue the notifications once; the sender keeps the progress message current."""
    action = tapped(update, Broadcast)
    session = context.session(update)
    state = await desk.start_broadcast(session, action.plan, tap_of(update))
    message = await say(update, context, progress_text(state).render(locale_of(update)))
    await broadcasting.show_progress(
        session.issuance, state.id, str(message.chat_id), message.message_id
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("broadcast", choose_plan))
    app.add_handler(CallbackQueryHandler(send, pattern=taps(Broadcast)))
