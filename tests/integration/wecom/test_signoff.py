"""Signers on WeCom: 待签发 with counts, a batch card, 确认签发 / 批量确认签发 / 拒绝签发."""

from __future__ import annotations

import io
import zipfile

import pytest

from issuance.core.vocabulary import XStatus
from tests.fakewecom import Message
from tests.wecomworld import EVALUATOR, HEAD, World
from worker.jobs import render_certificates
from worker.serve import render_pool

pytestmark = pytest.mark.one_database

COUNTS = (
    "全部 61 · 培训评价组织待签发 0 · 培训评价组织拒绝签发 0 · 考核站点待签发 47"
    " · 考核站点拒绝签发 0 · 确认签发 14"
)


async def open_page(world: World, page: int) -> Message:
    """待签发, open the first batch, then 下一页 until `page` (0-based): the batch card."""
    _, listing = await world.say(HEAD, "待签发", replies=2)
    await world.click(HEAD, listing, "查看第 1 批")
    for _ in range(page):
        await world.click(HEAD, listing, "下一页")
    return listing


async def test_pending_shows_the_platform_counts_and_a_card_to_open_the_batch(
    world: World,
) -> None:
    await world.bind(HEAD, 1)
    text, card = await world.say(HEAD, "待签发", replies=2)
    assert COUNTS in text.text
    assert card.msgtype == "template_card"
    assert card.buttons == {"查看第 1 批": "b:1:0"}


async def test_a_batch_page_masks_id_numbers_and_offers_only_due_records(world: World) -> None:
    await world.bind(HEAD, 1)
    record = (await world.store.records_by_ids([16]))[0]
    card = await open_page(world, 0)
    assert "确认签发" not in card.buttons  # the first page holds confirmed records only
    card = await open_page(world, 3)
    assert record.masked_id in card.text and record.id_number not in str(card.card)
    assert card.buttons["确认签发"] == "wc:1:3" and card.buttons["拒绝签发"] == "wr:1:3"
    assert card.buttons["批量确认签发（47）"] == "ca:1"
    assert "第 4/13 页" in card.text
    assert card.options["16. " + record.student_name] == f"16.{record.version}"


@pytest.mark.both_databases  # a complete flow on PostgreSQL too
async def test_confirm_one_sends_the_link_and_qr_then_the_result(world: World) -> None:
    await world.bind(HEAD, 1)
    record = (await world.store.records_by_ids([16]))[0]
    card = await open_page(world, 3)
    link, qr = await world.click(
        HEAD, card, "确认签发", option="16. " + record.student_name, replies=2
    )
    [call] = world.signing.calls
    assert call.record_ids == [16] and call.chat_ref["chat_id"] == HEAD
    assert link.msgtype == "textcard" and "确认后不可撤回" in link.text
    assert link.content["url"] == f"{world.settings.public_url}/sign/request-1"
    assert qr.msgtype == "image" and world.fake.media(qr)[1].startswith(b"\x89PNG")
    assert card.replaced == "已发送签名链接"
    await world.signing.complete(world.issuance, call)
    assert (await world.store.records_by_ids([16]))[0].status == XStatus.CONFIRMED


async def test_batch_confirm_signs_every_waiting_record_once(world: World) -> None:
    await world.bind(HEAD, 1)
    card = await open_page(world, 3)
    await world.click(HEAD, card, "批量确认签发（47）", replies=2)
    [call] = world.signing.calls
    assert len(call.record_ids) == 47
    await world.fake.click(HEAD, card, "批量确认签发（47）")  # a second click on the same card
    await world.settled()
    assert len(world.signing.calls) == 1
    assert "已处理" in world.fake.received(HEAD)[-1].text


async def test_refuse_asks_for_the_reason_and_refuses_with_it(world: World) -> None:
    await world.bind(HEAD, 1)
    record = (await world.store.records_by_ids([16]))[0]
    card = await open_page(world, 3)
    (ask,) = await world.click(
        HEAD, card, "拒绝签发", option="16. " + record.student_name, replies=1
    )
    assert "理由" in ask.text and record.student_name in ask.text
    (done,) = await world.say(HEAD, "身份证号与姓名不符")
    assert "已拒绝签发 1 条记录" in done.text
    (after,) = await world.store.records_by_ids([16])
    assert after.status == "考核站点拒绝签发"
    assert (await world.store.latest_refusals([16]))[16] == "身份证号与姓名不符"
    (again,) = await world.say(HEAD, "再说一遍")  # the answer was taken once
    assert "待签发" in again.text


