"""Small helpers every handler uses to answer: screens as inline keyboards, replies, taps."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, WebAppInfo

from bot.telegram.context import CHANNEL, BotContext, locale_of
from issuance.chat.actions import Action, parse
from issuance.chat.screens import Screen
from issuance.chat.session import Tap
from issuance.core.errors import DomainError
from issuance.core.people import Person

A = TypeVar("A", bound=Action)


class StaleButton(DomainError):
    """A button whose data we did not make, or no longer understand."""

    def __init__(self) -> None:
        super().__init__("bot.stale_button")


def keyboard(
    rows: list[list[dict[str, str]]] | None, web_app: bool = False
) -> InlineKeyboardMarkup | None:
    """The inline keyboard of rendered buttons ({"text", "callback_data" | "url"}, as screens
    render them and outbox payloads carry them); `web_app` opens links as a Mini App."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b["text"], web_app=WebAppInfo(b["url"]))
                if web_app and "url" in b
                else InlineKeyboardButton(
                    b["text"], callback_data=b.get("callback_data"), url=b.get("url")
                )
                for b in row
            ]
            for row in rows
            if row
        ]
    )


def taps(kind: type[Action]) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern: button data that parses as a `kind` action."""
    return lambda data: isinstance(data, str) and isinstance(parse(data), kind)


def tapped(update: Update, kind: type[A]) -> A:
    """The typed action of the tapped button, or StaleButton."""
    query = update.callback_query
    action = parse(query.data if query else None)
    if not isinstance(action, kind):
        raise StaleButton()
    return action


async def say(
    update: Update,
    context: BotContext,
    message: str | Screen,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send a new message to the chat of the update (answering a tap first)."""
    if update.callback_query:
        await update.callback_query.answer()
    chat = update.effective_chat
    assert chat is not None
    message, markup = _shown(update, message, markup)
    return await context.bot.send_message(chat.id, message, reply_markup=markup)


async def show(update: Update, context: BotContext, message: str | Screen) -> Message | bool:
    """Replace the tapped message with this view, or send it when it was a command."""
    query = update.callback_query
    if query is None or query.message is None:
        return await say(update, context, message)
    await query.answer()
    text, markup = _shown(update, message, None)
    return await query.edit_message_text(text, reply_markup=markup)


def _shown(
    update: Update, message: str | Screen, markup: InlineKeyboardMarkup | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    if isinstance(message, str):
        return message, markup
    rendered = message.render(locale_of(update))
    return rendered.text, keyboard(rendered.buttons)


async def need_actor(update: Update, context: BotContext) -> Person:
    """The bound person behind the update, or a DomainError telling how to bind."""
    return await context.session(update).need_actor()


def tap_of(update: Update) -> Tap:
    """The tapped button, as the key that lets it act once."""
    query = update.callback_query
    assert query is not None and query.message is not None
    return Tap(str(query.message.chat.id), query.message.message_id, query.data or "")


def chat_ref(message: Message) -> dict[str, object]:
    """Where a later edit of this message must go."""
    return {"channel": CHANNEL, "chat_id": message.chat_id, "message_id": message.message_id}


__all__ = [
    "StaleButton",
    "chat_ref",
    "keyboard",
    "need_actor",
    "say",
    "show",
    "tap_of",
    "tapped",
    "taps",
]
