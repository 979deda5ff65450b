"""Hand-out (发放) on WeCom: the same /handout overview and buttons as on Telegram — 邮寄 (courier
and tracking number are the next message), 确认收到, 已发放 / 已转寄 (tracking number asked) /
其余全部已发放, 验印, 发放毕业证书 — on the hand-out desk's screens."""

from __future__ import annotations

from typing import Any

from bot.wecom.context import Turn
from issuance.chat import handout_desk as desk
from issuance.chat.handout import (
    MAIL,
    MAIL_ON,
    ConfirmReceipt,
    HandOutRecord,
    HandOutRest,
    HandOutTerm,
    MailBatch,
    MailOnRecord,
    OpenHandout,
    SealTerm,
    ask,
)
from issuance.graduation.service import Graduation
from issuance.xcert.handout import Handout

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


def graduation(turn: Turn) -> Graduation:
    return Graduation(turn.store, turn.services.settings)


async def overview(turn: Turn, args: list[str]) -> None:
    """发放: what this member mails, receives, seals or hands out."""
    await turn.show(await desk.handout_overview(graduation(turn), await turn.need_actor()))


async def clicked(turn: Turn, action: HandoutAction) -> None:
    """A hand-out button: act, or ask for the courier and tracking number first."""
    actor = await turn.need_actor()
    handout = Handout(turn.store)
    match action:
        case MailBatch(batch):
            await desk.check_mailable(handout, actor, batch)
            await turn.conversation.expect(MAIL, batch=batch)
            await turn.show(ask("handout.mail_ask"))
        case MailOnRecord(batch, record):
            await desk.check_record(handout, actor, batch, record)
            await turn.conversation.expect(MAIL_ON, batch=batch, record=record)
            await turn.show(ask("handout.tracking_ask"))
        case ConfirmReceipt(batch):
            await turn.show(await desk.receive(handout, actor, batch))
        case OpenHandout(batch, page):
            await turn.show(await desk.page(handout, actor, batch, page))
        case HandOutRecord(batch, record, page):
            await turn.show(await desk.hand_out(handout, actor, batch, [record], number=page))
        case HandOutRest(batch):
            await turn.show(await desk.hand_out(handout, actor, batch, []))
        case SealTerm(school, term):
            await turn.show(await desk.seal(graduation(turn), actor, school, term))
        case HandOutTerm(school, term):
            await turn.show(await desk.hand_out_term(graduation(turn), actor, school, term))


async def mailing_given(turn: Turn, data: dict[str, Any], answer: str) -> None:
    """The evaluator sent "快递公司 运单号": book the batch as mailed."""
    actor = await turn.need_actor()
    screen = await desk.mail(Handout(turn.store), actor, data["batch"], answer)
    await turn.show(screen)


async def tracking_given(turn: Turn, data: dict[str, Any], answer: str) -> None:
    """The school sent the tracking number of a certificate mailed on to its student."""
    actor = await turn.need_actor()
    screen = await desk.hand_out(
        Handout(turn.store), actor, data["batch"], [data["record"]], tracking=answer
    )
    await turn.show(screen)
