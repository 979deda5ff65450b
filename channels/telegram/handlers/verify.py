"""/verify (证书查验): certificate number + ID number → valid / void / not found, throttled."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from channels.telegram import awaiting
from channels.telegram.context import BotContext, text
from channels.telegram.ui import say
from issuance.core.errors import Invalid

PER_MINUTE = 5


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
    """At most PER_MINUTE look-ups per chat per minute: numbers cannot be guessed by brute force."""
    chat = update.effective_chat
    assert chat is not None
    now = time.monotonic()
    recent = [t for t in context.services.verify_times.get(chat.id, []) if now - t < 60]
    if len(recent) >= PER_MINUTE:
        raise Invalid("bot.verify.throttled")
    context.services.verify_times[chat.id] = [*recent, now]


def register(app: Application) -> None:  # type: ignore[type-arg]
    awaiting.on("verify", numbers_given)
    app.add_handler(CommandHandler("verify", verify))
