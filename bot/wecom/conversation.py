"""The WeCom conversations: text commands, card clicks and awaited answers, on the chat layer.

Each handler pulls plain values out of the callback, calls the core, and answers with a screen
(text, plus its buttons as cards) or a WeCom card. Clicks arrive as packed typed actions
(`issuance.chat.actions`, and WeCom's own in `bot.wecom.actions`).
"""

from __future__ import annotations

import base64
import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.wecom import admin, cards, gradchat, graduation, handout, oauth, outputs, stock
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
from issuance.chat import xcert as screens
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
from issuance.chat.screens import help_topic
from issuance.core.errors import Conflict, DomainError, Invalid, NotFound
from issuance.core.messaging import Inbound
from issuance.graduation.desk import is_graduation
from issuance.xcert import broadcasting, desk, listing, notices, stamping
from issuance.xcert.archive import write_batch_archives
from issuance.xcert.completion import FIELDS, field_label
from issuance.xcert.service import id_ranges

log = logging.getLogger(__name__)

DRAFT = "stamp"
GREETED = "greeted"
ARCHIVE_PART = 18 * 2**20  # WeCom takes files up to 20 MB
Handler = Callable[[Turn, list[str]], Awaitable[None]]
Answer = Callable[[Turn, dict[str, Any], str], Awaitable[None]]


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
        person = await turn.actor()
        if person is not None:
            await turn.store.mark_unreachable(person.id, CHANNEL)
    elif kind == "image":
        await stamp_received(turn)
    else:
        log.info("wecom: %s from a member ignored", kind)


async def greet(turn: Turn) -> None:
    """A member who is not bound opens the app for the first time: say how to bind (once;
    WeCom reports every visit)."""
    if await turn.actor() is not None:
        return
    if await turn.store.chat_state(CHANNEL, turn.account, GREETED) is not None:
        return
    await turn.conversation.keep(GREETED, {"greeted": True})
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
    awaited = await turn.conversation.take_awaited()
    if awaited is not None and awaited.name in _ANSWERS:
        await _ANSWERS[awaited.name](turn, awaited.data, text)
        return
    person = await turn.actor()
    await turn.say(turn.text("wecom.unknown_text" if person else "wecom.not_bound"))


async def help_command(turn: Turn, args: list[str]) -> None:
    await turn.say(turn.text(f"wecom.help.{help_topic(await turn.actor())}"))


async def pending(turn: Turn, args: list[str]) -> None:
    """待签发: the batches with their counts, and cards to open one (for graduation people,
    the declarations and requests waiting for them)."""
    actor = await turn.need_actor()
    if is_graduation(actor):
        await graduation.pending(turn)
        return
    await turn.show(screens.pending_list(await turn.issuance.visible_batches(actor)))


async def cancel(turn: Turn, args: list[str]) -> None:
    """取消: forget whatever was asked for."""
    awaited = await turn.conversation.take_awaited()
    await turn.say(turn.text("bot.cancelled" if awaited else "bot.nothing_to_cancel"))


async def verify(turn: Turn, args: list[str]) -> None:
    """查验 CERT_NO ID_NO (an X certificate), or 查验 alone to be asked which kind."""
    if len(args) == 2:
        await _verify_answer(turn, *args)
        return
    await gradchat.verify_command(turn)


async def _verify_given(turn: Turn, data: dict[str, Any], reply: str) -> None:
    parts = reply.split()
    if len(parts) != 2:
        await turn.conversation.expect("verify")
        raise Invalid("bot.verify.format")
    await _verify_answer(turn, *parts)


async def _verify_answer(turn: Turn, cert_no: str, id_number: str) -> None:
    turn.throttle_verify()
    result = await turn.issuance.verify(cert_no, id_number)
    await turn.say(turn.text(f"bot.verify.{result.status}", **asdict(result)))


async def stamp(turn: Turn, args: list[str]) -> None:
    """签名章: explain what picture to send (only to whoever may hold a stamp)."""
    stamping.check_holder(await turn.need_actor())
    await turn.say(turn.text("wecom.stamp.howto"))


async def stamp_received(turn: Turn) -> None:
    """A picture from a stamp holder: check it, make it clean, show it on a certificate."""
    actor = await turn.need_actor()
    stamping.check_holder(actor)
    data = await turn.client.media(str(turn.fields.get("MediaId", "")))
    stamping.check_upload_size(len(data))
    clean, preview = await stamping.prepare(turn.issuance, actor, data)
    await turn.conversation.keep(DRAFT, {"png": base64.b64encode(clean).decode()})
    await turn.image(preview, "preview.png")
    await turn.say(turn.text("bot.stamp.consent", letter=stamping.letter(turn.locale)))
    await turn.card(cards.stamp_card(new_task(), turn.locale))


