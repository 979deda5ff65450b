"""申报 TERM, 申领 COUNT and 登记打印 TERM FIRST on WeCom: the 经办人 declares a term's graduates,
requests blanks, books the printed blanks (the same desk as Telegram's); another role's text, or
a sentence that only starts with the word, is an answer or unknown, as any text."""

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


async def record_printing(turn: Turn, args: list[str]) -> None:
    """登记打印 TERM FIRST."""
    await _word(turn, desk.PRINTED_WORD, args)


async def _word(turn: Turn, verb: str, args: list[str]) -> None:
    actor = await turn.session.need_actor()
    if actor.role != Role.CLERK or not desk.LINE.match(" ".join((verb, *args))):
        raise PassOn
    await turn.show(await desk.act(turn.session, actor, verb, args))
