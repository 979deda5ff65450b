"""申报 and 申领 in chat, for every channel: the 经办人 declares the school's graduates of a term
(毕业证申报) and asks for the blanks to print them on (空白毕业证申报, of the school's level), as
`qianfa grad declare` and `qianfa stock request` do; the approval chain takes it from there."""

from __future__ import annotations

import re

from issuance.chat.screens import Screen, Text
from issuance.core.errors import Forbidden
from issuance.core.people import Person, Role
from issuance.graduation.service import Graduation

DECLARE_WORD = "申报"
BLANKS_WORD = "申领"
# The words alone or with their one argument (a YYYYMM term, a count): a 退回 reason that starts
# with 申报 is an answer, not the word.
LINE = re.compile(r"^\s*(申报(\s+\d{6})?|申领(\s+\d{1,5})?)\s*$")


async def declare(graduation: Graduation, actor: Person, args: list[str]) -> Screen:
    """申报 TERM: the school's graduates of TERM not declared yet go to the chain."""
    school = await _own_school(graduation, actor)
    if not args:
        return Screen(Text("declarechat.ask_term"))
    request_id, count = await graduation.declare(school, args[0], by=actor.phone)
    params = {"term": args[0], "count": count, "request": request_id}
    return Screen(Text("declarechat.declared", params))


async def request_blanks(graduation: Graduation, actor: Person, args: list[str]) -> Screen:
    """申领 COUNT: blanks of the school's level, through the same chain."""
    school = await _own_school(graduation, actor)
    if not args:
        return Screen(Text("declarechat.ask_count"))
    level = (await graduation.school(school)).level or ""
    count = int(args[0])
    request_id = await graduation.request_blanks(school, level, count, actor.phone)
    params = {"kind": level, "count": count, "request": request_id}
    return Screen(Text("declarechat.requested", params))


async def _own_school(graduation: Graduation, actor: Person) -> str:
    """The code of the 经办人's school, or Forbidden for anyone else."""
    if actor.role != Role.CLERK:
        raise Forbidden("declarechat.clerks_only")
    org = await graduation.store.grad_org(actor.org_id)
    assert org is not None
    return org.code
