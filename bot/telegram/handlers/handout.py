"""/handout (发放): the evaluator books a batch as mailed (courier and tracking asked), the school
taps 确认收到 and marks each certificate 已发放 or 已转寄 (tracking asked); the department's 审批人
taps 验印, the school's 经办人 hands a sealed term out."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram import awaiting
from bot.telegram.context import BotContext
from bot.telegram.ui import need_actor, say, show, tapped, taps
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


def handout(context: BotContext) -> Handout:
    return Handout(context.store)


def graduation(context: BotContext) -> Graduation:
    return Graduation(context.store, context.settings)


async def overview(update: Update, context: BotContext) -> None:
    """/handout: what this person mails, receives, seals or hands out."""
    actor = await need_actor(update, context)
    await show(update, context, await desk.handout_overview(graduation(context), actor))


async def ask_mailing(update: Update, context: BotContext) -> None:
    """邮寄: ask the evaluator for courier and tracking number."""
    batch = tapped(update, MailBatch).batch
    actor = await need_actor(update, context)
    await desk.check_mailable(handout(context), actor, batch)
    await awaiting.expect(update, context, MAIL, batch=batch)
    await say(update, context, ask("handout.mail_ask"))


async def mailing_given(
    update: Update, context: BotContext, state: dict[str, Any], answer: str
) -> None:
    actor = await need_actor(update, context)
    screen = await desk.mail(handout(context), actor, state["batch"], answer)
    await say(update, context, screen)


async def receive(update: Update, context: BotContext) -> None:
    """确认收到."""
    batch = tapped(update, ConfirmReceipt).batch
    actor = await need_actor(update, context)
    screen = await desk.receive(handout(context), actor, batch)
    await say(update, context, screen)


async def open_page(update: Update, context: BotContext) -> None:
    action = tapped(update, OpenHandout)
    actor = await need_actor(update, context)
    await show(update, context, await desk.page(handout(context), actor, action.batch, action.page))


async def hand_out_one(update: Update, context: BotContext) -> None:
    """已发放 of one certificate; the page is shown again."""
    action = tapped(update, HandOutRecord)
    actor = await need_actor(update, context)
    screen = await desk.hand_out(
        handout(context), actor, action.batch, [action.record], number=action.page
    )
    await show(update, context, screen)


async def hand_out_rest(update: Update, context: BotContext) -> None:
    """其余全部已发放."""
    action = tapped(update, HandOutRest)
    actor = await need_actor(update, context)
    await show(update, context, await desk.hand_out(handout(context), actor, action.batch, []))


async def ask_tracking(update: Update, context: BotContext) -> None:
    """已转寄: ask for the tracking number of the parcel to the student."""
    action = tapped(update, MailOnRecord)
    actor = await need_actor(update, context)
    await desk.check_record(handout(context), actor, action.batch, action.record)
    await awaiting.expect(update, context, MAIL_ON, batch=action.batch, record=action.record)
    await say(update, context, ask("handout.tracking_ask"))


async def tracking_given(
    update: Update, context: BotContext, state: dict[str, Any], answer: str
) -> None:
    actor = await need_actor(update, context)
    screen = await desk.hand_out(
        handout(context), actor, state["batch"], [state["record"]], tracking=answer
    )
    await say(update, context, screen)


async def seal(update: Update, context: BotContext) -> None:
    """验印 of a school's term."""
    action = tapped(update, SealTerm)
    actor = await need_actor(update, context)
    screen = await desk.seal(graduation(context), actor, action.school, action.term)
    await say(update, context, screen)


async def hand_out_term(update: Update, context: BotContext) -> None:
    """发放 of a sealed graduation term."""
    action = tapped(update, HandOutTerm)
    actor = await need_actor(update, context)
    screen = await desk.hand_out_term(graduation(context), actor, action.school, action.term)
    await say(update, context, screen)


def register(app: Application) -> None:  # type: ignore[type-arg]
    awaiting.on(app, MAIL, mailing_given)
    awaiting.on(app, MAIL_ON, tracking_given)
    app.add_handler(CommandHandler("handout", overview))
    for kind, callback in (
        (MailBatch, ask_mailing),
        (ConfirmReceipt, receive),
        (OpenHandout, open_page),
        (HandOutRecord, hand_out_one),
        (HandOutRest, hand_out_rest),
        (MailOnRecord, ask_tracking),
        (SealTerm, seal),
        (HandOutTerm, hand_out_term),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=taps(kind)))
