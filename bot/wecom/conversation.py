"""The WeCom conversations: text commands, card clicks and awaited answers, on the chat layer.

Each handler pulls plain values out of the callback, calls the core, and answers with a screen
(text, plus its buttons as cards) or a WeCom card. Clicks arrive as packed typed actions
(`issuance.chat.actions`, and WeCom's own in `bot.wecom.actions`).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.wecom import cards, gradchat, graduation, handout, oauth
from bot.wecom.actions import (
    ConfirmChosen,
    FixChosen,
    FlagChosen,
    ProblemsPage,
    RefuseChosen,
    ResubmitChosen,
)
from bot.wecom.api import WeComError
from bot.wecom.context import CHANNEL, Services, Turn, new_task
from issuance.chat import account_desk, answers, completion_desk
from issuance.chat import xcert_desk as desk
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
from issuance.core.errors import Conflict, DomainError, Invalid
from issuance.store import Inbound
from issuance.xcert import broadcasting, stamping
from issuance.xcert.completion import field_label

log = logging.getLogger(__name__)

ARCHIVE_PART = 18 * 2**20  # WeCom takes files up to 20 MB
Handler = Callable[[Turn, list[str]], Awaitable[None]]


async def handle(services: Services, item: Inbound) -> None:
    """Act on one stored callback; a domain error becomes a clear answer to the member."""
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
        await stamp_received(turn)
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
        await _HANDLERS[command](turn, args)
        return
    reply = await answers.answer(turn.session, text)
    if reply is not None:
        turn.services.wake_sender()
        await turn.show(reply)
        return
    person = await turn.session.actor()
    await turn.say(turn.text("wecom.unknown_text" if person else "wecom.not_bound"))


async def bind(turn: Turn, args: list[str]) -> None:
    """绑定 CODE: the one-time invite code binds this WeCom member to a person."""
    await turn.show(await account_desk.bind(turn.session, args[0] if args else None))


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


async def stamp(turn: Turn, args: list[str]) -> None:
    """签名章: explain what picture to send (only to whoever may hold a stamp)."""
    await desk.check_stamp_holder(turn.session)
    await turn.say(turn.text("wecom.stamp.howto"))


async def stamp_received(turn: Turn) -> None:
    """A picture from a stamp holder: check it, make it clean, show it on a certificate."""
    session = turn.session
    await desk.check_stamp_holder(session)
    data = await turn.client.media(str(turn.fields.get("MediaId", "")))
    await desk.check_stamp_upload(session, len(data))
    await turn.image(await desk.stamp_received(session, data), "preview.png")
    await turn.say(turn.text("bot.stamp.consent", letter=stamping.letter(turn.locale)))
    await turn.card(cards.stamp_card(new_task(), turn.locale))


async def stamp_accept(turn: Turn) -> None:
    """The letter of authorization accepted: save the checked stamp as the new version."""
    answer, saved = await desk.accept_stamp(turn.session)
    if saved:
        await turn.replace_buttons(turn.text("wecom.card.saved"))
    await turn.show(answer)


async def stamp_discard(turn: Turn) -> None:
    answer = await desk.discard_stamp(turn.session)
    await turn.replace_buttons(turn.text("wecom.card.discarded"))
    await turn.show(answer)


async def broadcast(turn: Turn, args: list[str]) -> None:
    """群发 (evaluators): pick the exam plan whose pending lists go out to the schools."""
    await turn.show(await desk.broadcast_plans(turn.session))


async def broadcast_plan(turn: Turn, key: str, plan_id: int) -> None:
    """Queue one notice per school, once; the final report comes when all went out."""
    state = await desk.start_broadcast(turn.session, plan_id, turn.tap(key))
    turn.services.wake_sender()
    await turn.replace_buttons(turn.text("wecom.card.sent"))
    await turn.say(broadcasting.progress_text(state).render(turn.locale))


async def lists(turn: Turn, args: list[str]) -> None:
    """生成名单 (evaluators): the exam plans with passed results not yet on a pending list."""
    await turn.show(await desk.lists_choice(turn.session))


async def create_lists(turn: Turn, key: str, plan_id: int) -> None:
    """Generate the plan's lists once (one batch per school, certificate numbers allocated)."""
    created = await desk.create_lists(turn.session, plan_id, turn.tap(key))
    await turn.replace_buttons(turn.text("wecom.card.done"))
    await turn.show(created)


