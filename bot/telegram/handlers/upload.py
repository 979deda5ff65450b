"""/import, 导入, 上传: the one-time link to the upload page, with its QR code."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.telegram.context import BotContext, text
from bot.telegram.ui import say
from issuance.chat import upload_desk

WORDS = filters.Regex(r"^\s*(导入|上传)\s*$")


async def upload(update: Update, context: BotContext) -> None:
    """A fresh upload link for what this person may import (and its QR code)."""
    offer = await upload_desk.offer(context.session(update))
    message = await say(update, context, offer.screen)
    await message.reply_photo(offer.qr_png, caption=text(update, "upload.chat.qr"))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("import", upload))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & WORDS, upload))
