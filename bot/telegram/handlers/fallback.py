"""What nothing else handled: awaited text answers, stale or forged buttons, stray messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.telegram.context import BotContext, text
from bot.telegram.ui import say
from issuance.chat import answers

# An answer that is more than a screen (a document, a picture): the feature that asked handles
# it here, (update, context, what was asked with, the text).
Answer = Callable[[Update, BotContext, dict[str, Any], str], Awaitable[None]]
_ANSWERS: dict[str, Answer] = {}


def on(name: str, answer: Answer) -> None:
    """Let `answer` take the text that answers the question `name`."""
    _ANSWERS[name] = answer


async def text_answer(update: Update, context: BotContext) -> None:
    """Text is an answer to a question the bot asked, or else a hint to use the menu."""
    message = update.effective_message
    assert message is not None and message.text is not None
    session = context.session(update)
    awaited = await session.conversation.take_awaited()
    if awaited is not None and awaited.name in _ANSWERS:
        await _ANSWERS[awaited.name](update, context, awaited.data, message.text)
        return
    reply = await answers.reply(session, awaited, message.text)
    if reply is None:
        await message.reply_text(text(update, "bot.unknown_text"))
        return
    await say(update, context, reply)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button whose data matches no feature: forged, or from an older version of the bot."""
    query = update.callback_query
    assert query is not None
    await query.answer(text(update, "bot.stale_button"), show_alert=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text_answer))
    app.add_handler(CallbackQueryHandler(stale_button))
