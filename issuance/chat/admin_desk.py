"""What a chat does for administrators (管理员), for every channel: 邀请 手机号 (a code and its QR
picture with the bind instruction), 邀请表 (everyone not bound, as one XLSX), 绑定情况, 解绑
手机号. Every function goes through `Accounts`, which checks the administrator again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from issuance.accounts import Accounts
from issuance.chat.actions import Action
from issuance.chat.gradchat import OutFile
from issuance.chat.screens import Button, Lines, Part, Screen, Text
from issuance.core.people import Channel, Invite, Person
from issuance.core.settings import Settings
from issuance.formats.tabular import write_table_bytes
from issuance.xcert.signing import qr_png

# 绑定情况 names people one a line up to this many (a chat message has a length limit); the
# XLSX of 邀请表 carries everyone.
BINDINGS_SHOWN = 60
SHEET_HEADERS = ("姓名", "机构", "角色", "手机号", "邀请码", "有效期至", "绑定方式")
# The words an administrator types, and what they answer.
INVITE_WORD, SHEET_WORD, BINDINGS_WORD, UNBIND_WORD, MENU_WORD = (
    "邀请",
    "邀请表",
    "绑定情况",
    "解绑",
    "管理",
)
# The answers an administrator's conversation awaits: a phone number to invite or to unbind.
INVITE_PHONE = "admin_invite_phone"
UNBIND_PHONE = "admin_unbind_phone"


@dataclass(frozen=True)
class InviteSheet(Action, prefix="ais"):
    """邀请表: an invite for everyone not bound yet, as one XLSX."""


@dataclass(frozen=True)
class ShowBindings(Action, prefix="abs"):
    """绑定情况: who is bound on which channel."""


@dataclass(frozen=True)
class AskInvite(Action, prefix="aiv"):
    """邀请: ask for the phone number of the person to invite."""


@dataclass(frozen=True)
class AskUnbind(Action, prefix="aub"):
    """解绑: ask for the phone number of the person to unbind."""


ACTIONS = (InviteSheet, ShowBindings, AskInvite, AskUnbind)
AdminAction = InviteSheet | ShowBindings | AskInvite | AskUnbind


def bind_channels(settings: Settings) -> list[Channel]:
    """The channels this deployment runs, so an invite tells how to bind on each."""
    channels = [Channel.TELEGRAM] if settings.telegram_token else []
    if settings.wecom_enabled:
        channels.append(Channel.WECOM)
    return channels or [Channel.TELEGRAM]


def menu() -> Screen:
    """管理: what an administrator can do here."""
    return Screen(
        Text("admin.menu"),
        [
            [Button(Text("admin.button.invite"), AskInvite())],
            [Button(Text("admin.button.sheet"), InviteSheet())],
            [Button(Text("admin.button.bindings"), ShowBindings())],
            [Button(Text("admin.button.unbind"), AskUnbind())],
        ],
    )


def ask(key: str) -> Screen:
    """A question whose answer is the next message."""
    return Screen(Text(key))


def instructions(invite: Invite, channels: Sequence[Channel]) -> list[Part]:
    """How to bind with this code on each channel."""
    parts: list[Part] = []
    for channel in channels:
        if channel == Channel.WECOM:
            parts.append(Text("admin.how.wecom", {"code": invite.code}))
        else:
            parts.append(Text("admin.how.telegram", {"link": invite.link}))
    return parts


def _qr_target(invite: Invite, channels: Sequence[Channel]) -> str:
    """What the QR picture holds: the Telegram deep link where there is one, else the words
    to send in the WeCom app."""
    if Channel.TELEGRAM in channels and invite.link.startswith("https://"):
        return invite.link
    if Channel.WECOM in channels:
        return f"绑定 {invite.code}"
    return invite.link


async def invite(
    accounts: Accounts, actor: Person, phone: str, channels: Sequence[Channel]
) -> tuple[Screen, OutFile]:
    """邀请 手机号: the code, its expiry and bind instruction, and the QR picture."""
    made = await accounts.invite(actor, phone)
    person = made.person
    head = Text(
        "admin.invited",
        {
            "name": person.name,
            "org": person.org_name,
            "role": person.role,
            "code": made.code,
            "expires": made.expires_at,
        },
    )
    picture = OutFile(
        f"invite-{made.code}.png",
        qr_png(_qr_target(made, channels)),
        Lines(instructions(made, channels)),
        picture=True,
    )
    return Screen(Lines([head, *instructions(made, channels)])), picture


def _how(invite: Invite, channels: Sequence[Channel]) -> str:
    """The bind instruction of the sheet's last column (Chinese: the sheet is handed out)."""
    return "；".join(part.render("zh") for part in instructions(invite, channels))


async def invite_sheet(
    accounts: Accounts, actor: Person, channels: Sequence[Channel]
) -> tuple[Screen, OutFile | None]:
    """邀请表: everyone not bound yet, one invite each, as one XLSX to hand out."""
    invites = await accounts.invites_for_unbound(actor)
    if not invites:
        return Screen(Text("admin.sheet.none")), None
    rows = [
        (
            i.person.name,
            i.person.org_name,
            i.person.role,
            i.person.phone,
            i.code,
            i.expires_at,
            _how(i, channels),
        )
        for i in invites
    ]
    data = write_table_bytes(SHEET_HEADERS, rows, "xlsx")
    params = {"count": len(invites), "expires": invites[0].expires_at}
    sheet = OutFile("邀请表.xlsx", data, Text("admin.sheet.caption", params))
    return Screen(Text("admin.sheet.made", params)), sheet


def _channel_names(channels: Sequence[str]) -> Part:
    if not channels:
        return Text("admin.bindings.none")
    return Lines([Text(f"admin.channel.{c}") for c in channels], "、")


async def bindings(accounts: Accounts, actor: Person) -> Screen:
    """绑定情况: counts, then one line a person (the unbound first)."""
    everyone = await accounts.bindings(actor)
    everyone.sort(key=lambda b: bool(b.channels))
    bound = sum(1 for b in everyone if b.channels)
    parts: list[Part] = [
        Text("admin.bindings.title", {"bound": bound, "unbound": len(everyone) - bound})
    ]
    for b in everyone[:BINDINGS_SHOWN]:
        p = b.person
        parts.append(
            Text(
                "admin.bindings.line",
                {
                    "name": p.name,
                    "org": p.org_name,
                    "role": p.role,
                    "phone": p.phone,
                    "channels": _channel_names(b.channels),
                },
            )
        )
    if len(everyone) > BINDINGS_SHOWN:
        parts.append(Text("admin.bindings.more", {"count": len(everyone) - BINDINGS_SHOWN}))
    return Screen(Lines(parts), [[Button(Text("admin.button.sheet"), InviteSheet())]])


async def unbind(accounts: Accounts, actor: Person, phone: str) -> Screen:
    """解绑 手机号: the person's chat accounts lose access at once."""
    done = await accounts.unbind(actor, phone)
    params = {
        "name": done.person.name,
        "org": done.person.org_name,
        "channels": _channel_names(done.channels),
    }
    return Screen(Text("admin.unbound", params))
