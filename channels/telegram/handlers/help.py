"""/help: what this person can do here, by role."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from channels.telegram.context import BotContext, text


async def help_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    person = await context.actor(update)
    role = person.role if person else "guest"
    key = {"负责人": "head", "业务管理员": "staff", "签发人": "evaluator"}.get(role, "guest")
    await message.reply_text(text(update, f"bot.help.{key}"))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("help", help_command))
