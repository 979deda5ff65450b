"""/lists (生成名单, evaluators): generate an exam plan's pending lists with a button."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext
from bot.telegram.ui import say, show, tap_of, tapped, taps
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import CreateLists


async def choose_plan(update: Update, context: BotContext) -> None:
    """The evaluator's plans with passed results not yet listed, a button each."""
    await say(update, context, await desk.lists_choice(context.session(update)))


async def create(update: Update, context: BotContext) -> None:
    """Generate the plan's lists, once per button."""
    action = tapped(update, CreateLists)
    screen = await desk.create_lists(context.session(update), action.plan, tap_of(update))
    await show(update, context, screen)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("lists", choose_plan))
    app.add_handler(CallbackQueryHandler(create, pattern=taps(CreateLists)))
