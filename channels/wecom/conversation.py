"""The WeCom conversations: text commands, card clicks and awaited answers, on the core use cases.

Each handler pulls plain values out of the callback, calls the core, and answers with a text
or a card. Button keys use the same `prefix:id:id` data as the Telegram bot's buttons.
"""

from __future__ import annotations

import base64
import logging
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from channels.wecom import cards
from channels.wecom.api import WeComError
from channels.wecom.context import CHANNEL, Services, Turn, new_task
from issuance.core.errors import Conflict, DomainError, Invalid, NotFound
from issuance.store import Inbound
from issuance.xcert import desk, notices, stamping
from issuance.xcert.archive import write_batch_archives
from issuance.xcert.completion import FIELDS, Completion, field_label
from issuance.xcert.service import id_ranges

log = logging.getLogger(__name__)

AWAIT = "await"
DRAFT = "stamp"
VERIFY_PER_MINUTE = 5
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
    elif kind == "event:unsubscribe":
        person = await turn.actor()
        if person is not None:
            await turn.store.mark_unreachable(person.id, CHANNEL)
    elif kind == "image":
        await stamp_received(turn)
    elif kind == "file":
        await turn.say(turn.text("wecom.unexpected_file"))
    else:
        log.info("wecom: %s from a member ignored", kind)


# Text commands

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
    "取消": "cancel",
    "/cancel": "cancel",
}


async def _text(turn: Turn, text: str) -> None:
    word, *args = text.split() or [""]
    command = _COMMANDS.get(word)
    if command is not None:
        await _HANDLERS[command](turn, args)
        return
    state = await turn.store.take_chat_state(CHANNEL, turn.account, AWAIT)
    if state is not None and state.get("name") in _ANSWERS:
        await _ANSWERS[state.pop("name")](turn, state, text)
        return
    person = await turn.actor()
    await turn.say(turn.text("wecom.unknown_text" if person else "wecom.not_bound"))


async def bind(turn: Turn, args: list[str]) -> None:
    """绑定 CODE: the one-time invite code binds this WeCom member to a person."""
    if not args:
        person = await turn.actor()
        if person is None:
            await turn.say(turn.text("wecom.start.unknown"))
        else:
            await turn.say(turn.text("wecom.start.welcome", name=person.name, org=person.org_name))
        return
    bound = await turn.issuance.bind(args[0], CHANNEL, turn.account, None)
    await turn.say(
        turn.text("wecom.start.bound", name=bound.name, org=bound.org_name, role=bound.role)
    )


async def help_command(turn: Turn, args: list[str]) -> None:
    person = await turn.actor()
    role = person.role if person else "guest"
    key = {"负责人": "head", "业务管理员": "staff", "签发人": "evaluator"}.get(role, "guest")
    await turn.say(turn.text(f"wecom.help.{key}"))


async def pending(turn: Turn, args: list[str]) -> None:
    """待签发: the batches with their counts, and a card to open one."""
    await show_pending(turn, 0, new_card=True)


async def show_pending(turn: Turn, page: int, new_card: bool) -> None:
    actor = await turn.need_actor()
    batches = await turn.issuance.visible_batches(actor)
    if new_card:
        await turn.say(cards.pending_text(batches, turn.locale))
    card = cards.pending_card(batches, page, new_task(), turn.locale)
    if card is not None and (new_card or not await turn.update_card(card)):
        await turn.card(card)


async def cancel(turn: Turn, args: list[str]) -> None:
    """取消: forget whatever was asked for."""
    state = await turn.store.take_chat_state(CHANNEL, turn.account, AWAIT)
    await turn.say(turn.text("bot.cancelled" if state else "bot.nothing_to_cancel"))


async def verify(turn: Turn, args: list[str]) -> None:
    """查验 CERT_NO ID_NO, or 查验 alone to be asked for both."""
    if len(args) == 2:
        await _verify_answer(turn, *args)
        return
    await turn.store.set_chat_state(CHANNEL, turn.account, AWAIT, {"name": "verify"})
    await turn.say(turn.text("wecom.verify.ask"))


async def _verify_given(turn: Turn, state: dict[str, Any], reply: str) -> None:
    parts = reply.split()
    if len(parts) != 2:
        await turn.store.set_chat_state(CHANNEL, turn.account, AWAIT, {"name": "verify"})
        raise Invalid("bot.verify.format")
    await _verify_answer(turn, *parts)


