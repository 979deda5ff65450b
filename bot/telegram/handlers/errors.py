"""The one error handler: domain errors become a clear answer; anything else is logged."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.telegram.context import BotContext, locale_of, text
from issuance.core.errors import DomainError

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Tell the user what went wrong in their language; the bot keeps running."""
    error = context.error
    if not isinstance(update, Update):
        log.warning("bot: %s", error)
        return
    if isinstance(error, DomainError):
        message = error.message(locale_of(update))
    else:
        log.error("bot: unexpected error", exc_info=error)
        message = text(update, "bot.error")
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(message, show_alert=True)
            return
        except TelegramError:
            pass  # answered already: say it in the chat instead
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, message)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_error_handler(on_error)
