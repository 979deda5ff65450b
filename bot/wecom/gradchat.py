"""Graduation printouts on WeCom: 打印 (the print PDF, its preview picture, 校准页), 花名册, 统计
[年份], and which kind 查验 asks for; files go out as WeCom files, pictures as images."""

from __future__ import annotations

from collections.abc import Sequence

from bot.wecom.context import Turn
from issuance.chat import account_desk
from issuance.chat import print_desk as printdesk
from issuance.chat.gradchat import CalibrationPage, OutFile, PrintTerm, RosterOf, VerifyKind

ACTIONS = (PrintTerm, CalibrationPage, RosterOf, VerifyKind)
# WeCom's upload limits: images up to 10 MB, files up to 20 MB.
IMAGE_BYTES = 10 * 2**20
FILE_BYTES = 20 * 2**20


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
    session = turn.session
    await turn.show(await printdesk.terms(session.printouts, await session.need_actor()))


async def roster_command(turn: Turn, args: list[str]) -> None:
    """花名册: the school's approved terms, each with its 花名册 button."""
    await turn.show(
        await printdesk.rosters(turn.session.printouts, await turn.session.need_actor())
    )


async def stats_command(turn: Turn, args: list[str]) -> None:
    """统计 [年份]: the table and bar chart of the schools under the asker's department."""
    actor = await turn.session.need_actor()
    table, chart = await printdesk.stats(turn.session.printouts, actor, args[0] if args else None)
    await turn.show(table)
    if chart is not None:
        await send_files(turn, [chart])


async def clicked(turn: Turn, action: PrintTerm | CalibrationPage | RosterOf | VerifyKind) -> None:
    """A printout or verify-kind button: checked again here, whoever clicks."""
    if isinstance(action, VerifyKind):
        await turn.show(await account_desk.ask_verify(turn.session, action.kind))
        return
    actor = await turn.session.need_actor()
    desk = turn.session.printouts
    if isinstance(action, PrintTerm):
        await printdesk.own_school(desk, actor, action.school)
        await turn.say(turn.text("gradchat.preparing"))
        files = await printdesk.print_files(desk, actor, action.school, action.term)
    elif isinstance(action, CalibrationPage):
        files = await printdesk.calibration_file(desk, actor, action.school)
    else:
        files = await printdesk.roster_files(desk, actor, action.school, action.term)
    await send_files(turn, files)
