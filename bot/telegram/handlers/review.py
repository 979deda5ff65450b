"""The evaluation organization after a refusal: resubmit the corrected record (重新提交签发)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.telegram.context import BotContext
from bot.telegram.ui import say, tapped, taps
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import Resubmit


async def resubmit(update: Update, context: BotContext) -> None:
    """Send the record through sign-off again; the school hears of it."""
    action = tapped(update, Resubmit)
    answer = await desk.resubmit_tapped(context.session(update), action.record, action.version)
    await say(update, context, answer)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(resubmit, pattern=taps(Resubmit)))
