"""/verify (证书查验): which kind first (X 证书 or 毕业证), then X: certificate number + ID number
→ valid / void / not found; 毕业证: certificate number + name, answered as the web lookup;
throttled alike."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram import awaiting
from bot.telegram.context import BotContext, text
from bot.telegram.ui import say, tapped, taps
from issuance.chat import print_desk as printdesk
from issuance.chat.gradchat import GRADUATION, VerifyKind, verify_choice
from issuance.core.errors import Invalid
from issuance.graduation.printouts import Printouts
from issuance.graduation.service import Graduation

GRADUATION_ANSWER = "verify_graduation"


async def verify(update: Update, context: BotContext) -> None:
    """With both numbers, answer (X certificate, as before); otherwise ask which kind."""
    if len(context.args or []) == 2:
        await answer(update, context, *context.args)  # type: ignore[misc]
        return
    await say(update, context, verify_choice())


async def kind_chosen(update: Update, context: BotContext) -> None:
    """X 证书 or 毕业证 tapped: ask for that kind's inputs."""
    if tapped(update, VerifyKind).kind == GRADUATION:
        await awaiting.expect(update, context, GRADUATION_ANSWER)
        await say(update, context, text(update, "gradchat.verify.ask_graduation"))
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


async def graduation_given(
    update: Update, context: BotContext, state: dict[str, Any], reply: str
) -> None:
    """A certificate number and a name: the graduation lookup's answer (every try counts
    against the limit, as every POST of the web form does)."""
    throttle(context, update)
    if len(reply.split()) < 2:
        await awaiting.expect(update, context, GRADUATION_ANSWER)
        raise Invalid("gradchat.verify.format")
    printouts = Printouts(Graduation(context.store, context.settings), context.store)
    await say(update, context, await printdesk.lookup(printouts, reply))


def throttle(context: BotContext, update: Update) -> None:
    """A few look-ups per chat a minute (the web part's limiter): no guessing by brute force."""
    chat = update.effective_chat
    assert chat is not None
    if not context.services.verify_limiter.hit(str(chat.id)).allowed:
        raise Invalid("bot.verify.throttled")


def register(app: Application) -> None:  # type: ignore[type-arg]
    awaiting.on(app, "verify", numbers_given)
    awaiting.on(app, GRADUATION_ANSWER, graduation_given)
    app.add_handler(CommandHandler("verify", verify))
    app.add_handler(CallbackQueryHandler(kind_chosen, pattern=taps(VerifyKind)))
