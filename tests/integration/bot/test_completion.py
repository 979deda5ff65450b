"""完善学生信息: the evaluator flags, the school fixes in chat or by XLSX, the evaluator hears."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from issuance.core.idcard import check_character
from tests.botworld import EVALUATOR, HEAD, STAFF, World
from tests.fakebot import Sent

pytestmark = pytest.mark.one_database

IN_TEN_DAYS = (date.today() + timedelta(days=10)).isoformat()


def valid_id(seed: int) -> str:
    first17 = f"21020220010{seed % 9 + 1}1{seed % 9 + 1}{seed:03d}"
    return first17 + check_character(first17)


async def flag(world: World, record_id: int, field_index: int, note: str) -> Sent:
    """The evaluator, on the batch page showing the record, flags one field with a note."""
    listing = await world.say(EVALUATOR, "/pending")
    view = await world.tap(EVALUATOR, listing, "b:1:0")
    for _ in range((record_id - 1) // 5):
        view = await world.tap(EVALUATOR, view, "下一页")
    fields = await world.tap(EVALUATOR, view, f"f:{record_id}")
    ask = await world.tap(EVALUATOR, fields, f"ff:{record_id}:{field_index}")
    assert "请输入说明" in (ask.text or "")
    return await world.say(EVALUATOR, note)


async def test_flag_then_fix_in_chat_with_validation(world: World) -> None:
    for user, index in ((EVALUATOR, 0), (HEAD, 1), (STAFF, 2)):
        await world.bind(user, index)
    good = valid_id(7)
    async with world.bot():
        flagged = await flag(world, 20, 1, f"身份证号与户籍不符 {IN_TEN_DAYS}")
        notice = await world.api.next_message(STAFF.id)
        await world.api.next_message(HEAD.id)
        problems = await world.tap(STAFF, notice, "pl")
        ask = await world.tap(STAFF, problems, "修改第 1 项")
        wrong = await world.say(STAFF, "12345")
        fixed = await world.say(STAFF, good.lower())
        told = await world.api.next_message(EVALUATOR.id)
    assert f"截止 {IN_TEN_DAYS}" in (flagged.text or "")
    assert "学生信息待完善" in (notice.text or "") and IN_TEN_DAYS in (notice.text or "")
    assert "身份证号与户籍不符" in (problems.text or "")
    assert "正确身份证号" in (ask.text or "")
    assert "18 位" in (wrong.text or "")
    assert "全部完善" in (fixed.text or "")
    assert "已完善全部学生信息" in (told.text or "")
    [record] = await world.store.records_by_ids([20])
    assert record.id_number == good


async def test_a_record_with_open_problems_cannot_be_confirmed(world: World) -> None:
    for user, index in ((EVALUATOR, 0), (HEAD, 1)):
        await world.bind(user, index)
    async with world.bot():
        await flag(world, 16, 0, "姓名有错别字")
        notice = await world.api.next_message(HEAD.id)
        assert "学生信息待完善" in (notice.text or "")
        listing = await world.say(HEAD, "/pending")
        view = await world.tap(HEAD, listing, "b:1:0")
        for _ in range(3):
            view = await world.tap(HEAD, view, "下一页")
        answer = await world.answer_to_tap(HEAD, view, "c:16:2")
    assert "学生信息待完善" in (view.text or "")
    assert "尚待完善" in answer
    assert world.signing.calls == []


async def test_corrected_xlsx_is_applied_all_or_nothing(world: World) -> None:
    for user, index in ((EVALUATOR, 0), (STAFF, 2)):
        await world.bind(user, index)
    async with world.bot():
        await flag(world, 21, 0, "姓名应为繁体")
        await flag(world, 22, 2, "应为社会学员")
        while True:  # the second notice lists both problems
            notice = await world.api.next_message(STAFF.id)
            if "2 项" in (notice.text or ""):
                break
        problems = await world.tap(STAFF, notice, "pl")
        await world.tap(STAFF, problems, "px")
        sheet = await world.api.next_message(STAFF.id)
        assert sheet.file is not None
        bad = _filled(sheet.file.data, {21: "陳大文", 22: "旁听生"})
        world.api.send_document(STAFF, bad, "待完善清单.xlsx")
        refused = await world.api.next_message(STAFF.id)
        unchanged = await world.store.records_by_ids([21, 22])
        good = _filled(sheet.file.data, {21: "陳大文", 22: "社会学员"})
        world.api.send_document(STAFF, good, "待完善清单.xlsx")
        applied = await world.api.next_message(STAFF.id)
        told = await world.api.next_message(EVALUATOR.id)
    assert "1 处错误" in (refused.text or "") and "第 3 行" in (refused.text or "")
    assert "学生类型只能是" in (refused.text or "")
    assert unchanged[0].student_name != "陳大文" and unchanged[1].student_type == "院校学生"
    assert "已按清单更正 2 项" in (applied.text or "")
    assert "已完善全部学生信息" in (told.text or "")
    records = await world.store.records_by_ids([21, 22])
    assert records[0].student_name == "陳大文"
    assert records[1].student_type == "社会学员"
    assert records[0].masked_id in _cells(sheet.file.data) and records[0].id_number not in _cells(
        sheet.file.data
    )


async def test_other_people_cannot_fix_school_info(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    async with world.bot():
        flagged = await flag(world, 23, 0, "姓名有误")
        world.api.send_document(EVALUATOR, _filled(_empty_sheet(), {}), "x.xlsx")
        refused = await world.api.next_message(EVALUATOR.id)
    assert "已通知学校" in (flagged.text or "")
    assert "只有考核站点负责人和业务管理员" in (refused.text or "")


def _filled(data: bytes, values: dict[int, str]) -> bytes:
    """The downloaded sheet with 更正值 filled in for the rows of these record ids' problems."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    value_col = header.index("更正值") + 1
    for row in sheet.iter_rows(min_row=2):
        cert_no = str(row[1].value)
        for record_id, value in values.items():
            if cert_no.endswith(f"{record_id:05d}"):
                sheet.cell(row=row[0].row, column=value_col, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _empty_sheet() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["问题编号", "更正值"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cells(data: bytes) -> str:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
