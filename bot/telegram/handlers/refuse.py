"""拒绝签发: ask for the reason (kept in the database across restarts), then refuse."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram import awaiting
from bot.telegram.context import BotContext, text
from bot.telegram.ui import need_actor, say, tapped, taps
from issuance.chat import xcert as screens
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import Cancel, Refuse, RefuseSelected
from issuance.core.errors import Invalid


async def refuse_one(update: Update, context: BotContext) -> None:
    """拒绝签发 on one record, as seen at its version: ask why."""
    action = tapped(update, Refuse)
    await ask_reason(update, context, {action.record: action.version})


async def refuse_selected(update: Update, context: BotContext) -> None:
    """拒绝签发 on the ticked records of a batch."""
    action = tapped(update, RefuseSelected)
    picked = await context.conversation(update).selection(action.batch)
    await ask_reason(update, context, dict.fromkeys(sorted(picked), 0))


async def ask_reason(update: Update, context: BotContext, versions: dict[int, int]) -> None:
    actor = await need_actor(update, context)
    records = await desk.check_refusable(context.issuance, actor, versions)
    await awaiting.expect(
        update, context, "refuse", versions={str(k): v for k, v in versions.items()}
    )
    await say(update, context, screens.ask_reason(records))


async def reason_given(
    update: Update, context: BotContext, state: dict[str, Any], reason: str
) -> None:
    """The reason arrived: refuse exactly the records asked about, at the versions seen."""
    actor = await need_actor(update, context)
    versions = {int(k): v for k, v in state["versions"].items()}
    try:
        records = await desk.refuse(context.issuance, actor, versions, reason)
    except Invalid:
        await awaiting.expect(update, context, "refuse", **state)  # ask again: still waiting
        raise
    await context.conversation(update).select(records[0].batch_id, set())
    await say(
        update, context, text(update, "bot.refuse.done", count=len(records), reason=reason.strip())
    )


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel or the 取消 button: forget whatever the bot was waiting for."""
    awaited = await context.conversation(update).take_awaited()
    await say(
        update, context, text(update, "bot.cancelled" if awaited else "bot.nothing_to_cancel")
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    awaiting.on(app, "refuse", reason_given)
    app.add_handler(CallbackQueryHandler(refuse_one, pattern=taps(Refuse)))
    app.add_handler(CallbackQueryHandler(refuse_selected, pattern=taps(RefuseSelected)))
    app.add_handler(CommandHandler("cancel", cancel))
    app.add_handler(CallbackQueryHandler(cancel, pattern=taps(Cancel)))
