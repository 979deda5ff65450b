"""Graduation declarations through the loopback Bot API: 申报 → 退回 with a reason (asked across a
restart) → 重新申报 → 审核通过 → 审批通过, by a final city and through city and province;
forged and stale taps change nothing; the 经办人 sends the graduates file."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

from issuance.core.idcard import check_character
from issuance.graduation.demo import PER_SCHOOL, TERM
from tests.fakebot import FakeBotApi
from tests.gradworld import UNDER_CITY, UNDER_FINAL_CITY, GradBot, grad_bot


@pytest.fixture
async def chat(tmp_path: Path, bot_api: FakeBotApi) -> AsyncIterator[GradBot]:
    async with grad_bot(tmp_path, bot_api) as built:
        yield built


async def counts(chat: GradBot, request_id: int) -> dict[str, int]:
    return await chat.world.store.request_counts(request_id)


async def test_a_declaration_returned_redeclared_and_approved_by_a_final_city(
    chat: GradBot,
) -> None:
    request_id, _ = await chat.world.grad.declare(UNDER_FINAL_CITY, TERM)
    async with chat.bot():
        first = await chat.notice("leader_fuzhou")
        assert "待您处理" in (first.text or "") and f"{PER_SCHOOL} 人" in (first.text or "")
        listing = await chat.say("leader_fuzhou", "/pending")
        assert "待审核 12" in (listing.text or "")
        ask = await chat.tap("leader_fuzhou", first, "退回")
        assert "退回理由" in (ask.text or "")
    assert await counts(chat, request_id) == {"待审核": PER_SCHOOL}
    async with chat.bot():  # the question survives the restart
        done = await chat.say("leader_fuzhou", "专业名称与学籍不一致")
        assert "审核退回" in (done.text or "")
        told = await chat.notice("clerk_fuzhou")
        assert "专业名称与学籍不一致" in (told.text or "")
        stale = await chat.alert("leader_fuzhou", first, "审核通过")
        assert "没有等待您处理" in stale
        again = await chat.tap("clerk_fuzhou", told, "重新申报")
        assert "待审核" in (again.text or "")
        second = await chat.notice("leader_fuzhou")
        # The button of the first round is stale now: nothing changes.
        stale = await chat.alert("leader_fuzhou", first, "审核通过")
        assert "已发生变化" in stale
        assert await counts(chat, request_id) == {"待审核": PER_SCHOOL}
        reviewed = await chat.tap("leader_fuzhou", second, "审核通过")
        assert "待审批" in (reviewed.text or "")
        city = await chat.notice("fuzhou")
        forged = await chat.alert("quanzhou", city, "审批通过")
        assert "找不到该申报" in forged
        assert await counts(chat, request_id) == {"待审批": PER_SCHOOL}
        approved = await chat.tap("fuzhou", city, "审批通过")
        assert "已审批" in (approved.text or "")
        news = await chat.notice("clerk_fuzhou")
        assert "已审批" in (news.text or "") and "编号已生成" in (news.text or "")
        twice = await chat.alert("fuzhou", city, "审批通过")
        assert "没有等待您处理" in twice
    assert await counts(chat, request_id) == {"已审批": PER_SCHOOL}
    listed = await chat.world.grad.listing(UNDER_FINAL_CITY, TERM)
    assert all(len(str(row["cert_no"])) == 19 for row in listed)


async def test_a_declaration_through_city_and_province(chat: GradBot) -> None:
    request_id, _ = await chat.world.grad.declare(UNDER_CITY, TERM)
    async with chat.bot():
        leader = await chat.notice("leader_quanzhou")
        await chat.tap("leader_quanzhou", leader, "审核通过")
        city = await chat.notice("quanzhou")
        passed = await chat.tap("quanzhou", city, "审批通过")
        assert "待审批" in (passed.text or "")
        province = await chat.notice("province")
        listing = await chat.say("province", "/pending")
        assert "泉州技工学校" in (listing.text or "") and "待审批 12" in (listing.text or "")
        approved = await chat.tap("province", province, "审批通过")
        assert "已审批" in (approved.text or "")
    assert await counts(chat, request_id) == {"已审批": PER_SCHOOL}


HEADERS = (
    *("姓名", "身份证号", "所属院校", "专业代码", "专业名称"),
    *("培养层次", "入学时间", "毕业时间", "学制", "学习方式"),
)


def graduates_xlsx(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def graduate(index: int, **changes: str) -> list[str]:
    first17 = f"35010220060303{index:03d}"
    cells = {
        "name": f"新生{index}",
        "id": first17 + check_character(first17),
        "school": UNDER_FINAL_CITY,
        "code": "0701",
        "major": "汽车维修",
        "level": "高级工班",
        "enrolled": "202209",
        "graduated": "202507",
        "years": "3",
        "mode": "全日制",
    } | changes
    return list(cells.values())


async def test_the_clerk_sends_the_graduates_file_to_the_bot(chat: GradBot) -> None:
    bad = graduates_xlsx([graduate(1), graduate(2, level="本科")])
    good = graduates_xlsx([graduate(1), graduate(2)])
    async with chat.bot():
        chat.api.send_document(chat.users["clerk_fuzhou"], bad, "毕业生.xlsx")
        await chat.api.next_message(chat.users["clerk_fuzhou"].id)
        failed = await chat.api.next_message(chat.users["clerk_fuzhou"].id)
        assert "导入失败" in (failed.text or "") and "第 3 行，培养层次" in (failed.text or "")
        # A 经办人 imports their own school's graduates only.
        elsewhere = graduates_xlsx([graduate(1), graduate(3, school=UNDER_CITY)])
        chat.api.send_document(chat.users["clerk_fuzhou"], elsewhere, "毕业生.xlsx")
        await chat.api.next_message(chat.users["clerk_fuzhou"].id)
        refused = await chat.api.next_message(chat.users["clerk_fuzhou"].id)
        assert "导入失败" in (refused.text or "") and "只能导入本校毕业生" in (refused.text or "")
        assert UNDER_CITY in (refused.text or "")
        chat.api.send_document(chat.users["clerk_fuzhou"], good, "毕业生.xlsx")
        await chat.api.next_message(chat.users["clerk_fuzhou"].id)
        done = await chat.api.next_message(chat.users["clerk_fuzhou"].id)
        assert "新增 2 名" in (done.text or "")
    school = chat.world["clerk_fuzhou"].org_id
    assert len(await chat.world.store.undeclared_graduates(school, "202507")) == 2


async def test_a_blank_request_approved_in_chat_is_handed_out_by_the_distributor(
    chat: GradBot,
) -> None:
    keeper = chat.world["keeper"]
    await chat.world.stock.receive("高级技工学校", "G0000001", "G0000050", keeper.phone)
    request_id = await chat.world.grad.request_blanks(UNDER_FINAL_CITY, "高级技工学校", 20, None)
    async with chat.bot():
        leader = await chat.notice("leader_fuzhou")
        assert "空白毕业证 20 张" in (leader.text or "")
        await chat.tap("leader_fuzhou", leader, "审核通过")
        city = await chat.notice("fuzhou")
        await chat.tap("fuzhou", city, "审批通过")
        to_issue = await chat.notice("distributor")
        assert "待发放" in (to_issue.text or "")
        refused = await chat.alert("keeper", to_issue, "发放")
        assert "不是给您的" in refused
        ask = await chat.tap("distributor", to_issue, "发放")
        assert "第一张流水码" in (ask.text or "")
        done = await chat.say("distributor", "G0000031")
        assert "已发放 20 张（G0000031 至 G0000050）" in (done.text or "")
        assert "仅剩 30 张" in (done.text or "")
        listing = await chat.say("distributor", "/pending")
        assert "暂无待您处理" in (listing.text or "")
    blank = await chat.world.store.blank("G0000040")
    assert blank is not None and blank.state == "已发放"
    assert await chat.world.store.issued_for_request(request_id) == 20
