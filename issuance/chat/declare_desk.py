"""The 经办人's words in chat, for every channel: 申报 declares the school's graduates of a term
(毕业证申报), 申领 asks for the blanks to print them on (空白毕业证申报, of the school's level) —
the approval chain takes it from there — and 登记打印 books the blanks the term's print file went
onto, as `qianfa grad declare`, `qianfa stock request` and `qianfa grad print --first-serial` do."""

from __future__ import annotations

import re

from issuance.chat.screens import Screen, Text
from issuance.chat.session import Session
from issuance.core.errors import Forbidden
from issuance.core.people import Person, Role
from issuance.graduation.service import Graduation, term_of
from issuance.graduation.stock import serial_range

DECLARE_WORD = "申报"
BLANKS_WORD = "申领"
PRINTED_WORD = "登记打印"
# The words alone or with their arguments (a YYYYMM term, a count, a term and a serial): a 退回
# reason that starts with 申报 is an answer, not the word.
LINE = re.compile(
    r"^\s*(申报(\s+\d{6})?|申领(\s+\d{1,5})?|登记打印(\s+\d{6}(\s+[A-Za-z]*\d+)?)?)\s*$"
)


async def act(session: Session, actor: Person, verb: str, args: list[str]) -> Screen:
    """One of the words with what follows it, for the 经办人 only."""
    school = await _own_school(session.graduation, actor)
    if verb == DECLARE_WORD:
        return await declare(session.graduation, actor, school, args)
    if verb == BLANKS_WORD:
        return await request_blanks(session.graduation, actor, school, args)
    return await record_printing(session, actor, school, args)


async def declare(graduation: Graduation, actor: Person, school: str, args: list[str]) -> Screen:
    """申报 TERM: the school's graduates of TERM not declared yet go to the chain."""
    if not args:
        return Screen(Text("declarechat.ask_term"))
    request_id, count = await graduation.declare(school, args[0], by=actor.phone)
    params = {"term": args[0], "count": count, "request": request_id}
    return Screen(Text("declarechat.declared", params))


async def request_blanks(
    graduation: Graduation, actor: Person, school: str, args: list[str]
) -> Screen:
    """申领 COUNT: blanks of the school's level, through the same chain."""
    if not args:
        return Screen(Text("declarechat.ask_count"))
    level = (await graduation.school(school)).level or ""
    count = int(args[0])
    request_id = await graduation.request_blanks(school, level, count, actor.phone)
    params = {"kind": level, "count": count, "request": request_id}
    return Screen(Text("declarechat.requested", params))


async def record_printing(session: Session, actor: Person, school: str, args: list[str]) -> Screen:
    """登记打印 TERM FIRST: the print file's certificates, page by page, on the blanks from FIRST
    on (blanks issued to the school, each printed once)."""
    if len(args) != 2:
        return Screen(Text("declarechat.ask_printed"))
    _, ids = await session.printouts.print_pdf(school, term_of(args[0]))
    stock = session.stock
    serials = serial_range(await stock.canonical(args[1]), count=len(ids))
    org = await session.graduation.school(school)
    await stock.record_printing(org.id, list(zip(serials, ids, strict=True)), actor)
    params = {"count": len(ids), "first": serials[0], "last": serials[-1]}
    return Screen(Text("declarechat.printed", params))


async def _own_school(graduation: Graduation, actor: Person) -> str:
    """The code of the 经办人's school, or Forbidden for anyone else."""
    if actor.role != Role.CLERK:
        raise Forbidden("declarechat.clerks_only")
    org = await graduation.store.grad_org(actor.org_id)
    assert org is not None
    return org.code
