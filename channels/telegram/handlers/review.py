"""The evaluation organization after a refusal: resubmit the corrected record (重新提交签发)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from channels.telegram.context import BotContext, text
from channels.telegram.ui import need_actor, numbers, say
from issuance.xcert import desk, notices


async def resubmit(update: Update, context: BotContext) -> None:
    """rs:RECORD:VERSION: send the record through sign-off again; the school hears of it."""
    record_id, version = numbers(update, r"rs:(\d{1,9}):(\d{1,9})")
    actor = await need_actor(update, context)
    await desk.check_version(context.issuance, actor, record_id, version)
    (record,) = await context.issuance.resubmit(actor, [record_id])
    await notices.resubmitted(context.store, record)
    context.wake_sender()
    await say(
        update,
        context,
        text(update, "bot.resubmit.done", name=record.student_name, status=record.status),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(resubmit, pattern=r"^rs:"))
