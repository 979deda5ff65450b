"""Blank stock (空白毕业证库存) in chat, for every channel: the 库管员's 入库, 作废, 退回, and 流水
and 库存 for the 库管员 and the 发放员. Each act goes through the same `Stock` use cases as
`qianfa stock …` (which check the role again, keep 保管与发放分开 and every database rule, and
audit), and answers with the command line's messages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from issuance.chat.actions import Action
from issuance.chat.screens import Button, Lines, Part, Plain, Screen, Text
from issuance.core.errors import Forbidden, Invalid, NotFound
from issuance.core.people import Person, Role
from issuance.core.vocabulary import SchoolLevel
from issuance.graduation.stock import Stock, serial_range

KINDS = tuple(SchoolLevel)
# The words, and the answers a stock conversation awaits.
RECEIVE_WORD, VOID_WORD, RETURN_WORD, TRACE_WORD, BALANCE_WORD = (
    "入库",
    "作废",
    "退回",
    "流水",
    "库存",
)
RECEIVE, VOID, RETURN, TRACE = "stock_receive", "stock_void", "stock_return", "stock_trace"
_RANGE = re.compile(r"^([A-Za-z]*[0-9]+)[-~～至]([A-Za-z]*[0-9]+)$")
_SERIAL = re.compile(r"^[A-Za-z]*[0-9]+$")
READERS = (Role.KEEPER, Role.DISTRIBUTOR)


@dataclass(frozen=True)
class ReceiveKind(Action, prefix="sk"):
    """入库: the kind (an index into SchoolLevel) of the blanks delivered; serials asked next."""

    kind: int


ACTIONS = (ReceiveKind,)


def check_keeper(actor: Person) -> None:
    """入库, 作废 and 退回 are the 库管员's."""
    if actor.role != Role.KEEPER:
        raise Forbidden("stock.role_required", role=Role.KEEPER)


def check_reader(actor: Person) -> None:
    """流水 and 库存: the 库管员 and the 发放员."""
    if actor.role not in READERS:
        raise Forbidden("stock.role_required", role=f"{Role.KEEPER}/{Role.DISTRIBUTOR}")


def kind_choice(actor: Person) -> Screen:
    """入库 alone: which kind of blanks?"""
    check_keeper(actor)
    return Screen(
        Text("stockchat.receive.which"),
        [[Button(Plain(kind), ReceiveKind(n)) for n, kind in enumerate(KINDS)]],
    )


def kind_at(index: int) -> str:
    if not 0 <= index < len(KINDS):
        raise NotFound("stockchat.kind_unknown")
    return KINDS[index]


def ask(key: str, **params: object) -> Screen:
    return Screen(Text(key, params))


async def receive(stock: Stock, actor: Person, kind: str, serials: str) -> Screen:
    """入库 of `kind` from "first last" (or "first-last")."""
    check_keeper(actor)
    first, last = first_last(serials)
    moved = await stock.receive(kind, first, last, actor.phone)
    params = {"count": len(moved.serials), "first": moved.serials[0], "last": moved.serials[-1]}
    return Screen(Text("stock.cli.received", params))


def first_last(text: str) -> tuple[str, str]:
    parts = text.split()
    if len(parts) == 1 and (found := _RANGE.match(parts[0])):
        return found.group(1), found.group(2)
    if len(parts) != 2:
        raise Invalid("stockchat.receive.format")
    return parts[0], parts[1]


async def receive_line(stock: Stock, actor: Person, args: list[str]) -> Screen | None:
    """入库 KIND FIRST LAST on one line; None when the kind or serials must still be asked."""
    check_keeper(actor)
    if not args:
        return None
    if args[0] not in KINDS:
        raise Invalid("grad.blank_kind", allowed=" | ".join(KINDS))
    if len(args) == 1:
        return None
    return await receive(stock, actor, args[0], " ".join(args[1:]))


async def void(stock: Stock, actor: Person, text: str) -> Screen:
    """作废 SERIAL REASON."""
    check_keeper(actor)
    serial, _, reason = text.strip().partition(" ")
    if not serial:
        raise Invalid("stockchat.void.format")
    await stock.void(serial, reason, actor.phone)
    return Screen(Text("stock.cli.voided", {"serial": serial}))


def serials_and_reason(text: str) -> tuple[list[str], str]:
    """Serials (and first-last ranges) up front, the reason after them."""
    serials: list[str] = []
    words = text.split()
    while words and (_SERIAL.match(words[0]) or _RANGE.match(words[0])):
        word = words.pop(0)
        found = _RANGE.match(word)
        serials += serial_range(found.group(1), found.group(2)) if found else [word]
    return serials, " ".join(words)


async def return_(stock: Stock, actor: Person, text: str) -> Screen:
    """退回 SERIAL… REASON: voided blanks back at the province."""
    check_keeper(actor)
    serials, reason = serials_and_reason(text)
    if not serials or not reason:
        raise Invalid("stockchat.return.format")
    moved = await stock.return_(serials, actor.phone, reason)
    return Screen(Text("stock.cli.returned", {"count": len(moved.serials)}))


async def trace(stock: Stock, actor: Person, serial: str) -> Screen:
    """流水 SERIAL: the blank's whole trace, as `qianfa stock trace`."""
    check_reader(actor)
    found = await stock.trace(serial)
    parts: list[Part] = [
        Text(
            "stock.cli.trace_head",
            {"serial": found.serial, "kind": found.kind, "state": found.state},
        )
    ]
    parts += [
        Text(
            "stock.cli.trace_line",
            {
                "at": e.at,
                "event": Text(f"stock.event.{e.event}"),
                "by": e.by or "",
                "school": e.school or "",
                "cert_no": e.cert_no or e.reason or "",
            },
        )
        for e in found.events
    ]
    return Screen(Lines(parts))


# 作废, 退回 and 流水 without their text: the conversation step to expect and its question.
QUESTIONS = {
    VOID_WORD: (VOID, "stockchat.void.ask"),
    RETURN_WORD: (RETURN, "stockchat.return.ask"),
    TRACE_WORD: (TRACE, "stockchat.trace.ask"),
}


async def act(stock: Stock, actor: Person, verb: str, text: str) -> Screen:
    """作废, 退回 or 流水 (`verb`, one of QUESTIONS) with its text, as either channel got it."""
    if verb == VOID_WORD:
        return await void(stock, actor, text)
    if verb == RETURN_WORD:
        return await return_(stock, actor, text)
    return await trace(stock, actor, text)


async def balance(stock: Stock, actor: Person) -> Screen:
    """库存: the balance per kind and state, then per school."""
    check_reader(actor)
    rows = await stock.balance(None)
    if not rows:
        return Screen(Text("stock.cli.balance_empty"))
    parts: list[Part] = [Text("stockchat.balance.title")]
    parts += [
        Text("stock.cli.balance_line", {"kind": k, "state": s, "count": n}) for k, s, n in rows
    ]
    schools = await stock.balance_by_school()
    if schools:
        parts.append(Text("stockchat.balance.schools"))
        parts += [
            Text("stockchat.balance.school_line", {"school": o, "kind": k, "state": s, "count": n})
            for o, k, s, n in schools
        ]
    return Screen(Lines(parts))
