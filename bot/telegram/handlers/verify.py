"""/verify (证书查验): which kind first (X 证书 or 毕业证), then X: certificate number + ID number
→ valid / void / not found; 毕业证: certificate number + name, answered as the web lookup;
throttled alike."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext
from bot.telegram.ui import say, tapped, taps
from issuance.chat import account_desk
from issuance.chat.gradchat import VerifyKind, verify_choice


async def verify(update: Update, context: BotContext) -> None:
    """With both numbers, answer (X certificate, as before); otherwise ask which kind."""
    args = context.args or []
    if len(args) == 2:
        await say(update, context, await account_desk.verify(context.session(update), *args))
        return
    await say(update, context, verify_choice())


async def kind_chosen(update: Update, context: BotContext) -> None:
    """X 证书 or 毕业证 tapped: ask for that kind's inputs."""
    kind = tapped(update, VerifyKind).kind
    await say(update, context, await account_desk.ask_verify(context.session(update), kind))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("verify", verify))
    app.add_handler(CallbackQueryHandler(kind_chosen, pattern=taps(VerifyKind)))
