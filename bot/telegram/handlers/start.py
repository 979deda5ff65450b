"""/start [code]: bind this Telegram account to a person with a one-time invite code."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.telegram.context import CHANNEL, BotContext, text


async def start(update: Update, context: BotContext) -> None:
    """绑定: a code binds the account; without one, explain how to get a code."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    if context.args:
        bound = await context.issuance.bind(
            context.args[0], CHANNEL, str(user.id), user.language_code
        )
        await message.reply_text(
            text(update, "bot.start.bound", name=bound.name, org=bound.org_name, role=bound.role)
        )
        return
    person = await context.actor(update)
    if person is None:
        await message.reply_text(text(update, "bot.start.unknown"))
        return
    await message.reply_text(
        text(update, "bot.start.welcome", name=person.name, org=person.org_name)
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
