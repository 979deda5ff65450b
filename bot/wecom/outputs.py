"""Outputs on WeCom: 花名册 and 打印 of a department's 审批人 list the schools on its route
(花名册 and 打印预览 of each term); the school's 经办人 keeps its own; 导出 sends evaluators and
schools the issuance records XLSX, by batch or status."""

from __future__ import annotations

from bot.wecom import gradchat
from bot.wecom.context import Turn
from bot.wecom.gradchat import send_files
from issuance.chat import outputs_desk as desk
from issuance.chat.outputs_desk import DeptPreview, DeptRoster, ExportRecords

ACTIONS = desk.ACTIONS


async def roster_command(turn: Turn, args: list[str]) -> None:
    """花名册 [学校代码]."""
    actor = await turn.session.need_actor()
    if not desk.is_department(actor):
        await gradchat.roster_command(turn, args)
        return
    code = args[0] if args else ""
    await turn.show(await desk.department_terms(turn.session.printouts, actor, code))


async def print_command(turn: Turn, args: list[str]) -> None:
    """打印."""
    actor = await turn.session.need_actor()
    if not desk.is_department(actor):
        await gradchat.print_command(turn, args)
        return
    await turn.show(await desk.department_terms(turn.session.printouts, actor))


async def export_command(turn: Turn, args: list[str]) -> None:
    """导出."""
    await turn.show(
        await desk.export_choice(turn.session.issuance, await turn.session.need_actor())
    )


async def clicked(turn: Turn, action: desk.OutputAction) -> None:
    actor = await turn.session.need_actor()
    match action:
        case DeptRoster(school, term):
            await send_files(turn, await desk.roster(turn.session.printouts, actor, school, term))
        case DeptPreview(school, term):
            await send_files(
                turn, [await desk.preview(turn.session.printouts, actor, school, term)]
            )
        case ExportRecords(batch, status):
            await send_files(turn, [await desk.export(turn.session.issuance, actor, batch, status)])