async def stamp_accept(turn: Turn) -> None:
    """The letter of authorization accepted: save the checked stamp as the new version."""
    actor = await turn.need_actor()
    draft = await turn.conversation.take(DRAFT)
    if draft is None:
        await turn.say(turn.text("bot.stamp.no_draft"))
        return
    version = await stamping.save(turn.issuance, actor, base64.b64decode(draft["png"]))
    await turn.replace_buttons(turn.text("wecom.card.saved"))
    await turn.say(turn.text("bot.stamp.saved", version=version))


async def stamp_discard(turn: Turn) -> None:
    await turn.conversation.take(DRAFT)
    await turn.replace_buttons(turn.text("wecom.card.discarded"))
    await turn.say(turn.text("bot.stamp.discarded"))


async def broadcast(turn: Turn, args: list[str]) -> None:
    """群发 (evaluators): pick the exam plan whose pending lists go out to the schools."""
    actor = await turn.need_actor()
    await turn.show(screens.plan_choice(await broadcasting.plans_for(turn.issuance, actor)))


async def broadcast_plan(turn: Turn, key: str, plan_id: int) -> None:
    """Queue one notice per school, once; the final report comes when all went out."""
    actor = await turn.need_actor()
    await turn.claim(key)
    state = await broadcasting.start(turn.issuance, actor, plan_id)
    await turn.replace_buttons(turn.text("wecom.card.sent"))
    await turn.say(screens.progress_text(state).render(turn.locale))


async def lists(turn: Turn, args: list[str]) -> None:
    """生成名单 (evaluators): the exam plans with passed results not yet on a pending list."""
    actor = await turn.need_actor()
    await turn.show(screens.lists_choice(await listing.plans_to_list(turn.issuance, actor)))


async def create_lists(turn: Turn, key: str, plan_id: int) -> None:
    """Generate the plan's lists once (one batch per school, certificate numbers allocated)."""
    actor = await turn.need_actor()
    await turn.claim(key)
    created = await listing.create_for(turn.issuance, actor, plan_id)
    await turn.replace_buttons(turn.text("wecom.card.done"))
    await turn.say(screens.lists_created(created).render(turn.locale))


# Card clicks


async def _click(turn: Turn, key: str) -> None:
    """One clicked button: its packed action, checked and acted on."""
    match parse(key):
        case OpenBatch(batch, page):
            await open_batch(turn, batch, page)
        case ConfirmChosen() | RefuseChosen() | ResubmitChosen() | FlagChosen() as action:
            await _chosen(turn, key, action)
        case ConfirmBatch(batch):
            actor = await turn.need_actor()
            await sign(turn, key, await desk.waiting_in_batch(turn.issuance, actor, batch), {})
        case FlagField(record, field) if field < len(FIELDS):
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
        case action if isinstance(action, admin.ACTIONS):
            await admin.clicked(turn, action)
        case action if isinstance(action, stock.ACTIONS):
            await stock.clicked(turn, action)
        case action if isinstance(action, outputs.ACTIONS):
            await outputs.clicked(turn, action)
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
    actor = await turn.need_actor()
    view = await desk.batch_page(turn.issuance, actor, batch_id, page)
    card = cards.batch_card(view, new_task(), turn.locale)
    notes = cards.refusals_text(view, turn.locale)
    if notes:
        await turn.say(notes)
    if not await turn.update_card(card):
        await turn.card(card)


async def sign(turn: Turn, key: str, ids: list[int], versions: dict[int, int]) -> None:
    """确认签发 / 批量确认签发: check, then the signing link (a link card and its QR code)."""
    actor = await turn.need_actor()
    records = await desk.check_current(turn.issuance, actor, ids, versions)
    step = turn.services.signing
    if step is None:
        raise DomainError("bot.sign.unavailable")
    await turn.claim(f"{key}|{id_ranges(ids)}")
    await turn.replace_buttons(turn.text("wecom.card.signing"))
    # WeCom cannot edit the card's text later: the result comes as a new message (message_id 0)
    ref = {"chat_id": turn.account, "message_id": 0, "locale": turn.locale, "channel": CHANNEL}
    link = await step(turn.issuance, actor, ids, ref)
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
    actor = await turn.need_actor()
    records = await desk.check_refusable(turn.issuance, actor, versions)
    await turn.conversation.expect("refuse", versions={str(k): v for k, v in versions.items()})
    names = "、".join(r.student_name for r in records[:5]) + ("…" if len(records) > 5 else "")
    await turn.say(turn.text("wecom.refuse.ask", count=len(records), names=names))


async def _reason_given(turn: Turn, data: dict[str, Any], reason: str) -> None:
    """The reason arrived: refuse exactly the records asked about, at the versions seen."""
    actor = await turn.need_actor()
    versions = {int(k): v for k, v in data["versions"].items()}
    try:
        await desk.check_refusable(turn.issuance, actor, versions)
        records = await turn.issuance.refuse(actor, list(versions), reason)
    except Invalid:
        await turn.conversation.expect("refuse", **data)  # still waiting for a good reason
        raise
    await turn.say(turn.text("bot.refuse.done", count=len(records), reason=reason.strip()))


