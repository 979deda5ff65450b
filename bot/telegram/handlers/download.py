"""下载证书 (evaluators): a batch's certificates and records as ZIP documents, for printing."""

from __future__ import annotations

import tempfile
from pathlib import Path

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.telegram.context import BotContext, text
from bot.telegram.ui import need_actor, say, tapped, taps
from issuance.chat import xcert_desk as desk
from issuance.chat.actions import Download


async def download(update: Update, context: BotContext) -> None:
    """Write the batch's archive parts and send each as a document."""
    batch_id = tapped(update, Download).batch
    session = context.session(update)
    await desk.check_download(session.issuance, await need_actor(update, context), batch_id)
    await say(update, context, text(update, "bot.download.preparing"))
    chat = update.effective_chat
    assert chat is not None
    with tempfile.TemporaryDirectory() as folder:
        parts = await desk.download_parts(session, batch_id, Path(folder))
        for n, part in enumerate(parts, 1):
            with part.open("rb") as file:
                await context.bot.send_document(
                    chat.id,
                    file,
                    filename=part.name,
                    caption=text(update, "bot.download.part", n=n, total=len(parts)),
                )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(download, pattern=taps(Download)))
