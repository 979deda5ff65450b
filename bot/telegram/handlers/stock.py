"""Blank stock (空白毕业证库存) in the bot: the 库管员's 入库, 作废, 退回 and, with the 发放员, 流水
and 库存 — typed as words (`入库 技工学校 A000001 A000100`) or alone to be asked step by step;
/stock shows the balance. The same `Stock` use cases and messages as `qianfa stock …`."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.telegram.context import BotContext
from bot.telegram.handlers import fallback
from bot.telegram.handlers.fallback import text_answer
from bot.telegram.ui import need_actor, say, tapped, taps
from issuance.chat import stock_desk as desk
from issuance.chat.stock_desk import ReceiveKind

WORDS = filters.Regex(r"^\s*(入库|作废|退回|流水|库存)(\s|$)")


async def word(update: Update, context: BotContext) -> None:
    """A stock word with what follows it; another role's text (a reason that starts with 退回,
    say) goes on to whatever awaits it."""
    message = update.effective_message
    assert message is not None and message.text is not None
    actor = await need_actor(update, context)
    if actor.role not in desk.READERS:
        await text_answer(update, context)
        return
    verb, *args = message.text.split()
    rest = " ".join(args)
    if verb == desk.RECEIVE_WORD:
        screen = await desk.receive_line(context.session(update).stock, actor, args)
        if screen is None and args:
            await ask(update, context, desk.RECEIVE, "stockchat.receive.ask", kind=args[0])
            return
        await say(update, context, screen or desk.kind_choice(actor))
    elif verb == desk.BALANCE_WORD:
        await say(update, context, await desk.balance(context.session(update).stock, actor))
    elif not rest:
        name, key = desk.QUESTIONS[verb]
        if verb != desk.TRACE_WORD:
            desk.check_keeper(actor)
        await ask(update, context, name, key)
    else:
        await say(update, context, await desk.act(context.session(update).stock, actor, verb, rest))


async def ask(update: Update, context: BotContext, name: str, key: str, **data: Any) -> None:
    await context.session(update).conversation.expect(name, **data)
    await say(update, context, desk.ask(key, **data))


async def balance(update: Update, context: BotContext) -> None:
    """/stock: 库存."""
    actor = await need_actor(update, context)
    await say(update, context, await desk.balance(context.session(update).stock, actor))


async def kind_tapped(update: Update, context: BotContext) -> None:
    """The kind of the delivery: now its first and last serial."""
    kind = desk.kind_at(tapped(update, ReceiveKind).kind)
    desk.check_keeper(await need_actor(update, context))
    await ask(update, context, desk.RECEIVE, "stockchat.receive.ask", kind=kind)


def _answer(verb: str) -> Any:
    async def given(
        update: Update, context: BotContext, state: dict[str, Any], answer: str
    ) -> None:
        actor = await need_actor(update, context)
        if verb == desk.RECEIVE_WORD:
            screen = await desk.receive(context.session(update).stock, actor, state["kind"], answer)
        else:
            screen = await desk.act(context.session(update).stock, actor, verb, answer)
        await say(update, context, screen)

    return given


def register(app: Application) -> None:  # type: ignore[type-arg]
    fallback.on(desk.RECEIVE, _answer(desk.RECEIVE_WORD))
    fallback.on(desk.VOID, _answer(desk.VOID_WORD))
    fallback.on(desk.RETURN, _answer(desk.RETURN_WORD))
    fallback.on(desk.TRACE, _answer(desk.TRACE_WORD))
    app.add_handler(CommandHandler("stock", balance))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & WORDS, word))
    app.add_handler(CallbackQueryHandler(kind_tapped, pattern=taps(ReceiveKind)))