async def _verify_answer(turn: Turn, cert_no: str, id_number: str) -> None:
    now = time.monotonic()
    times = turn.services.verify_times
    recent = [t for t in times.get(turn.account, []) if now - t < 60]
    if len(recent) >= VERIFY_PER_MINUTE:
        raise Invalid("bot.verify.throttled")
    times[turn.account] = [*recent, now]
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
    await turn.store.set_chat_state(
        CHANNEL, turn.account, DRAFT, {"png": base64.b64encode(clean).decode()}
    )
    await turn.image(preview, "preview.png")
    await turn.say(turn.text("bot.stamp.consent", letter=stamping.letter(turn.locale)))
    await turn.card(cards.stamp_card(new_task(), turn.locale))


async def stamp_accept(turn: Turn) -> None:
    """The letter of authorization accepted: save the checked stamp as the new version."""
    actor = await turn.need_actor()
    draft = await turn.store.take_chat_state(CHANNEL, turn.account, DRAFT)
    if draft is None:
        await turn.say(turn.text("bot.stamp.no_draft"))
        return
    version = await stamping.save(turn.issuance, actor, base64.b64decode(draft["png"]))
    await turn.replace_buttons(turn.text("wecom.card.saved"))
    await turn.say(turn.text("bot.stamp.saved", version=version))


async def stamp_discard(turn: Turn) -> None:
    await turn.store.take_chat_state(CHANNEL, turn.account, DRAFT)
    await turn.replace_buttons(turn.text("wecom.card.discarded"))
    await turn.say(turn.text("bot.stamp.discarded"))


# Card clicks

_KEY = re.compile(
    r"(b|batch|wp|wc|wr|wrs|wf|ff|ca|dl|pl|wpl|wfx|sa|sx|x)(?::(\d{1,9}))?(?::(\d{1,9}))?"
)


async def _click(turn: Turn, key: str) -> None:
    match = _KEY.fullmatch(key)
    if match is None:
        raise Conflict("bot.stale_button")
    prefix = match.group(1)
    numbers = [int(n) for n in match.groups()[1:] if n is not None]
    if prefix == "b" and len(numbers) == 2:
        await open_batch(turn, *numbers)
    elif prefix == "batch" and len(numbers) == 1:  # the worker's nudges carry batch:N
        await open_batch(turn, numbers[0], 0)
    elif prefix == "wp" and len(numbers) == 1:
        await show_pending(turn, numbers[0], new_card=False)
    elif prefix in ("wc", "wr", "wrs", "wf") and len(numbers) == 2:
        choice = cards.parse_option(cards.selected_option(turn.fields) or "")
        if choice is None:
            raise Invalid("wecom.batch.none_chosen")
        record_id, version = choice
        if prefix == "wc":
            await sign(turn, key, [record_id], {record_id: version})
        elif prefix == "wr":
            await ask_reason(turn, {record_id: version})
        elif prefix == "wrs":
            await resubmit(turn, record_id, version)
        else:
            await ask_field(turn, record_id)
    elif prefix == "ff" and len(numbers) == 2 and numbers[1] < len(FIELDS):
        await ask_note(turn, *numbers)
    elif prefix == "ca" and len(numbers) == 1:
        actor = await turn.need_actor()
        ids = await desk.waiting_in_batch(turn.issuance, actor, numbers[0])
        await sign(turn, key, ids, {})
    elif prefix == "dl" and len(numbers) == 1:
        await download(turn, numbers[0])
    elif prefix == "pl" and not numbers:
        await show_problems(turn, 0, new_card=True)
    elif prefix == "wpl" and len(numbers) == 1:
        await show_problems(turn, numbers[0], new_card=False)
    elif prefix == "wfx":
        await ask_value(turn)
    elif prefix == "sa":
        await stamp_accept(turn)
    elif prefix == "sx":
        await stamp_discard(turn)
    elif prefix == "x":
        await cancel(turn, [])
    else:
        raise Conflict("bot.stale_button")


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
    task = cards.task_number(str(turn.fields.get("TaskId", ""))) or 0
    if not await turn.store.claim_tap(f"{CHANNEL}:{turn.account}", task, f"{key}|{id_ranges(ids)}"):
        raise Conflict("bot.already_done")
    await turn.replace_buttons(turn.text("wecom.card.signing"))
    ref = {"chat_id": turn.account, "message_id": task, "locale": turn.locale, "channel": CHANNEL}
    link = await step(turn.issuance, actor, ids, ref)
    await turn.textcard(
        turn.text("wecom.sign.title", count=len(records)),
        turn.text("wecom.sign.prompt", minutes=turn.services.settings.signoff_signing_ttl_minutes),
        link.url,
        turn.text("wecom.sign.open"),
    )
    await turn.image(link.qr_png)


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
    await turn.store.set_chat_state(
        CHANNEL, turn.account, AWAIT, {"name": "flag", "record": record_id, "field": FIELDS[index]}
    )
    await turn.replace_buttons(field_label(FIELDS[index], turn.locale))
    await turn.say(turn.text("wecom.completion.ask_note"))


