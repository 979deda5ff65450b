"""Free-text answers the bot asked for, over the chat layer's stored `Conversation`.

Features register what to do with an answer under a name (in the Application's `Answers`, built
with it); one text handler dispatches.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.telegram.context import Answer, BotContext, Services


def on(app: Application, name: str, answer: Answer) -> None:  # type: ignore[type-arg]
    """Register what to do with a text answer awaited under `name`."""
    services: Services = app.bot_data
    services.answers.on(name, answer)


async def expect(update: Update, context: BotContext, name: str, **data: Any) -> None:
    """Wait for the user's next text as the answer `name`, replacing any earlier question."""
    assert context.services.answers.knows(name), name
    await context.conversation(update).expect(name, **data)


async def dispatch(update: Update, context: BotContext) -> bool:
    """Give the text to whatever awaits it; False when nothing does."""
    message = update.effective_message
    awaited = await context.conversation(update).take_awaited()
    if awaited is None or message is None or message.text is None:
        return False
    answer = context.services.answers.handler(awaited.name)
    if answer is None:
        return False
    await answer(update, context, awaited.data, message.text)
    return True
