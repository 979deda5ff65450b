"""Hand-out (发放) on WeCom: the same /handout overview and buttons as on Telegram — 邮寄 (courier
and tracking number are the next message), 确认收到, 已发放 / 已转寄 (tracking number asked) /
其余全部已发放, 验印, 发放毕业证书 — on the hand-out desk's screens."""

from __future__ import annotations

from bot.wecom.context import Turn
from issuance.chat import handout_desk as desk
from issuance.chat.handout import (
    ConfirmReceipt,
    HandOutRecord,
    HandOutRest,
    HandOutTerm,
    MailBatch,
    MailOnRecord,
    OpenHandout,
    SealTerm,
)

ACTIONS = (
    MailBatch,
    ConfirmReceipt,
    OpenHandout,
    HandOutRecord,
    HandOutRest,
    MailOnRecord,
    SealTerm,
    HandOutTerm,
)
HandoutAction = (
    MailBatch
    | ConfirmReceipt
    | OpenHandout
    | HandOutRecord
    | HandOutRest
    | MailOnRecord
    | SealTerm
    | HandOutTerm
)


async def overview(turn: Turn, args: list[str]) -> None:
    """发放: what this member mails, receives, seals or hands out."""
    session = turn.session
    await turn.show(await desk.handout_overview(session.graduation, await session.need_actor()))


async def clicked(turn: Turn, action: HandoutAction) -> None:
    """A hand-out button: act, or ask for the courier and tracking number first."""
    session = turn.session
    actor = await session.need_actor()
    handout, graduation = session.handout, session.graduation
    match action:
        case MailBatch(batch):
            screen = await desk.ask_mailing(session, batch)
        case MailOnRecord(batch, record):
            screen = await desk.ask_tracking(session, batch, record)
        case ConfirmReceipt(batch):
            screen = await desk.receive(handout, actor, batch)
        case OpenHandout(batch, page):
            screen = await desk.page(handout, actor, batch, page)
        case HandOutRecord(batch, record, page):
            screen = await desk.hand_out(handout, actor, batch, [record], number=page)
        case HandOutRest(batch):
            screen = await desk.hand_out(handout, actor, batch, [])
        case SealTerm(school, term):
            screen = await desk.seal(graduation, actor, school, term)
        case HandOutTerm(school, term):
            screen = await desk.hand_out_term(graduation, actor, school, term)
    await turn.show(screen)
