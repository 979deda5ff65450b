"""确认签发 / 批量确认签发: check, then hand over to the online signature step (link + QR)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.telegram.context import BotContext, locale_of, text
from bot.telegram.ui import chat_ref, keyboard, need_actor, say, tap_of, tapped, taps
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import Confirm, ConfirmBatch
from issuance.chat.screens import Button, Link, Text, buttons


async def confirm_one(update: Update, context: BotContext) -> None:
    """确认签发 on one record, as seen at its version."""
    action = tapped(update, Confirm)
    await sign(update, context, [action.record], {action.record: action.version})


async def confirm_batch(update: Update, context: BotContext) -> None:
    """批量确认签发: the ticked records, or every record of the batch waiting for this signer."""
    action = tapped(update, ConfirmBatch)
    actor = await need_actor(update, context)
    session = context.session(update)
    ids = sorted(await session.conversation.selection(action.batch)) or await desk.waiting_in_batch(
        session.issuance, actor, action.batch
    )
    await sign(update, context, ids, {})
    await session.conversation.select(action.batch, set())


async def sign(
    update: Update, context: BotContext, ids: list[int], versions: dict[int, int]
) -> None:
    session = context.session(update)
    records = await desk.start_signing(session, ids, versions, tap_of(update))
    message = await say(update, context, text(update, "bot.sign.preparing", count=len(records)))
    link = await desk.signing_link(session, ids, chat_ref(message))
    sign_here = buttons([[Button(Text("bot.sign.open"), Link(link.url))]], locale_of(update))
    minutes = context.settings.signoff_signing_ttl_minutes
    await message.edit_text(
        text(update, "bot.sign.prompt", count=len(records), minutes=minutes),
        # inside Telegram (HTTPS only) the page opens as a Mini App, which vouches for the signer
        reply_markup=keyboard(
            sign_here, web_app=context.settings.public_url.startswith("https://")
        ),
    )
    await message.reply_photo(link.qr_png, caption=text(update, "bot.sign.qr"))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(confirm_one, pattern=taps(Confirm)))
    app.add_handler(CallbackQueryHandler(confirm_batch, pattern=taps(ConfirmBatch)))
