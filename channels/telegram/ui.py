"""Small helpers every handler uses to answer: keyboards, replies, callback data."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from channels.telegram.context import BotContext, text
from issuance.core.errors import DomainError
from issuance.core.people import Person

Rows = list[list[tuple[str, str]]]


class StaleButton(DomainError):
    """A button whose data we did not make, or no longer understand."""

    def __init__(self) -> None:
        super().__init__("bot.stale_button")


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    """Inline keyboard from rows of (label, callback data); data starting with http is a link."""
    if not any(rows):
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, url=data)
                if data.startswith("http")
                else InlineKeyboardButton(label, callback_data=data)
                for label, data in row
            ]
            for row in rows
            if row
        ]
    )


def numbers(update: Update, pattern: str) -> list[int]:
    """The integers carried by the tapped button's data, checked against `pattern`."""
    query = update.callback_query
    match = re.fullmatch(pattern, query.data or "") if query else None
    if match is None:
        raise StaleButton()
    return [int(group) for group in match.groups()]


async def say(
    update: Update, context: BotContext, message: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Send a new message to the chat of the update (answering a tap first)."""
    if update.callback_query:
        await update.callback_query.answer()
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(chat.id, message, reply_markup=markup)


async def show(
    update: Update, context: BotContext, message: str, markup: InlineKeyboardMarkup | None = None
) -> Message | bool:
    """Replace the tapped message with this view, or send it when it was a command."""
    query = update.callback_query
    if query is None or query.message is None:
        return await say(update, context, message, markup)
    await query.answer()
    return await query.edit_message_text(message, reply_markup=markup)


async def need_actor(update: Update, context: BotContext) -> Person:
    """The bound person behind the update, or a DomainError telling how to bind."""
    person = await context.actor(update)
    if person is None:
        raise DomainError("bot.not_bound")
    return person


def chat_ref(update: Update, message: Message) -> dict[str, object]:
    """Where a later edit must go: chat, message and the user's language."""
    user = update.effective_user
    return {
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "locale": "en" if user and (user.language_code or "").startswith("en") else "zh",
    }


__all__ = [
    "Rows",
    "StaleButton",
    "chat_ref",
    "keyboard",
    "need_actor",
    "numbers",
    "say",
    "show",
    "text",
]
