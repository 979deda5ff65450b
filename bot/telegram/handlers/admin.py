"""Administrators (管理员) in the bot: /admin (管理), /invite PHONE (邀请), /invites (邀请表),
/bindings (绑定情况), /unbind PHONE (解绑); the Chinese words work as typed text too. Every act
asks the server again who is asking, so an unbound account is refused at once."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.telegram.context import BotContext
from bot.telegram.handlers import fallback
from bot.telegram.handlers.fallback import text_answer
from bot.telegram.handlers.gradchat import send_files
from bot.telegram.ui import need_actor, say, show, tapped, taps
from issuance.accounts import Accounts, check_admin
from issuance.chat import admin_desk as desk
from issuance.chat.admin_desk import AskInvite, AskUnbind, InviteSheet, ShowBindings
from issuance.core.people import Role

WORDS = filters.Regex(r"^\s*(管理|邀请表|邀请|绑定情况|解绑)(\s|$)")
# The Latin commands and the words they stand for.
COMMAND_WORDS = {
    "/admin": desk.MENU_WORD,
    "/invite": desk.INVITE_WORD,
    "/invites": desk.SHEET_WORD,
    "/bindings": desk.BINDINGS_WORD,
    "/unbind": desk.UNBIND_WORD,
}


async def admin_menu(update: Update, context: BotContext) -> None:
    """/admin, 管理: what an administrator can do."""
    check_admin(await need_actor(update, context))
    await show(update, context, desk.menu())


async def invite(update: Update, context: BotContext, phone: str) -> None:
    """邀请 PHONE: the code, its instruction and its QR picture."""
    actor = await need_actor(update, context)
    channels = desk.bind_channels(context.settings)
    screen, picture = await desk.invite(
        Accounts(context.session(update).issuance), actor, phone, channels
    )
    await say(update, context, screen)
    await send_files(update, context, [picture])


async def invite_sheet(update: Update, context: BotContext) -> None:
    """邀请表: everyone not bound, as one XLSX."""
    actor = await need_actor(update, context)
    channels = desk.bind_channels(context.settings)
    screen, sheet = await desk.invite_sheet(
        Accounts(context.session(update).issuance), actor, channels
    )
    await say(update, context, screen)
    if sheet is not None:
        await send_files(update, context, [sheet])


async def bindings(update: Update, context: BotContext) -> None:
    """绑定情况."""
    actor = await need_actor(update, context)
    await say(
        update, context, await desk.bindings(Accounts(context.session(update).issuance), actor)
    )


async def unbind(update: Update, context: BotContext, phone: str) -> None:
    """解绑 PHONE."""
    actor = await need_actor(update, context)
    await say(
        update, context, await desk.unbind(Accounts(context.session(update).issuance), actor, phone)
    )


async def ask_phone(update: Update, context: BotContext, name: str, key: str) -> None:
    check_admin(await need_actor(update, context))
    await context.session(update).conversation.expect(name)
    await say(update, context, desk.ask(key))


async def command(update: Update, context: BotContext) -> None:
    """The commands and the typed words: act, or ask for the phone number."""
    message = update.effective_message
    assert message is not None and message.text is not None
    actor = await need_actor(update, context)
    if actor.role != Role.ADMIN and not message.text.startswith("/"):
        await text_answer(update, context)  # another role's answer that starts with 邀请, say
        return
    word, _, rest = message.text.strip().partition(" ")
    word = COMMAND_WORDS.get(word.split("@")[0], word)
    phone = rest.strip()
    if word == desk.MENU_WORD:
        await admin_menu(update, context)
    elif word == desk.SHEET_WORD:
        await invite_sheet(update, context)
    elif word == desk.BINDINGS_WORD:
        await bindings(update, context)
    elif word == desk.INVITE_WORD:
        await (invite(update, context, phone) if phone else ask_invite(update, context))
    else:
        await (unbind(update, context, phone) if phone else ask_unbind(update, context))


async def ask_invite(update: Update, context: BotContext) -> None:
    await ask_phone(update, context, desk.INVITE_PHONE, "admin.ask_invite")


async def ask_unbind(update: Update, context: BotContext) -> None:
    await ask_phone(update, context, desk.UNBIND_PHONE, "admin.ask_unbind")


async def sheet_tapped(update: Update, context: BotContext) -> None:
    tapped(update, InviteSheet)
    await invite_sheet(update, context)


async def bindings_tapped(update: Update, context: BotContext) -> None:
    tapped(update, ShowBindings)
    await bindings(update, context)


async def invite_given(
    update: Update, context: BotContext, state: dict[str, Any], answer: str
) -> None:
    await invite(update, context, answer)


async def unbind_given(
    update: Update, context: BotContext, state: dict[str, Any], answer: str
) -> None:
    await unbind(update, context, answer)


def register(app: Application) -> None:  # type: ignore[type-arg]
    fallback.on(desk.INVITE_PHONE, invite_given)
    fallback.on(desk.UNBIND_PHONE, unbind_given)
    for name in COMMAND_WORDS:
        app.add_handler(CommandHandler(name.removeprefix("/"), command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & WORDS, command))
    for kind, callback in (
        (InviteSheet, sheet_tapped),
        (ShowBindings, bindings_tapped),
        (AskInvite, ask_invite),
        (AskUnbind, ask_unbind),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=taps(kind)))
