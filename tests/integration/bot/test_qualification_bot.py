"""The 经办人 sends qualifications and grades files to the bot: recognised by the header row,
imported for the 经办人's own school, answered with the 证书比对 summary (IDs masked)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

from issuance.core.idcard import mask
from issuance.graduation.demo import SCHOOLS, TERM
from tests.fakebot import FakeBotApi
from tests.gradworld import GradBot, grad_bot


@pytest.fixture
async def chat(tmp_path: Path, bot_api: FakeBotApi) -> AsyncIterator[GradBot]:
    async with grad_bot(tmp_path, bot_api) as built:
        yield built


def xlsx(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_clerk_sends_qualifications_and_grades_files(chat: GradBot) -> None:
    store = chat.world.store
    clerk = chat.users["clerk_fuzhou"]
    school = chat.world["clerk_fuzhou"].org_id
    a, b, *_ = await store.unqualified_graduates(school, TERM)
    other = (await chat.world.grad.school(SCHOOLS[2][0])).id
    elsewhere = (await store.unqualified_graduates(other, TERM))[0]
    qualifications = xlsx(
        [
            ["姓名", "身份证号", "职业资格证书编号", "职业资格等级"],
            [a.name, a.id_number, "Q20250001", "高级工"],
            ["错名字", b.id_number, "Q20250002", "高级工"],
            [elsewhere.name, elsewhere.id_number, "Q20250003", "高级工"],
        ]
    )
    grades = xlsx(
        [
            ["身份证号", "姓名", "课程", "成绩", "任课教师"],
            [a.id_number, a.name, "汽车构造", "88", "张老师"],
            [b.id_number, "错名字", "汽车构造", "75", "张老师"],
        ]
    )
    async with chat.bot():
        chat.api.send_document(clerk, qualifications, "职业资格证书.xlsx")
        await chat.api.next_message(clerk.id)
        done = (await chat.api.next_message(clerk.id)).text or ""
        assert "职业资格证书导入完成：记录 1 名" in done and "2 行未匹配" in done
        assert f"第 3 行：错名字（{mask(b.id_number)}）姓名与登记的毕业生" in done
        assert "第 4 行" in done and b.id_number not in done
        chat.api.send_document(clerk, grades, "成绩.xlsx")
        await chat.api.next_message(clerk.id)
        refused = (await chat.api.next_message(clerk.id)).text or ""
        assert "导入失败" in refused and "第 3 行，姓名" in refused
    recorded = await store.graduate(a.id)
    assert recorded is not None and recorded.qualification_no == "Q20250001"
    # Another school's graduate is not touched through this school's 经办人.
    untouched = await store.graduate(elsewhere.id)
    assert untouched is not None and untouched.qualification_no is None
    assert await store.grades_of(a.id) == []
