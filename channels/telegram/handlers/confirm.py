"""确认签发 / 批量确认签发: check, then hand over to the online signature step (link + QR)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.ext import Application, CallbackQueryHandler

from channels.telegram.context import BotContext, text
from channels.telegram.handlers.pending import save_selection, selection
from channels.telegram.ui import chat_ref, need_actor, numbers, say
from issuance.core.errors import Conflict, DomainError
from issuance.xcert import desk
from issuance.xcert.service import id_ranges


async def confirm_one(update: Update, context: BotContext) -> None:
    """确认签发 on one record (c:RECORD:VERSION)."""
    record_id, version = numbers(update, r"c:(\d{1,9}):(\d{1,9})")
    await sign(update, context, [record_id], {record_id: version})


async def confirm_batch(update: Update, context: BotContext) -> None:
    """批量确认签发: the ticked records, or every record of the batch waiting for this signer."""
    (batch_id,) = numbers(update, r"ca:(\d{1,9})")
    actor = await need_actor(update, context)
    ids = sorted(await selection(update, context, batch_id)) or await desk.waiting_in_batch(
        context.issuance, actor, batch_id
    )
    await sign(update, context, ids, {})
    await save_selection(update, context, batch_id, set())


async def sign(
    update: Update, context: BotContext, ids: list[int], versions: dict[int, int]
) -> None:
    actor = await need_actor(update, context)
    records = await desk.check_current(context.issuance, actor, ids, versions)
    step = context.services.signing
    if step is None:
        raise DomainError("bot.sign.unavailable")
    query = update.callback_query
    assert query is not None and query.message is not None
    if not await context.store.claim_tap(
        str(query.message.chat.id), query.message.message_id, f"{query.data}|{id_ranges(ids)}"
    ):
        raise Conflict("bot.already_done")
    message = await say(update, context, text(update, "bot.sign.preparing", count=len(records)))
    link = await step(context.issuance, actor, ids, chat_ref(update, message))
    await message.edit_text(
        text(
            update,
            "bot.sign.prompt",
            count=len(records),
            minutes=context.settings.signoff_signing_ttl_minutes,
        ),
        reply_markup=_sign_button(update, context, link.url),
    )
    await message.reply_photo(link.qr_png, caption=text(update, "bot.sign.qr"))


def _sign_button(update: Update, context: BotContext, url: str) -> InlineKeyboardMarkup:
    label = text(update, "bot.sign.open")
    if context.settings.public_url.startswith("https://"):
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, web_app=WebAppInfo(url))]])
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(confirm_one, pattern=r"^c:"))
    app.add_handler(CallbackQueryHandler(confirm_batch, pattern=r"^ca:"))
