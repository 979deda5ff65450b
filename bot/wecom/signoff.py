"""Sign-off on WeCom: a batch page by page (a card with a drop-down of its records), 确认签发 /
批量确认签发 (a signing link card and its QR code), 拒绝签发 (the reason is the next message),
重新提交, 下载证书, 生成名单 and 群发."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.wecom import cards, completion, oauth
from bot.wecom.actions import ConfirmChosen, FlagChosen, RefuseChosen, ResubmitChosen
from bot.wecom.context import CHANNEL, Turn, new_task
from issuance.chat import xcert_desk as desk
from issuance.chat.xcert import progress_text
from issuance.core.errors import Invalid

ARCHIVE_PART = 18 * 2**20  # WeCom takes files up to 20 MB


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
    await turn.show(answer)


async def confirm_batch(turn: Turn, key: str, batch_id: int) -> None:
    """批量确认签发: every record of the batch waiting for this signer."""
    session = turn.session
    ids = await desk.waiting_in_batch(session.issuance, await session.need_actor(), batch_id)
    await sign(turn, key, ids, {})


async def chosen(
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
        await completion.ask_field(turn, record_id)


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


async def broadcast(turn: Turn, args: list[str]) -> None:
    """群发 (evaluators): pick the exam plan whose pending lists go out to the schools."""
    await turn.show(await desk.broadcast_plans(turn.session))


async def broadcast_plan(turn: Turn, key: str, plan_id: int) -> None:
    """Queue one notice per school, once; the final report comes when all went out."""
    state = await desk.start_broadcast(turn.session, plan_id, turn.tap(key))
    await turn.replace_buttons(turn.text("wecom.card.sent"))
    await turn.say(progress_text(state).render(turn.locale))


async def lists(turn: Turn, args: list[str]) -> None:
    """生成名单 (evaluators): the exam plans with passed results not yet on a pending list."""
    await turn.show(await desk.lists_choice(turn.session))


async def create_lists(turn: Turn, key: str, plan_id: int) -> None:
    """Generate the plan's lists once (one batch per school, certificate numbers allocated)."""
    created = await desk.create_lists(turn.session, plan_id, turn.tap(key))
    await turn.replace_buttons(turn.text("wecom.card.done"))
    await turn.show(created)
