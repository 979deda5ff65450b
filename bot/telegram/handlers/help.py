"""/help: what this person can do here, by role."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.telegram.context import BotContext, locale_of
from issuance.chat import account_desk


async def help_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    answer = await account_desk.help_topic(context.session(update))
    await message.reply_text(answer.render(locale_of(update)).text)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("help", help_command))