async def _note_given(turn: Turn, state: dict[str, Any], note: str) -> None:
    actor = await turn.need_actor()
    try:
        flagged = await Completion(turn.issuance).flag(
            actor, [state["record"]], state["field"], note
        )
    except Invalid:
        await turn.store.set_chat_state(CHANNEL, turn.account, AWAIT, {"name": "flag", **state})
        raise
    await turn.say(turn.text("completion.flagged", deadline=flagged[0].deadline))


async def problems(turn: Turn, args: list[str]) -> None:
    """完善信息: the school's open student-info problems."""
    await show_problems(turn, 0, new_card=True)


async def show_problems(turn: Turn, page: int, new_card: bool) -> None:
    actor = await turn.need_actor()
    open_ = await Completion(turn.issuance).open_for(actor)
    if not open_:
        await turn.say(turn.text("completion.none_open"))
        return
    page = min(max(page, 0), (len(open_) - 1) // cards.PROBLEM_PAGE)
    await turn.say(cards.problems_text(open_, page * cards.PROBLEM_PAGE, turn.locale))
    card = cards.problems_card(open_, page, new_task(), turn.locale)
    if new_card or not await turn.update_card(card):
        await turn.card(card)


async def ask_value(turn: Turn) -> None:
    """修改: ask for the chosen problem's corrected value (the member's next message)."""
    chosen = cards.selected_option(turn.fields, cards.PROBLEM_QUESTION) or ""
    if not chosen.isdigit():
        raise Invalid("wecom.batch.none_chosen")
    actor = await turn.need_actor()
    open_ = {p.id: p for p in await Completion(turn.issuance).open_for(actor)}
    problem = open_.get(int(chosen))
    if problem is None:
        raise NotFound("completion.no_such_problem")
    await turn.store.set_chat_state(
        CHANNEL, turn.account, AWAIT, {"name": "fix", "problem": problem.id}
    )
    field = field_label(problem.field, turn.locale)
    await turn.say(turn.text("wecom.completion.ask_value", field=field, name=problem.student_name))


async def _value_given(turn: Turn, state: dict[str, Any], value: str) -> None:
    actor = await turn.need_actor()
    try:
        fixed = await Completion(turn.issuance).fix(actor, state["problem"], value)
    except Invalid:
        await turn.store.set_chat_state(CHANNEL, turn.account, AWAIT, {"name": "fix", **state})
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


async def ask_reason(turn: Turn, versions: dict[int, int]) -> None:
    """拒绝签发: remember what is refused, ask for the reason (the member's next message)."""
    actor = await turn.need_actor()
    records = await desk.check_refusable(turn.issuance, actor, versions)
    await turn.store.set_chat_state(
        CHANNEL,
        turn.account,
        AWAIT,
        {"name": "refuse", "versions": {str(k): v for k, v in versions.items()}},
    )
    names = "、".join(r.student_name for r in records[:5]) + ("…" if len(records) > 5 else "")
    await turn.say(turn.text("wecom.refuse.ask", count=len(records), names=names))


async def _reason_given(turn: Turn, state: dict[str, Any], reason: str) -> None:
    """The reason arrived: refuse exactly the records asked about, at the versions seen."""
    actor = await turn.need_actor()
    versions = {int(k): v for k, v in state["versions"].items()}
    try:
        await desk.check_refusable(turn.issuance, actor, versions)
        records = await turn.issuance.refuse(actor, list(versions), reason)
    except Invalid:
        await turn.store.set_chat_state(CHANNEL, turn.account, AWAIT, {"name": "refuse", **state})
        raise
    await turn.say(turn.text("bot.refuse.done", count=len(records), reason=reason.strip()))


_ANSWERS: dict[str, Callable[[Turn, dict[str, Any], str], Awaitable[None]]] = {
    "refuse": _reason_given,
    "verify": _verify_given,
    "fix": _value_given,
    "flag": _note_given,
}


# What the app's menu sends for each command (the same words a member types).
COMMAND_WORDS = {"pending": "待签发", "stamp": "签名章", "verify": "查验", "help": "帮助"}

_HANDLERS: dict[str, Handler] = {
    "bind": bind,
    "pending": pending,
    "help": help_command,
    "verify": verify,
    "stamp": stamp,
    "cancel": cancel,
    "problems": problems,
}
