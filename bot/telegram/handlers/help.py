"""/help: what this person can do here, by role."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.telegram.context import BotContext, text
from issuance.chat.screens import help_topic


async def help_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    person = await context.actor(update)
    await message.reply_text(text(update, f"bot.help.{help_topic(person)}"))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("help", help_command))
