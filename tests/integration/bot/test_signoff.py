"""Signers in chat: the pending list, a batch page, 确认签发 one or in batch, taps checked."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.telegram.app import running
from issuance.core.vocabulary import XStatus
from issuance.xcert import demo
from issuance.xcert.signing import complete_signing
from tests.botworld import EVALUATOR, HEAD, OTHER_HEAD, World
from tests.fakebot import Sent

pytestmark = pytest.mark.one_database

COUNTS = (
    "全部 61 · 培训评价组织待签发 0 · 培训评价组织拒绝签发 0 · 考核站点待签发 47"
    " · 考核站点拒绝签发 0 · 确认签发 14"
)


async def open_page(world: World, page: int) -> Sent:
    """/pending, open the batch, then 下一页 until `page` (0-based)."""
    listing = await world.say(HEAD, "/pending")
    view = await world.tap(HEAD, listing, "b:1:0")
    for _ in range(page):
        view = await world.tap(HEAD, view, "下一页")
    return view


async def test_pending_list_shows_the_platform_counts(world: World) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        listing = await world.say(HEAD, "/pending")
    assert COUNTS in (listing.text or "")
    assert listing.button("查看第 1 批").callback_data == "b:1:0"


async def test_batch_page_masks_id_numbers_and_offers_acts_only_where_due(world: World) -> None:
    await world.bind(HEAD, 1)
    record = (await world.store.records_by_ids([16]))[0]
    async with world.bot():
        first = await open_page(world, 0)
        fourth = await open_page(world, 3)
    assert "确认签发" not in {b.text for row in first.buttons for b in row}
    assert record.masked_id in (fourth.text or "")
    assert record.id_number not in (fourth.text or "")
    assert fourth.button(f"c:16:{record.version}").text == "确认签发"
    assert fourth.button(f"r:16:{record.version}").text == "拒绝签发"
    assert "第 4/13 页" in (fourth.text or "")


@pytest.mark.both_databases  # a complete flow on PostgreSQL too
async def test_confirm_one_leads_to_signing_then_the_message_shows_the_result(
    world: World,
) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        view = await open_page(world, 3)
        prompt = await world.tap(HEAD, view, "c:16:2")
        prompt = await world.api.next_message(HEAD.id)  # edited with the link
        qr = await world.api.next_message(HEAD.id)
        [call] = world.signing.calls
        assert call.record_ids == [16]
        assert call.chat_ref["message_id"] == prompt.message_id
        await world.signing.complete(world.issuance, call)
        result = await world.api.next_message(HEAD.id)
    assert "确认后不可撤回" in (prompt.text or "")
    assert prompt.button("前往签名").url == "http://127.0.0.1:8080/sign/request-1"
    assert qr.raw.get("photo") and "确认后不可撤回" in (qr.caption or "")
    assert result.message_id == prompt.message_id and result.edited
    assert result.text == "已确认签发 1 条记录。"
    assert (await world.store.records_by_ids([16]))[0].status == XStatus.CONFIRMED


async def test_batch_confirm_signs_the_ticked_records_or_else_all_waiting(world: World) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        view = await open_page(world, 3)
        view = await world.tap(HEAD, view, "t:16:3")
        view = await world.tap(HEAD, view, "t:18:3")
        assert "☑ 16" in {b.text for row in view.buttons for b in row}
        await world.tap(HEAD, view, "ca:1")
        await world.api.next_message(HEAD.id)
        await world.api.next_message(HEAD.id)
        view = await open_page(world, 0)
        await world.tap(HEAD, view, "ca:1")
        await world.api.next_message(HEAD.id)
    assert [c.record_ids for c in world.signing.calls] == [[16, 18], list(range(15, 62))]


async def test_double_tap_starts_signing_once(world: World) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        view = await open_page(world, 3)
        await world.tap(HEAD, view, "c:16:2")
        second = await world.answer_to_tap(HEAD, view, "c:16:2")
    assert len(world.signing.calls) == 1
    assert "请勿重复点击" in second


async def test_stale_button_after_the_record_changed_gets_a_clear_answer(world: World) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        view = await open_page(world, 3)
        head = await world.store.person_by_ref("13800000002")
        assert head is not None
        await world.issuance.refuse(head, [17], "信息有误")
        answer = await world.answer_to_tap(HEAD, view, "c:17:2")
    assert "该记录已被拒绝签发" in answer
    assert world.signing.calls == []


async def test_forged_callback_data_is_refused(world: World) -> None:
    await world.bind(HEAD, 1)
    async with world.bot():
        view = await open_page(world, 3)
        # Hand-made updates: a client can send any callback data, not only our buttons'.
        world.api._open_queries.update({"forged-1", "forged-2"})
        world.api._queue(
            {
                "callback_query": {
                    "id": "forged-1",
                    "from": HEAD.to_dict(),
                    "message": view.raw,
                    "chat_instance": str(HEAD.id),
                    "data": "c:99999:1",
                }
            }
        )
        world.api._queue(
            {
                "callback_query": {
                    "id": "forged-2",
                    "from": HEAD.to_dict(),
                    "message": view.raw,
                    "chat_instance": str(HEAD.id),
                    "data": "zz:<script>",
                }
            }
        )
        await world.api.wait_for(
            lambda c: (
                c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == "forged-2"
            )
        )
        await world.api.wait_for(
            lambda c: (
                c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == "forged-1"
            )
        )
    answers = {
        c.params["callback_query_id"]: c.params.get("text", "")
        for c in world.api.calls_to("answerCallbackQuery")
    }
    assert "找不到所选记录" in answers["forged-1"]
    assert "按钮已失效" in answers["forged-2"]
    assert world.signing.calls == []


async def test_a_user_of_another_school_sees_and_signs_nothing_of_ours(world: World) -> None:
    await world.bind(HEAD, 1)
    await world.another_school("21020000000000000099", "另一职业学院", "13900000099", 2)
    invite = await world.issuance.create_invite("13900000099")
    await world.issuance.bind(invite.code, "telegram", str(OTHER_HEAD.id), "zh")
    async with world.bot():
        view = await open_page(world, 3)
        listing = await world.say(OTHER_HEAD, "/pending")
        tapped = await world.answer_to_tap(OTHER_HEAD, view, "c:16:2")
        opened = await world.answer_to_tap(OTHER_HEAD, view, "下一页")
    assert "另一职业学院" in (listing.text or "") and "辽宁示范" not in (listing.text or "")
    assert "无权签发" in tapped
    assert "无权查看" in opened
    assert world.signing.calls == []


async def test_with_the_web_parts_signing_the_chat_message_shows_the_signed_result(
    world: World,
) -> None:
    await world.bind(HEAD, 1)
    async with running(world.settings, world.store):  # the real issuance.xcert.signing step
        view = await open_page(world, 3)
        await world.tap(HEAD, view, "c:16:2")
        prompt = await world.api.next_message(HEAD.id)
        await world.api.next_message(HEAD.id)  # the QR code
        url = prompt.button("前往签名").url or ""
        png, strokes = demo.signature_png(7)
        outcome = await complete_signing(world.issuance, url.rsplit("/", 1)[1], png, strokes)
        result = await world.api.next_message(HEAD.id)
    assert outcome.confirmed
    assert result.message_id == prompt.message_id and result.edited
    assert "已确认签发 1 条记录" in (result.text or "")
    assert (await world.store.records_by_ids([16]))[0].status == XStatus.CONFIRMED


async def test_evaluator_downloads_the_batch_archive_and_the_school_cannot(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    await world.bind(HEAD, 1)
    async with world.bot():
        listing = await world.say(EVALUATOR, "/pending")
        view = await world.tap(EVALUATOR, listing, "b:1:0")
        await world.tap(EVALUATOR, view, "下载证书")
        archive = await world.api.next_message(EVALUATOR.id)
        school_view = await open_page(world, 0)
        world.api._open_queries.add("forged-dl")
        world.api._queue(
            {
                "callback_query": {
                    "id": "forged-dl",
                    "from": HEAD.to_dict(),
                    "message": school_view.raw,
                    "chat_instance": str(HEAD.id),
                    "data": "dl:1",
                }
            }
        )
        refused = await world.api.wait_for(
            lambda c: (
                c.method == "answerCallbackQuery"
                and c.params.get("callback_query_id") == "forged-dl"
            )
        )
    assert "下载证书" not in {b.text for row in school_view.buttons for b in row}
    assert archive.file is not None and (archive.file.file_name or "").endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(archive.file.data)) as zipped:
        assert any(name.endswith(".xlsx") for name in zipped.namelist())
    assert "只有颁证的培训评价组织" in str(refused.params.get("text"))
