"""签名章 on WeCom: how to send one, the picture checked and shown on a certificate, the letter
of authorization accepted (the stamp saved) or the draft discarded."""

from __future__ import annotations

from bot.wecom import cards
from bot.wecom.context import Turn, new_task
from issuance.chat import xcert_desk as desk
from issuance.xcert import stamping


async def stamp(turn: Turn, args: list[str]) -> None:
    """签名章: explain what picture to send (only to whoever may hold a stamp)."""
    await desk.check_stamp_holder(turn.session)
    await turn.say(turn.text("wecom.stamp.howto"))


async def stamp_received(turn: Turn) -> None:
    """A picture from a stamp holder: check it, make it clean, show it on a certificate."""
    session = turn.session
    await desk.check_stamp_holder(session)
    data = await turn.client.media(str(turn.fields.get("MediaId", "")))
    await desk.check_stamp_upload(session, len(data))
    await turn.image(await desk.stamp_received(session, data), "preview.png")
    await turn.say(turn.text("bot.stamp.consent", letter=stamping.letter(turn.locale)))
    await turn.card(cards.stamp_card(new_task(), turn.locale))


async def stamp_accept(turn: Turn) -> None:
    """The letter of authorization accepted: save the checked stamp as the new version."""
    answer, saved = await desk.accept_stamp(turn.session)
    if saved:
        await turn.replace_buttons(turn.text("wecom.card.saved"))
    await turn.show(answer)


async def stamp_discard(turn: Turn) -> None:
    answer = await desk.discard_stamp(turn.session)
    await turn.replace_buttons(turn.text("wecom.card.discarded"))
    await turn.show(answer)
