"""拒绝签发: ask for the reason (kept in the database across restarts), then refuse."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext
from bot.telegram.ui import say, tapped, taps
from issuance.chat import account_desk
from issuance.chat import xcert as screens
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import Cancel, Refuse, RefuseSelected


async def refuse_one(update: Update, context: BotContext) -> None:
    """拒绝签发 on one record, as seen at its version: ask why."""
    action = tapped(update, Refuse)
    await ask_reason(update, context, {action.record: action.version})


async def refuse_selected(update: Update, context: BotContext) -> None:
    """拒绝签发 on the ticked records of a batch."""
    action = tapped(update, RefuseSelected)
    picked = await context.session(update).conversation.selection(action.batch)
    await ask_reason(update, context, dict.fromkeys(sorted(picked), 0))


async def ask_reason(update: Update, context: BotContext, versions: dict[int, int]) -> None:
    records = await desk.ask_refusal(context.session(update), versions)
    await say(update, context, screens.ask_reason(records))


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel or the 取消 button: forget whatever the bot was waiting for."""
    await say(update, context, await account_desk.cancel(context.session(update)))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(refuse_one, pattern=taps(Refuse)))
    app.add_handler(CallbackQueryHandler(refuse_selected, pattern=taps(RefuseSelected)))
    app.add_handler(CommandHandler("cancel", cancel))
    app.add_handler(CallbackQueryHandler(cancel, pattern=taps(Cancel)))