async def resubmit(turn: Turn, record_id: int, version: int) -> None:
    """重新提交 (evaluators): the corrected record goes through sign-off again."""
    actor = await turn.need_actor()
    await desk.check_version(turn.issuance, actor, record_id, version)
    (record,) = await turn.issuance.resubmit(actor, [record_id])
    await notices.resubmitted(turn.store, record)
    await turn.say(turn.text("bot.resubmit.done", name=record.student_name, status=record.status))


async def ask_field(turn: Turn, record_id: int) -> None:
    """完善信息 (evaluators): which field of the chosen record must the school complete?"""
    actor = await turn.need_actor()
    await turn.issuance.records_for_act(actor, [record_id])
    await turn.card(cards.fields_card(record_id, new_task(), turn.locale))


async def ask_note(turn: Turn, record_id: int, index: int) -> None:
    """The field is chosen: now the note, with an optional deadline (the next message)."""
    actor = await turn.need_actor()
    await turn.issuance.records_for_act(actor, [record_id])
    await turn.conversation.expect("flag", record=record_id, field=FIELDS[index])
    await turn.replace_buttons(field_label(FIELDS[index], turn.locale))
    await turn.say(turn.text("wecom.completion.ask_note"))


async def _note_given(turn: Turn, data: dict[str, Any], note: str) -> None:
    actor = await turn.need_actor()
    try:
        flagged = await turn.completion.flag(actor, [data["record"]], data["field"], note)
    except Invalid:
        await turn.conversation.expect("flag", **data)
        raise
    await turn.say(turn.text("completion.flagged", deadline=flagged[0].deadline))


async def problems(turn: Turn, args: list[str]) -> None:
    """完善信息: the school's open student-info problems."""
    await show_problems(turn, 0, new_card=True)


async def show_problems(turn: Turn, page: int, new_card: bool) -> None:
    actor = await turn.need_actor()
    open_ = await turn.completion.open_for(actor)
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
    actor = await turn.need_actor()
    problem = {p.id: p for p in await turn.completion.open_for(actor)}.get(problem_id)
    if problem is None:
        raise NotFound("completion.no_such_problem")
    await turn.conversation.expect("fix", problem=problem.id)
    field = field_label(problem.field, turn.locale)
    await turn.say(turn.text("wecom.completion.ask_value", field=field, name=problem.student_name))


async def _value_given(turn: Turn, data: dict[str, Any], value: str) -> None:
    actor = await turn.need_actor()
    try:
        fixed = await turn.completion.fix(actor, data["problem"], value)
    except Invalid:
        await turn.conversation.expect("fix", **data)  # still waiting for a good value
        raise
    await turn.say(
        turn.text("completion.fixed_all" if fixed.school_done else "completion.fixed_one")
    )


async def download(turn: Turn, batch_id: int) -> None:
    """下载证书 (evaluators): the batch's certificates and records as ZIP files, each under
    WeCom's 20 MB file limit."""
    actor = await turn.need_actor()
    await desk.check_download(turn.issuance, actor, batch_id)
    await turn.say(turn.text("bot.download.preparing"))
    with tempfile.TemporaryDirectory() as folder:
        parts = await write_batch_archives(
            turn.store, turn.services.settings, batch_id, Path(folder), part_limit=ARCHIVE_PART
        )
        for part in parts:
            await turn.file(part.read_bytes(), part.name)


_ANSWERS: dict[str, Answer] = {
    "refuse": _reason_given,
    "verify": _verify_given,
    "fix": _value_given,
    "flag": _note_given,
    graduation.RETURN: graduation.reason_given,
    graduation.ISSUE: graduation.first_serial_given,
    gradchat.GRADUATION_ANSWER: gradchat.graduation_given,
    handout.MAIL: handout.mailing_given,
    handout.MAIL_ON: handout.tracking_given,
    **admin.ANSWERS,
    **stock.ANSWERS,
}

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
    **{word: word for word in (*admin.WORDS, *stock.WORDS)},
    "导出": "export",
    "/export": "export",
}

_HANDLERS: dict[str, Handler] = {
    "bind": admin.bind,
    "pending": pending,
    "help": help_command,
    "verify": verify,
    "stamp": stamp,
    "cancel": cancel,
    "problems": problems,
    "broadcast": broadcast,
    "lists": lists,
    "print": outputs.print_command,
    "roster": outputs.roster_command,
    "stats": gradchat.stats_command,
    "handout": handout.overview,
    **admin.WORDS,
    **stock.WORDS,
    "export": outputs.export_command,
}