async def test_cancel_forgets_the_refusal(world: World) -> None:
    await world.bind(HEAD, 1)
    record = (await world.store.records_by_ids([16]))[0]
    card = await open_page(world, 3)
    await world.click(HEAD, card, "拒绝签发", option="16. " + record.student_name, replies=1)
    (cancelled,) = await world.say(HEAD, "取消")
    assert "已取消" in cancelled.text
    assert (await world.store.records_by_ids([16]))[0].status == "考核站点待签发"


async def test_a_member_of_another_side_cannot_use_the_school_card(world: World) -> None:
    """The evaluator clicking a key of the school's batch card: checked on the server."""
    await world.bind(HEAD, 1)
    await world.bind(EVALUATOR, 0)
    card = await open_page(world, 3)
    record = (await world.store.records_by_ids([16]))[0]
    (reply,) = await world.click(
        EVALUATOR, card, "确认签发", option="16. " + record.student_name, replies=1
    )
    assert world.signing.calls == []
    assert reply.msgtype == "text" and reply.text
    assert (await world.store.records_by_ids([16]))[0].status == "考核站点待签发"


async def test_the_evaluator_downloads_the_rendered_certificates(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    pool = render_pool(world.settings)
    try:
        assert await render_certificates(world.store, world.settings, pool) == 14
    finally:
        pool.shutdown()
    _, listing = await world.say(EVALUATOR, "待签发", replies=2)
    await world.click(EVALUATOR, listing, "查看第 1 批")
    assert "确认签发" not in listing.buttons
    preparing, archive = await world.click(EVALUATOR, listing, "下载证书", replies=2)
    assert "打包" in preparing.text and archive.msgtype == "file"
    name, data = world.fake.media(archive)
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        names = zipped.namelist()
    assert name.endswith(".zip") and len([n for n in names if n.endswith(".pdf")]) == 14
    assert any(n.endswith(".xlsx") for n in names)


async def test_the_school_head_has_no_download_button(world: World) -> None:
    await world.bind(HEAD, 1)
    card = await open_page(world, 0)
    assert "下载证书" not in card.buttons


async def evaluator_page_four(world: World) -> Message:
    _, listing = await world.say(EVALUATOR, "待签发", replies=2)
    await world.click(EVALUATOR, listing, "查看第 1 批")
    for _ in range(3):
        await world.click(EVALUATOR, listing, "下一页")
    return listing


async def test_the_evaluator_resubmits_a_refused_record(world: World) -> None:
    head = await world.store.person_by_ref("13800000002")
    assert head is not None
    await world.issuance.refuse(head, [16], "照片不清晰")
    await world.bind(EVALUATOR, 0)
    card = await evaluator_page_four(world)
    (record,) = await world.store.records_by_ids([16])
    assert "重新提交" in card.buttons and "确认签发" not in card.buttons
    (done,) = await world.click(
        EVALUATOR, card, "重新提交", option=f"16. {record.student_name}", replies=1
    )
    assert "已重新提交" in done.text
    (after,) = await world.store.records_by_ids([16])
    assert after.status == "培训评价组织待签发"  # the evaluator signs first again


async def test_the_evaluator_asks_the_school_to_complete_a_field(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    card = await evaluator_page_four(world)
    (record,) = await world.store.records_by_ids([17])
    (fields,) = await world.click(
        EVALUATOR, card, "完善信息", option=f"17. {record.student_name}", replies=1
    )
    assert set(fields.buttons) == {"姓名", "身份证号", "学生类型"}
    (ask,) = await world.click(EVALUATOR, fields, "身份证号", replies=1)
    assert "截止日期" in ask.text and fields.replaced == "身份证号"
    (flagged,) = await world.say(EVALUATOR, "身份证号与姓名不符 2030-12-01")
    assert "已通知学校完善" in flagged.text and "2030-12-01" in flagged.text
    assert await world.store.open_problems([17]) == {17}