# Card clicks


async def _click(turn: Turn, key: str) -> None:
    """One clicked button: its packed action, checked and acted on."""
    match parse(key):
        case OpenBatch(batch, page):
            await open_batch(turn, batch, page)
        case ConfirmChosen() | RefuseChosen() | ResubmitChosen() | FlagChosen() as action:
            await _chosen(turn, key, action)
        case ConfirmBatch(batch):
            actor = await turn.session.need_actor()
            ids = await desk.waiting_in_batch(turn.session.issuance, actor, batch)
            await sign(turn, key, ids, {})
        case FlagField(record, field):
            await ask_note(turn, record, field)
        case Download(batch):
            await download(turn, batch)
        case ListProblems():
            await show_problems(turn, 0, new_card=True)
        case ProblemsPage(page):
            await show_problems(turn, page, new_card=False)
        case FixChosen():
            chosen = cards.selected_option(turn.fields, cards.PROBLEM_QUESTION) or ""
            if not chosen.isdigit():
                raise Invalid("wecom.batch.none_chosen")
            await ask_value(turn, int(chosen))
        case FixProblem(problem):
            await ask_value(turn, problem)
        case CreateLists(plan):
            await create_lists(turn, key, plan)
        case Broadcast(plan):
            await broadcast_plan(turn, key, plan)
        case action if isinstance(action, graduation.ACTIONS):
            await graduation.clicked(turn, action)
        case action if isinstance(action, gradchat.ACTIONS):
            await gradchat.clicked(turn, action)
        case action if isinstance(action, handout.ACTIONS):
            await handout.clicked(turn, action)
        case AcceptStamp():
            await stamp_accept(turn)
        case DiscardStamp():
            await stamp_discard(turn)
        case Cancel():
            await cancel(turn, [])
        case _:
            raise Conflict("bot.stale_button")


async def _chosen(
    turn: Turn, key: str, action: ConfirmChosen | RefuseChosen | ResubmitChosen | FlagChosen
) -> None:
    """A button acting on the record chosen in the card's drop-down."""
    choice = cards.parse_option(cards.selected_option(turn.fields) or "")
    if choice is None:
        raise Invalid("wecom.batch.none_chosen")
    record_id, version = choice
    if isinstance(action, ConfirmChosen):
        await sign(turn, key, [record_id], {record_id: version})
    elif isinstance(action, RefuseChosen):
        await ask_reason(turn, {record_id: version})
    elif isinstance(action, ResubmitChosen):
        await resubmit(turn, record_id, version)
    else:
        await ask_field(turn, record_id)


async def open_batch(turn: Turn, batch_id: int, page: int) -> None:
    """One page of a batch, in place of the clicked card."""
    session = turn.session
    view = await desk.batch_page(session.issuance, await session.need_actor(), batch_id, page)
    card = cards.batch_card(view, new_task(), turn.locale)
    notes = cards.refusals_text(view, turn.locale)
    if notes:
        await turn.say(notes)
    if not await turn.update_card(card):
        await turn.card(card)


async def sign(turn: Turn, key: str, ids: list[int], versions: dict[int, int]) -> None:
    """确认签发 / 批量确认签发: check, then the signing link (a link card and its QR code)."""
    session = turn.session
    records = await desk.start_signing(session, ids, versions, turn.tap(key))
    await turn.replace_buttons(turn.text("wecom.card.signing"))
    # WeCom cannot edit the card's text later: the result comes as a new message (message_id 0)
    ref = {"chat_id": turn.account, "message_id": 0, "locale": turn.locale, "channel": CHANNEL}
    link = await desk.signing_link(session, ids, ref)
    settings = turn.services.settings
    await turn.textcard(
        turn.text("wecom.sign.title", count=len(records)),
        turn.text("wecom.sign.prompt", minutes=settings.signoff_signing_ttl_minutes),
        oauth.wecom_link(settings, link.url),
        turn.text("wecom.sign.open"),
    )
    await turn.image(link.qr_png)


