"""上传 / 导入 on WeCom: the one-time link to the upload page (a link card and its QR code); it
opens through WeCom's OAuth2, so only the member it was given to can use it."""

from __future__ import annotations

from bot.wecom.context import Turn
from issuance.chat import upload_desk


async def upload(turn: Turn, args: list[str]) -> None:
    """A fresh upload link for what this member may import."""
    offer = await upload_desk.offer(turn.session)
    shown = offer.screen.render(turn.locale)
    public = turn.services.settings.public_url.rstrip("/")
    through_oauth = f"{public}/wecom" + offer.url.removeprefix(public)
    await turn.textcard(
        turn.text("upload.page.title"), shown.text, through_oauth, turn.text("upload.chat.open")
    )
    await turn.image(offer.qr_png)
