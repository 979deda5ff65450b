"""The evaluation organization after a refusal: resubmit the corrected record (重新提交签发)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.telegram.context import BotContext, text
from bot.telegram.ui import need_actor, say, tapped, taps
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import Resubmit


async def resubmit(update: Update, context: BotContext) -> None:
    """Send the record through sign-off again; the school hears of it."""
    action = tapped(update, Resubmit)
    actor = await need_actor(update, context)
    record = await desk.resubmit(context.issuance, actor, action.record, action.version)
    context.wake_sender()
    await say(
        update,
        context,
        text(update, "bot.resubmit.done", name=record.student_name, status=record.status),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(resubmit, pattern=taps(Resubmit)))
