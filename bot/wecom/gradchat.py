"""Graduation printouts on WeCom: 打印 (the print PDF, its preview picture, 校准页), 花名册, 统计
[年份], and 查验 asking which kind; files go out as WeCom files, pictures as images."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.wecom.context import Turn
from issuance.chat import print_desk as printdesk
from issuance.chat.gradchat import (
    GRADUATION,
    CalibrationPage,
    OutFile,
    PrintTerm,
    RosterOf,
    VerifyKind,
    verify_choice,
)
from issuance.core.errors import Invalid
from issuance.graduation.printouts import Printouts
from issuance.graduation.service import Graduation

GRADUATION_ANSWER = "verify_graduation"
ACTIONS = (PrintTerm, CalibrationPage, RosterOf, VerifyKind)
# WeCom's upload limits: images up to 10 MB, files up to 20 MB.
IMAGE_BYTES = 10 * 2**20
FILE_BYTES = 20 * 2**20


def printouts(turn: Turn) -> Printouts:
    return Printouts(Graduation(turn.store, turn.services.settings), turn.store)


async def send_files(turn: Turn, files: Sequence[OutFile]) -> None:
    """Each file (a picture as an image when small enough), then its caption: WeCom media
    messages carry no text."""
    for file in files:
        if len(file.data) > FILE_BYTES:
            size = f"{len(file.data) / 2**20:.1f}"
            limit = FILE_BYTES // 2**20
            await turn.say(turn.text("gradchat.too_large", name=file.name, size=size, limit=limit))
            continue
        if file.picture and len(file.data) <= IMAGE_BYTES:
            await turn.image(file.data, file.name)
        else:
            await turn.file(file.data, file.name)
        await turn.say(file.caption.render(turn.locale))


async def print_command(turn: Turn, args: list[str]) -> None:
    """打印: the 经办人's approved terms with 打印, 花名册 and 校准页."""
    await turn.show(await printdesk.terms(printouts(turn), await turn.need_actor()))


async def roster_command(turn: Turn, args: list[str]) -> None:
    """花名册: the school's approved terms, each with its 花名册 button."""
    await turn.show(await printdesk.rosters(printouts(turn), await turn.need_actor()))


async def stats_command(turn: Turn, args: list[str]) -> None:
    """统计 [年份]: the table and bar chart of the schools under the asker's department."""
    actor = await turn.need_actor()
    table, chart = await printdesk.stats(printouts(turn), actor, args[0] if args else None)
    await turn.show(table)
    if chart is not None:
        await send_files(turn, [chart])


async def verify_command(turn: Turn) -> None:
    """查验 alone: which kind of certificate?"""
    await turn.show(verify_choice())


async def clicked(turn: Turn, action: PrintTerm | CalibrationPage | RosterOf | VerifyKind) -> None:
    """A printout or verify-kind button: checked again here, whoever clicks."""
    if isinstance(action, VerifyKind):
        if action.kind == GRADUATION:
            await turn.conversation.expect(GRADUATION_ANSWER)
            await turn.say(turn.text("gradchat.verify.ask_graduation"))
        else:
            await turn.conversation.expect("verify")
            await turn.say(turn.text("wecom.verify.ask"))
        return
    actor = await turn.need_actor()
    desk = printouts(turn)
    if isinstance(action, PrintTerm):
        await printdesk.own_school(desk, actor, action.school)
        await turn.say(turn.text("gradchat.preparing"))
        files = await printdesk.print_files(desk, actor, action.school, action.term)
    elif isinstance(action, CalibrationPage):
        files = await printdesk.calibration_file(desk, actor, action.school)
    else:
        files = await printdesk.roster_files(desk, actor, action.school, action.term)
    await send_files(turn, files)


async def graduation_given(turn: Turn, data: dict[str, Any], reply: str) -> None:
    """A certificate number and a name: the graduation lookup's answer (every try counts
    against the limit, as every POST of the web form does)."""
    turn.throttle_verify()
    if len(reply.split()) < 2:
        await turn.conversation.expect(GRADUATION_ANSWER)
        raise Invalid("gradchat.verify.format")
    await turn.show(await printdesk.lookup(printouts(turn), reply))
