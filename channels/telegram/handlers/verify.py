"""/verify (证书查验): certificate number + ID number → valid / void / not found, throttled."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from channels.telegram import awaiting
from channels.telegram.context import BotContext, text
from channels.telegram.ui import say
from issuance.core.errors import Invalid


async def verify(update: Update, context: BotContext) -> None:
    """With both numbers, answer; otherwise ask for them."""
    if len(context.args or []) == 2:
        await answer(update, context, *context.args)  # type: ignore[misc]
        return
    await awaiting.expect(update, context, "verify")
    await say(update, context, text(update, "bot.verify.ask"))


async def numbers_given(
    update: Update, context: BotContext, state: dict[str, Any], reply: str
) -> None:
    parts = reply.split()
    if len(parts) != 2:
        await awaiting.expect(update, context, "verify")
        raise Invalid("bot.verify.format")
    await answer(update, context, *parts)


async def answer(update: Update, context: BotContext, cert_no: str, id_number: str) -> None:
    throttle(context, update)
    result = await context.issuance.verify(cert_no, id_number)
    await say(
        update,
        context,
        text(update, f"bot.verify.{result.status}", **asdict(result)),
    )


def throttle(context: BotContext, update: Update) -> None:
    """A few look-ups per chat a minute (the web part's limiter): no guessing by brute force."""
    chat = update.effective_chat
    assert chat is not None
    if not context.services.verify_limiter.hit(str(chat.id)).allowed:
        raise Invalid("bot.verify.throttled")


def register(app: Application) -> None:  # type: ignore[type-arg]
    awaiting.on(app, "verify", numbers_given)
    app.add_handler(CommandHandler("verify", verify))
