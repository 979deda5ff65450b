"""/start [code]: bind this Telegram account to a person with a one-time invite code."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.telegram.context import BotContext, locale_of
from issuance.chat import account_desk


async def start(update: Update, context: BotContext) -> None:
    """绑定: a code binds the account; without one, explain how to get a code."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    code = context.args[0] if context.args else None
    answer = await account_desk.bind(context.session(update), code, user.language_code)
    await message.reply_text(answer.render(locale_of(update)).text)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
