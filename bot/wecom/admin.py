"""Administrators (管理员) on WeCom: 管理, 邀请 手机号, 邀请表, 绑定情况, 解绑 手机号 — the same
admin desk as on Telegram — and the member's own 绑定: without a code it opens the bind page
(WeCom's OAuth2 with snsapi_privateinfo gives the mobile number), with one the invite binds."""

from __future__ import annotations

from typing import Any

from bot.wecom.context import CHANNEL, Turn
from bot.wecom.gradchat import send_files
from bot.wecom.stock import PassOn
from issuance.accounts import Accounts, check_admin
from issuance.chat import admin_desk as desk
from issuance.chat.admin_desk import AskInvite, AskUnbind, InviteSheet, ShowBindings
from issuance.core.people import Role

ACTIONS = desk.ACTIONS
# Where the bind page lives (its route is in web.wecom_bind).
BIND_PATH = "/wecom/bind"


def accounts(turn: Turn) -> Accounts:
    return Accounts(turn.session.issuance)


async def bind(turn: Turn, args: list[str]) -> None:
    """绑定 [CODE]: a code binds at once; without one an unbound member gets the bind page
    (their mobile number through WeCom's OAuth2), a bound one is greeted."""
    if args:
        bound = await turn.session.issuance.bind(args[0], CHANNEL, turn.account, None)
        await turn.say(
            turn.text("wecom.start.bound", name=bound.name, org=bound.org_name, role=bound.role)
        )
        return
    person = await turn.session.actor()
    if person is not None:
        await turn.say(turn.text("wecom.start.welcome", name=person.name, org=person.org_name))
        return
    public = turn.services.settings.public_url.rstrip("/")
    await turn.textcard(
        turn.text("admin.bind.title"),
        turn.text("admin.bind.prompt"),
        f"{public}{BIND_PATH}",
        turn.text("admin.bind.open"),
    )


async def _admin(turn: Turn) -> None:
    """Administrators' words; anybody else's text (an answer that starts with 邀请) passes on."""
    if (await turn.session.need_actor()).role != Role.ADMIN:
        raise PassOn


async def menu(turn: Turn, args: list[str]) -> None:
    """管理."""
    await _admin(turn)
    await turn.show(desk.menu())


async def invite(turn: Turn, args: list[str]) -> None:
    """邀请 [手机号]."""
    await _admin(turn)
    if not args:
        await _ask(turn, desk.INVITE_PHONE, "admin.ask_invite")
        return
    await invite_phone(turn, " ".join(args))


async def invite_phone(turn: Turn, phone: str) -> None:
    actor = await turn.session.need_actor()
    channels = desk.bind_channels(turn.services.settings)
    screen, picture = await desk.invite(accounts(turn), actor, phone, channels)
    await turn.show(screen)
    await send_files(turn, [picture])


async def invite_sheet(turn: Turn, args: list[str]) -> None:
    """邀请表."""
    await _admin(turn)
    actor = await turn.session.need_actor()
    channels = desk.bind_channels(turn.services.settings)
    screen, sheet = await desk.invite_sheet(accounts(turn), actor, channels)
    await turn.show(screen)
    if sheet is not None:
        await send_files(turn, [sheet])


async def bindings(turn: Turn, args: list[str]) -> None:
    """绑定情况."""
    await _admin(turn)
    await turn.show(await desk.bindings(accounts(turn), await turn.session.need_actor()))


async def unbind(turn: Turn, args: list[str]) -> None:
    """解绑 [手机号]."""
    await _admin(turn)
    if not args:
        await _ask(turn, desk.UNBIND_PHONE, "admin.ask_unbind")
        return
    await unbind_phone(turn, " ".join(args))


async def unbind_phone(turn: Turn, phone: str) -> None:
    await turn.show(await desk.unbind(accounts(turn), await turn.session.need_actor(), phone))


async def _ask(turn: Turn, name: str, key: str) -> None:
    check_admin(await turn.session.need_actor())
    await turn.session.conversation.expect(name)
    await turn.show(desk.ask(key))


async def clicked(turn: Turn, action: desk.AdminAction) -> None:
    """A button of the administrator's menu (a forwarded card clicked by anybody else is
    refused, not passed on as text)."""
    check_admin(await turn.session.need_actor())
    match action:
        case InviteSheet():
            await invite_sheet(turn, [])
        case ShowBindings():
            await bindings(turn, [])
        case AskInvite():
            await invite(turn, [])
        case AskUnbind():
            await unbind(turn, [])


async def invite_given(turn: Turn, data: dict[str, Any], answer: str) -> None:
    await invite_phone(turn, answer)


async def unbind_given(turn: Turn, data: dict[str, Any], answer: str) -> None:
    await unbind_phone(turn, answer)


WORDS = {
    desk.MENU_WORD: menu,
    desk.INVITE_WORD: invite,
    desk.SHEET_WORD: invite_sheet,
    desk.BINDINGS_WORD: bindings,
    desk.UNBIND_WORD: unbind,
}
ANSWERS = {desk.INVITE_PHONE: invite_given, desk.UNBIND_PHONE: unbind_given}
