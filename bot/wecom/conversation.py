"""The WeCom conversations: text commands, card clicks and awaited answers, on the chat layer.

Each callback is routed here to a handler (the words every account has here; sign-off, completion,
stamps, graduation, printouts and hand-out in their own modules), which pulls plain values out of
it, calls the same desk as Telegram's handler and answers with a screen (text, plus its buttons
as cards) or a WeCom card. Clicks arrive as packed typed actions (`issuance.chat.actions`, and
WeCom's own in `bot.wecom.actions`); awaited answers go to `issuance.chat.answers`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.wecom import (
    admin,
    completion,
    declare,
    gradchat,
    graduation,
    handout,
    outputs,
    signoff,
    stamp,
    stock,
    upload,
)
from bot.wecom.actions import (
    ConfirmChosen,
    FixChosen,
    FlagChosen,
    ProblemsPage,
    RefuseChosen,
    ResubmitChosen,
)
from bot.wecom.api import WeComError
from bot.wecom.context import Services, Turn
from issuance.chat import account_desk, answers
from issuance.chat.actions import (
    AcceptStamp,
    Broadcast,
    Cancel,
    ConfirmBatch,
    CreateLists,
    DiscardStamp,
    Download,
    FixProblem,
    FlagField,
    ListProblems,
    OpenBatch,
    parse,
)
from issuance.chat.gradchat import verify_choice
from issuance.core.errors import Conflict, DomainError
from issuance.core.messaging import Inbound
from issuance.telemetry import REQUEST_ID

log = logging.getLogger(__name__)

Handler = Callable[[Turn, list[str]], Awaitable[None]]


async def handle(services: Services, item: Inbound) -> None:
    """Act on one stored callback; a domain error becomes a clear answer to the member."""
    REQUEST_ID.set(f"wecom-{item.id}")
    turn = Turn(services, item)
    await turn.load_locale()
    try:
        await _route(turn)
    except DomainError as error:
        await turn.say(error.message(turn.locale))
    except WeComError:
        raise
    except Exception:
        log.exception("wecom: unexpected error handling callback %s", item.id)
        await turn.say(turn.text("wecom.error"))


async def _route(turn: Turn) -> None:
    kind = turn.item.kind
    if kind == "text":
        await _text(turn, str(turn.fields.get("Content", "")).strip())
    elif kind == "event:template_card_event":
        await _click(turn, str(turn.fields.get("EventKey", "")))
    elif kind == "event:click":  # the app's own menu (自定义菜单)
        await _text(turn, str(turn.fields.get("EventKey", "")).strip())
    elif kind == "event:enter_agent":
        await greet(turn)
    elif kind == "event:unsubscribe":
        await turn.session.unreachable()
    elif kind == "image":
        await stamp.stamp_received(turn)
    else:
        log.info("wecom: %s from a member ignored", kind)


async def greet(turn: Turn) -> None:
    """A member who is not bound opens the app for the first time: say how to bind (once;
    WeCom reports every visit)."""
    if await turn.session.first_visit():
        await turn.say(turn.text("wecom.start.unknown"))


# Text commands and awaited answers


async def _text(turn: Turn, text: str) -> None:
    word, *args = text.split() or [""]
    command = _COMMANDS.get(word)
    if command is not None:
        try:
            await _HANDLERS[command](turn, args)
            return
        except stock.PassOn:
            pass  # another role's word: the text is an answer or unknown, as any text
    awaited = await turn.session.conversation.take_awaited()
    if awaited is not None and awaited.name in _CHANNEL_ANSWERS:
        await _CHANNEL_ANSWERS[awaited.name](turn, awaited.data, text)
        return
    reply = await answers.reply(turn.session, awaited, text)
    if reply is not None:
        await turn.show(reply)
        return
    person = await turn.session.actor()
    await turn.say(turn.text("wecom.unknown_text" if person else "wecom.not_bound"))


async def help_command(turn: Turn, args: list[str]) -> None:
    await turn.show(await account_desk.help_topic(turn.session))


async def pending(turn: Turn, args: list[str]) -> None:
    """待签发: the batches with their counts, and cards to open one (for graduation people,
    the declarations and requests waiting for them)."""
    await turn.show(await account_desk.pending(turn.session))


async def cancel(turn: Turn, args: list[str]) -> None:
    """取消: forget whatever was asked for."""
    await turn.show(await account_desk.cancel(turn.session))


async def verify(turn: Turn, args: list[str]) -> None:
    """查验 CERT_NO ID_NO (an X certificate), or 查验 alone to be asked which kind."""
    if len(args) == 2:
        await turn.show(await account_desk.verify(turn.session, *args))
        return
    await turn.show(verify_choice())


# Card clicks


async def _click(turn: Turn, key: str) -> None:
    """One clicked button: its packed action, checked and acted on."""
    match parse(key):
        case OpenBatch(batch, page):
            await signoff.open_batch(turn, batch, page)
        case ConfirmChosen() | RefuseChosen() | ResubmitChosen() | FlagChosen() as action:
            await signoff.chosen(turn, key, action)
        case ConfirmBatch(batch):
            await signoff.confirm_batch(turn, key, batch)
        case FlagField(record, field):
            await completion.ask_note(turn, record, field)
        case Download(batch):
            await signoff.download(turn, batch)
        case ListProblems():
            await completion.show_problems(turn, 0, new_card=True)
        case ProblemsPage(page):
            await completion.show_problems(turn, page, new_card=False)
        case FixChosen():
            await completion.fix_chosen(turn)
        case FixProblem(problem):
            await completion.ask_value(turn, problem)
        case CreateLists(plan):
            await signoff.create_lists(turn, key, plan)
        case Broadcast(plan):
            await signoff.broadcast_plan(turn, key, plan)
        case action if isinstance(action, graduation.ACTIONS):
            await graduation.clicked(turn, action)
        case action if isinstance(action, gradchat.ACTIONS):
            await gradchat.clicked(turn, action)
        case action if isinstance(action, handout.ACTIONS):
            await handout.clicked(turn, action)
        case action if isinstance(action, admin.ACTIONS):
            await admin.clicked(turn, action)
        case action if isinstance(action, stock.ACTIONS):
            await stock.clicked(turn, action)
        case action if isinstance(action, outputs.ACTIONS):
            await outputs.clicked(turn, action)
        case AcceptStamp():
            await stamp.stamp_accept(turn)
        case DiscardStamp():
            await stamp.stamp_discard(turn)
        case Cancel():
            await cancel(turn, [])
        case _:
            raise Conflict("bot.stale_button")


# Answers of the administrators' and stock keepers' questions, which only WeCom asks this way.
_CHANNEL_ANSWERS: dict[str, Any] = {**admin.ANSWERS, **stock.ANSWERS}


# What the app's menu sends for each command (the same words a member types).
COMMAND_WORDS = {
    "pending": "待签发",
    "stamp": "签名章",
    "verify": "查验",
    "upload": "上传",
    "help": "帮助",
}

_COMMANDS: dict[str, str] = {
    "绑定": "bind",
    "/start": "bind",
    "待签发": "pending",
    "/pending": "pending",
    "帮助": "help",
    "/help": "help",
    "查验": "verify",
    "证书查验": "verify",
    "/verify": "verify",
    "签名章": "stamp",
    "/stamp": "stamp",
    "完善信息": "problems",
    "生成名单": "lists",
    "/lists": "lists",
    "群发": "broadcast",
    "/broadcast": "broadcast",
    "发放": "handout",
    "/handout": "handout",
    "取消": "cancel",
    "/cancel": "cancel",
    "打印": "print",
    "/print": "print",
    "花名册": "roster",
    "/roster": "roster",
    "统计": "stats",
    "/stats": "stats",
    "上传": "upload",
    "导入": "upload",
    "/import": "upload",
    **{word: word for word in (*admin.WORDS, *stock.WORDS)},
    "导出": "export",
    "/export": "export",
    "申报": "declare",
    "申领": "request_blanks",
    "登记打印": "record_printing",
}

_HANDLERS: dict[str, Handler] = {
    "bind": admin.bind,
    "pending": pending,
    "help": help_command,
    "verify": verify,
    "stamp": stamp.stamp,
    "cancel": cancel,
    "problems": completion.problems,
    "broadcast": signoff.broadcast,
    "lists": signoff.lists,
    "print": outputs.print_command,
    "roster": outputs.roster_command,
    "stats": gradchat.stats_command,
    "handout": handout.overview,
    "upload": upload.upload,
    **admin.WORDS,
    **stock.WORDS,
    "export": outputs.export_command,
    "declare": declare.declare,
    "request_blanks": declare.request_blanks,
    "record_printing": declare.record_printing,
}
