"""申报 TERM and 申领 COUNT on WeCom: the 经办人 declares a term's graduates and requests blanks
(the same desk as Telegram's); another role's text, or a sentence that only starts with the
word, is an answer or unknown, as any text."""

from __future__ import annotations

from bot.wecom.context import Turn
from bot.wecom.stock import PassOn
from issuance.chat import declare_desk as desk
from issuance.core.people import Role


async def declare(turn: Turn, args: list[str]) -> None:
    """申报 TERM."""
    await _word(turn, desk.DECLARE_WORD, args)


async def request_blanks(turn: Turn, args: list[str]) -> None:
    """申领 COUNT."""
    await _word(turn, desk.BLANKS_WORD, args)


async def _word(turn: Turn, verb: str, args: list[str]) -> None:
    actor = await turn.session.need_actor()
    if actor.role != Role.CLERK or not desk.LINE.match(" ".join((verb, *args))):
        raise PassOn
    act = desk.declare if verb == desk.DECLARE_WORD else desk.request_blanks
    await turn.show(await act(turn.session.graduation, actor, args))
