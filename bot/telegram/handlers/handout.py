"""/handout (发放): the evaluator books a batch as mailed (courier and tracking asked), the school
taps 确认收到 and marks each certificate 已发放 or 已转寄 (tracking asked); the department's 审批人
taps 验印, the school's 经办人 hands a sealed term out."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.telegram.context import BotContext
from bot.telegram.ui import need_actor, say, show, tapped, taps
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


async def overview(update: Update, context: BotContext) -> None:
    """/handout: what this person mails, receives, seals or hands out."""
    actor = await need_actor(update, context)
    await show(
        update, context, await desk.handout_overview(context.session(update).graduation, actor)
    )


async def ask_mailing(update: Update, context: BotContext) -> None:
    """邮寄: ask the evaluator for courier and tracking number."""
    batch = tapped(update, MailBatch).batch
    await say(update, context, await desk.ask_mailing(context.session(update), batch))


async def receive(update: Update, context: BotContext) -> None:
    """确认收到."""
    batch = tapped(update, ConfirmReceipt).batch
    actor = await need_actor(update, context)
    screen = await desk.receive(context.session(update).handout, actor, batch)
    await say(update, context, screen)


async def open_page(update: Update, context: BotContext) -> None:
    action = tapped(update, OpenHandout)
    actor = await need_actor(update, context)
    await show(
        update,
        context,
        await desk.page(context.session(update).handout, actor, action.batch, action.page),
    )


async def hand_out_one(update: Update, context: BotContext) -> None:
    """已发放 of one certificate; the page is shown again."""
    action = tapped(update, HandOutRecord)
    actor = await need_actor(update, context)
    screen = await desk.hand_out(
        context.session(update).handout, actor, action.batch, [action.record], number=action.page
    )
    await show(update, context, screen)


async def hand_out_rest(update: Update, context: BotContext) -> None:
    """其余全部已发放."""
    action = tapped(update, HandOutRest)
    actor = await need_actor(update, context)
    await show(
        update,
        context,
        await desk.hand_out(context.session(update).handout, actor, action.batch, []),
    )


async def ask_tracking(update: Update, context: BotContext) -> None:
    """已转寄: ask for the tracking number of the parcel to the student."""
    action = tapped(update, MailOnRecord)
    screen = await desk.ask_tracking(context.session(update), action.batch, action.record)
    await say(update, context, screen)


async def seal(update: Update, context: BotContext) -> None:
    """验印 of a school's term."""
    action = tapped(update, SealTerm)
    actor = await need_actor(update, context)
    screen = await desk.seal(context.session(update).graduation, actor, action.school, action.term)
    await say(update, context, screen)


async def hand_out_term(update: Update, context: BotContext) -> None:
    """发放 of a sealed graduation term."""
    action = tapped(update, HandOutTerm)
    actor = await need_actor(update, context)
    screen = await desk.hand_out_term(
        context.session(update).graduation, actor, action.school, action.term
    )
    await say(update, context, screen)


def register(app: Application) -> None:  # type: ignore[type-arg]
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
