"""申报 TERM, 申领 COUNT and 登记打印 TERM FIRST in the bot: the 经办人 declares a term's
graduates, requests blanks, books the printed blanks (the same desk as WeCom's); another role's
text goes on to whatever awaits it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.telegram.context import BotContext
from bot.telegram.handlers.fallback import text_answer
from bot.telegram.ui import need_actor, say
from issuance.chat import declare_desk as desk
from issuance.core.people import Role

WORDS = filters.Regex(desk.LINE)


async def word(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    actor = await need_actor(update, context)
    if actor.role != Role.CLERK:
        await text_answer(update, context)
        return
    verb, *args = message.text.split()
    await say(update, context, await desk.act(context.session(update), actor, verb, args))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & WORDS, word))
