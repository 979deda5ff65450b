"""/lists (生成名单, evaluators): generate an exam plan's pending lists with a button."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext
from bot.telegram.ui import need_actor, say, show, tapped, taps
from issuance.chat import xcert as screens
from issuance.chat.actions import CreateLists
from issuance.chat.screens import Screen
from issuance.core.errors import Conflict
from issuance.xcert import listing


async def choose_plan(update: Update, context: BotContext) -> None:
    """The evaluator's plans with passed results not yet listed, a button each."""
    actor = await need_actor(update, context)
    await say(
        update, context, screens.lists_choice(await listing.plans_to_list(context.issuance, actor))
    )


async def create(update: Update, context: BotContext) -> None:
    """Generate the plan's lists, once per button."""
    action = tapped(update, CreateLists)
    actor = await need_actor(update, context)
    query = update.callback_query
    assert query is not None and query.message is not None
    if not await context.store.claim_tap(
        str(query.message.chat.id), query.message.message_id, query.data or ""
    ):
        raise Conflict("bot.already_done")
    created = await listing.create_for(context.issuance, actor, action.plan)
    await show(update, context, Screen(screens.lists_created(created)))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("lists", choose_plan))
    app.add_handler(CallbackQueryHandler(create, pattern=taps(CreateLists)))
