"""拒绝签发: ask for the reason (kept in the database across restarts), then refuse."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from channels.telegram import awaiting
from channels.telegram.context import BotContext, text
from channels.telegram.handlers.pending import save_selection, selection
from channels.telegram.ui import keyboard, need_actor, numbers, say
from issuance.core.errors import Invalid
from issuance.xcert import desk


async def refuse_one(update: Update, context: BotContext) -> None:
    """拒绝签发 on one record (r:RECORD:VERSION): ask why."""
    record_id, version = numbers(update, r"r:(\d{1,9}):(\d{1,9})")
    await ask_reason(update, context, {record_id: version})


async def refuse_selected(update: Update, context: BotContext) -> None:
    """拒绝签发 on the ticked records of a batch (ra:BATCH)."""
    (batch_id,) = numbers(update, r"ra:(\d{1,9})")
    picked = await selection(update, context, batch_id)
    await ask_reason(update, context, dict.fromkeys(sorted(picked), 0))


async def ask_reason(update: Update, context: BotContext, versions: dict[int, int]) -> None:
    actor = await need_actor(update, context)
    records = await desk.check_refusable(context.issuance, actor, versions)
    await awaiting.expect(
        update, context, "refuse", versions={str(k): v for k, v in versions.items()}
    )
    names = "、".join(r.student_name for r in records[:5]) + ("…" if len(records) > 5 else "")
    await say(
        update,
        context,
        text(update, "bot.refuse.ask", count=len(records), names=names),
        keyboard([[(text(update, "bot.button.cancel"), "x")]]),
    )


async def reason_given(
    update: Update, context: BotContext, state: dict[str, Any], reason: str
) -> None:
    """The reason arrived: refuse exactly the records asked about, at the versions seen."""
    actor = await need_actor(update, context)
    versions = {int(k): v for k, v in state["versions"].items()}
    try:
        await desk.check_refusable(context.issuance, actor, versions)
        records = await context.issuance.refuse(actor, list(versions), reason)
    except Invalid:
        await awaiting.expect(update, context, "refuse", **state)  # ask again: still waiting
        raise
    await save_selection(update, context, records[0].batch_id, set())
    await say(
        update, context, text(update, "bot.refuse.done", count=len(records), reason=reason.strip())
    )


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel or the 取消 button: forget whatever the bot was waiting for."""
    state = await awaiting.take(update, context)
    await say(update, context, text(update, "bot.cancelled" if state else "bot.nothing_to_cancel"))


def register(app: Application) -> None:  # type: ignore[type-arg]
    awaiting.on("refuse", reason_given)
    app.add_handler(CallbackQueryHandler(refuse_one, pattern=r"^r:"))
    app.add_handler(CallbackQueryHandler(refuse_selected, pattern=r"^ra:"))
    app.add_handler(CommandHandler("cancel", cancel))
    app.add_handler(CallbackQueryHandler(cancel, pattern=r"^x$"))