async def ask_reason(turn: Turn, versions: dict[int, int]) -> None:
    """拒绝签发: remember what is refused, ask for the reason (the member's next message)."""
    records = await desk.ask_refusal(turn.session, versions)
    names = "、".join(r.student_name for r in records[:5]) + ("…" if len(records) > 5 else "")
    await turn.say(turn.text("wecom.refuse.ask", count=len(records), names=names))


async def resubmit(turn: Turn, record_id: int, version: int) -> None:
    """重新提交 (evaluators): the corrected record goes through sign-off again."""
    answer = await desk.resubmit_tapped(turn.session, record_id, version)
    turn.services.wake_sender()
    await turn.show(answer)


async def ask_field(turn: Turn, record_id: int) -> None:
    """完善信息 (evaluators): which field of the chosen record must the school complete?"""
    await completion_desk.check_flaggable(turn.session, record_id)
    await turn.card(cards.fields_card(record_id, new_task(), turn.locale))


async def ask_note(turn: Turn, record_id: int, index: int) -> None:
    """The field is chosen: now the note, with an optional deadline (the next message)."""
    field = await completion_desk.ask_note(turn.session, record_id, index)
    await turn.replace_buttons(field_label(field, turn.locale))
    await turn.say(turn.text("wecom.completion.ask_note"))


async def problems(turn: Turn, args: list[str]) -> None:
    """完善信息: the school's open student-info problems."""
    await show_problems(turn, 0, new_card=True)


async def show_problems(turn: Turn, page: int, new_card: bool) -> None:
    session = turn.session
    open_ = await session.completion.open_for(await session.need_actor())
    if not open_:
        await turn.say(turn.text("completion.none_open"))
        return
    page = min(max(page, 0), (len(open_) - 1) // cards.PROBLEM_PAGE)
    await turn.say(cards.problems_text(open_, page * cards.PROBLEM_PAGE, turn.locale))
    card = cards.problems_card(open_, page, new_task(), turn.locale)
    if new_card or not await turn.update_card(card):
        await turn.card(card)


async def ask_value(turn: Turn, problem_id: int) -> None:
    """修改: ask for the problem's corrected value (the member's next message)."""
    problem = await completion_desk.ask_value(turn.session, problem_id)
    field = field_label(problem.field, turn.locale)
    await turn.say(turn.text("wecom.completion.ask_value", field=field, name=problem.student_name))


async def download(turn: Turn, batch_id: int) -> None:
    """下载证书 (evaluators): the batch's certificates and records as ZIP files, each under
    WeCom's 20 MB file limit."""
    session = turn.session
    await desk.check_download(session.issuance, await session.need_actor(), batch_id)
    await turn.say(turn.text("bot.download.preparing"))
    with tempfile.TemporaryDirectory() as folder:
        parts = await desk.download_parts(session, batch_id, Path(folder), ARCHIVE_PART)
        for part in parts:
            await turn.file(part.read_bytes(), part.name)


# What the app's menu sends for each command (the same words a member types).
COMMAND_WORDS = {"pending": "待签发", "stamp": "签名章", "verify": "查验", "help": "帮助"}

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
}

_HANDLERS: dict[str, Handler] = {
    "bind": bind,
    "pending": pending,
    "help": help_command,
    "verify": verify,
    "stamp": stamp,
    "cancel": cancel,
    "problems": problems,
    "broadcast": broadcast,
    "lists": lists,
    "print": gradchat.print_command,
    "roster": gradchat.roster_command,
    "stats": gradchat.stats_command,
    "handout": handout.overview,
}
