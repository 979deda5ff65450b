"""Free-text answers the bot asked for (a refusal reason, a corrected field, a certificate number).

What is awaited lives in the database (`chat_state`, kind 'await'), so it survives a restart.
Features register what to do with the answer under a name; one text handler dispatches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from channels.telegram.context import CHANNEL, BotContext

Answer = Callable[[Update, BotContext, dict[str, Any], str], Awaitable[None]]
_ANSWERS: dict[str, Answer] = {}
KIND = "await"


def on(name: str, answer: Answer) -> None:
    """Register what to do with a text answer awaited under `name`."""
    _ANSWERS[name] = answer


async def expect(update: Update, context: BotContext, name: str, **data: Any) -> None:
    """Wait for the user's next text as the answer `name`, replacing any earlier question."""
    assert name in _ANSWERS, name
    user = update.effective_user
    assert user is not None
    await context.store.set_chat_state(CHANNEL, str(user.id), KIND, {"name": name, **data})


async def take(update: Update, context: BotContext) -> dict[str, Any] | None:
    """The awaited answer's state, removed (so an answer acts once)."""
    user = update.effective_user
    assert user is not None
    return await context.store.take_chat_state(CHANNEL, str(user.id), KIND)


async def dispatch(update: Update, context: BotContext) -> bool:
    """Give the text to whatever awaits it; False when nothing does."""
    message = update.effective_message
    state = await take(update, context)
    if state is None or message is None or message.text is None:
        return False
    answer = _ANSWERS.get(state.pop("name"))
    if answer is None:
        return False
    await answer(update, context, state, message.text)
    return True
