"""/stamp (签名章), responsible person only: upload a PNG file, see a preview, accept, save."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.telegram.context import BotContext, text
from bot.telegram.ui import need_actor, say, taps
from issuance.chat import xcert as screens
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import AcceptStamp, DiscardStamp
from issuance.xcert import stamping


async def stamp(update: Update, context: BotContext) -> None:
    """Explain what to upload (only to whoever may hold a stamp)."""
    await desk.check_stamp_holder(context.session(update))
    await say(update, context, text(update, "bot.stamp.howto"))


async def png_received(update: Update, context: BotContext) -> None:
    """A PNG sent as a file: check it, make it clean, show the certificate preview."""
    session = context.session(update)
    document = update.effective_message.document  # type: ignore[union-attr]
    assert document is not None
    await desk.check_stamp_upload(session, document.file_size or 0)
    data = bytes(await (await document.get_file()).download_as_bytearray())
    preview = await desk.stamp_received(session, data)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(chat.id, preview, caption=text(update, "bot.stamp.preview"))
    await say(update, context, screens.stamp_consent(stamping.letter()))


async def photo_received(update: Update, context: BotContext) -> None:
    """A compressed photo: explain why it cannot serve as a stamp."""
    await need_actor(update, context)
    await say(update, context, text(update, "bot.stamp.photo"))


async def accept(update: Update, context: BotContext) -> None:
    """The letter of authorization is accepted: save the checked stamp as the new version."""
    answer, _ = await desk.accept_stamp(context.session(update))
    await say(update, context, answer)


async def discard(update: Update, context: BotContext) -> None:
    await say(update, context, await desk.discard_stamp(context.session(update)))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("stamp", stamp))
    app.add_handler(
        MessageHandler(
            filters.Document.FileExtension("png") | filters.Document.MimeType("image/png"),
            png_received,
        )
    )
    app.add_handler(MessageHandler(filters.PHOTO | filters.Document.IMAGE, photo_received))
    app.add_handler(CallbackQueryHandler(accept, pattern=taps(AcceptStamp)))
    app.add_handler(CallbackQueryHandler(discard, pattern=taps(DiscardStamp)))
