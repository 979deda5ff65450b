"""Blank stock (空白毕业证库存) on WeCom: 入库, 作废, 退回, 流水, 库存 — the same stock desk as on
Telegram, typed on one line or asked step by step (the kind as a card, the rest the next
message)."""

from __future__ import annotations

from typing import Any

from bot.wecom.context import Turn
from issuance.chat import stock_desk as desk
from issuance.chat.stock_desk import ReceiveKind
from issuance.core.people import Person
from issuance.graduation.stock import Stock

ACTIONS = desk.ACTIONS


class PassOn(Exception):
    """The word is not this member's (another role's answer that starts with 退回, say): the
    conversation treats the text as it would any other."""


def stock(turn: Turn) -> Stock:
    return Stock(turn.session.store, turn.services.settings)


async def _reader(turn: Turn) -> Person:
    actor = await turn.session.need_actor()
    if actor.role not in desk.READERS:
        raise PassOn
    return actor


async def receive(turn: Turn, args: list[str]) -> None:
    """入库 [种类 首号 末号]."""
    actor = await _reader(turn)
    screen = await desk.receive_line(stock(turn), actor, args)
    if screen is None and args:
        await _ask(turn, desk.RECEIVE, "stockchat.receive.ask", kind=args[0])
        return
    await turn.show(screen or desk.kind_choice(actor))


async def void(turn: Turn, args: list[str]) -> None:
    """作废 [流水码 原因]."""
    await _word(turn, args, desk.VOID_WORD)


async def return_(turn: Turn, args: list[str]) -> None:
    """退回 [流水码… 原因]."""
    await _word(turn, args, desk.RETURN_WORD)


async def trace(turn: Turn, args: list[str]) -> None:
    """流水 [流水码]."""
    await _word(turn, args, desk.TRACE_WORD)


async def balance(turn: Turn, args: list[str]) -> None:
    """库存."""
    await turn.show(await desk.balance(stock(turn), await _reader(turn)))


async def _word(turn: Turn, args: list[str], verb: str) -> None:
    actor = await _reader(turn)
    if args:
        await turn.show(await desk.act(stock(turn), actor, verb, " ".join(args)))
        return
    if verb != desk.TRACE_WORD:
        desk.check_keeper(actor)
    await _ask(turn, *desk.QUESTIONS[verb])


async def _ask(turn: Turn, name: str, key: str, **data: Any) -> None:
    await turn.session.conversation.expect(name, **data)
    await turn.show(desk.ask(key, **data))


async def clicked(turn: Turn, action: ReceiveKind) -> None:
    """The kind of the delivery: now its first and last serial."""
    kind = desk.kind_at(action.kind)
    desk.check_keeper(await turn.session.need_actor())
    await _ask(turn, desk.RECEIVE, "stockchat.receive.ask", kind=kind)


async def serials_given(turn: Turn, data: dict[str, Any], answer: str) -> None:
    actor = await turn.session.need_actor()
    await turn.show(await desk.receive(stock(turn), actor, data["kind"], answer))


def _answer(verb: str) -> Any:
    async def given(turn: Turn, data: dict[str, Any], answer: str) -> None:
        await turn.show(await desk.act(stock(turn), await turn.session.need_actor(), verb, answer))

    return given


WORDS = {
    desk.RECEIVE_WORD: receive,
    desk.VOID_WORD: void,
    desk.RETURN_WORD: return_,
    desk.TRACE_WORD: trace,
    desk.BALANCE_WORD: balance,
}
ANSWERS = {
    desk.RECEIVE: serials_given,
    desk.VOID: _answer(desk.VOID_WORD),
    desk.RETURN: _answer(desk.RETURN_WORD),
    desk.TRACE: _answer(desk.TRACE_WORD),
}
