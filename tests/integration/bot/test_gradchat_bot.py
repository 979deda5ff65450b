"""Graduation printouts through the loopback Bot API: the 经办人 gets 打印 on the approved notice
(the print PDF as the command line makes it, a preview picture, the calibration page) and the
roster; other people's taps are refused; departments get statistics of their own schools;
/verify asks which kind and looks a graduation certificate up (void, wrong name, throttled)."""

from __future__ import annotations

import io
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from issuance.core.chain import Act
from issuance.core.idcard import mask
from issuance.core.vocabulary import SchoolLevel
from issuance.formats.grad_print import layout_for, render_preview
from issuance.graduation.demo import PER_SCHOOL, TERM
from issuance.graduation.printouts import PREVIEW_DPI, Printouts
from tests.fakebot import FakeBotApi, Sent
from tests.gradworld import PROVINCE_RUN, UNDER_CITY, UNDER_FINAL_CITY, GradBot, grad_bot
from tests.integration.test_grad_print import words

NOTICES = ("待您处理", "已审批")
APPROVAL = (
    (PROVINCE_RUN, "leader_province_run", ("province",)),
    (UNDER_FINAL_CITY, "leader_fuzhou", ("fuzhou",)),
    (UNDER_CITY, "leader_quanzhou", ("quanzhou", "province")),
)


@pytest.fixture
async def chat(tmp_path: Path, bot_api: FakeBotApi) -> AsyncIterator[GradBot]:
    async with grad_bot(tmp_path, bot_api) as built:
        yield built


async def approve(chat: GradBot, school: str) -> None:
    """Declare the school's term and approve it all the way."""
    _, leader, approvers = next(a for a in APPROVAL if a[0] == school)
    request_id, _ = await chat.world.grad.declare(school, TERM)
    for who in (leader, *approvers):
        await chat.world.grad.act(chat.world[who], request_id, Act.CONFIRM)


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def pdf_text(pdf: bytes, path: Path) -> str:
    path.write_bytes(pdf)
    return run("pdftotext", "-layout", path, "-")


def fonts_embedded(pdf: bytes, path: Path) -> bool:
    path.write_bytes(pdf)
    rows = run("pdffonts", path).splitlines()[2:]
    return bool(rows) and all(row.split()[-5] == "yes" for row in rows)


def dark_pixels(png: bytes) -> int:
    with Image.open(io.BytesIO(png)) as image:
        return sum(1 for value in image.convert("L").tobytes() if value < 60)


async def messages(chat: GradBot, who: str, count: int) -> list[Sent]:
    """The bot's next `count` answers, past the approval notices the outbox delivers meanwhile."""
    found: list[Sent] = []
    while len(found) < count:
        message = await chat.api.next_message(chat.users[who].id, timeout=15.0)
        if not (message.text or "").startswith(NOTICES):
            found.append(message)
    return found


async def ask(chat: GradBot, who: str, text: str) -> Sent:
    chat.api.send_text(chat.users[who], text)
    return (await messages(chat, who, 1))[0]


async def test_the_clerk_prints_an_approved_term_with_a_preview_and_gets_the_roster(
    chat: GradBot, tmp_path: Path
) -> None:
    await approve(chat, UNDER_FINAL_CITY)
    printouts = Printouts(chat.world.grad, chat.world.store)
    expected, _ = await printouts.print_pdf(UNDER_FINAL_CITY, TERM)
    numbered = await chat.world.store.numbered_graduates(chat.world["clerk_fuzhou"].org_id, TERM)
    async with chat.bot():
        approved = await chat.notice("clerk_fuzhou")
        assert "已审批" in (approved.text or "")
        button = "打印 2025年6月"
        refused = await chat.alert("clerk_quanzhou", approved, button)
        assert "您不是该学校的经办人" in refused
        leader = await chat.alert("leader_fuzhou", approved, button)
        assert "只有本校的经办人" in leader

        preparing = await chat.tap("clerk_fuzhou", approved, button)
        assert "正在生成" in (preparing.text or "")
        document, photo = await messages(chat, "clerk_fuzhou", 2)
        assert document.file is not None and document.raw["document"]["file_name"].endswith(".pdf")
        assert f"{PER_SCHOOL} 页" in (document.caption or "")
        pdf = document.file.data
        # the same fill-ins at the same places as `qianfa grad print` (without --first-serial)
        sent = [
            (w.page, w.text, round(w.x_min, 1), round(w.y_min, 1)) for w in words(pdf, tmp_path)
        ]
        made = [
            (w.page, w.text, round(w.x_min, 1), round(w.y_min, 1))
            for w in words(expected, tmp_path)
        ]
        assert sent == made and {p for p, *_ in sent} == set(range(1, PER_SCHOOL + 1))
        assert fonts_embedded(pdf, tmp_path / "print.pdf")
        text = pdf_text(pdf, tmp_path / "print.pdf")
        assert all(row.cert_no in text for row in numbered)
        assert not any(row.id_number in text for row in numbered)

        assert photo.file is not None and "photo" in photo.raw
        assert numbered[0].name in (photo.caption or "")
        layout = layout_for(SchoolLevel.SENIOR_TECHNICAL_SCHOOL)
        with Image.open(io.BytesIO(photo.file.data)) as image:
            assert image.format == "PNG"
            assert image.size == (
                round(layout.width_mm * PREVIEW_DPI / 25.4),
                round(layout.height_mm * PREVIEW_DPI / 25.4),
            )
        blank = render_preview(None, layout, PREVIEW_DPI)
        assert dark_pixels(photo.file.data) > dark_pixels(blank) + 2000  # the words filled in

        listing = await chat.say("clerk_fuzhou", "/print")
        assert "2025年6月：12 人" in (listing.text or "")
        calibration = await chat.tap("clerk_fuzhou", listing, "校准页")
        assert calibration.file is not None
        page = pdf_text(calibration.file.data, tmp_path / "calibration.pdf")
        assert "按 100% 打印" in page and "高级技工学校毕业证书" in page

        roster_pdf, roster_xlsx = await tap_for_files(
            chat, "clerk_fuzhou", approved, "花名册 2025年6月"
        )
        roster_text = pdf_text(roster_pdf, tmp_path / "roster.pdf")
        assert "毕业生花名册" in roster_text and "福州高级技工学校" in roster_text
        assert mask(numbered[0].id_number) in roster_text
        assert not any(row.id_number in roster_text for row in numbered)
        sheet = openpyxl.load_workbook(io.BytesIO(roster_xlsx)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:4] == ("序号", "毕业证书编号", "姓名", "身份证号") and len(rows[0]) == 11
        assert [r[1] for r in rows[1:]] == [row.cert_no for row in numbered]
        assert {r[3] for r in rows[1:]} == {mask(row.id_number) for row in numbered}

        rosters = await ask(chat, "leader_fuzhou", "/roster")  # the 校领导 may see it too
        assert "福州高级技工学校的毕业生花名册" in (rosters.text or "")
        assert (
            rosters.button("花名册 2025年6月").callback_data
            == approved.button("花名册 2025年6月").callback_data
        )
        other = await chat.alert("clerk_quanzhou", approved, "花名册 2025年6月")
        assert "只有本校的经办人、校领导" in other
        nothing = await chat.say("clerk_quanzhou", "/print")
        assert "还没有已审批的毕业证" in (nothing.text or "")
        stranger = await chat.say("distributor", "/print")
        assert "只有本校的经办人可以打印" in (stranger.text or "")
        told = await chat.say("clerk_fuzhou", "/help")
        assert "/print" in (told.text or "") and "/roster" in (told.text or "")
    # printing from chat books no blanks (as `grad print` without --first-serial)
    for row in numbered:
        graduate = await chat.world.store.graduate(int(row.id))
        assert graduate is not None and graduate.printed_at is None


async def tap_for_files(chat: GradBot, who: str, message: Sent, button: str) -> tuple[bytes, bytes]:
    """Tap and read the two documents the bot sends back."""
    chat.api.tap(chat.users[who], message, button)
    first, second = await messages(chat, who, 2)
    assert first.file is not None and second.file is not None
    return first.file.data, second.file.data


async def test_departments_get_statistics_of_their_own_schools_only(chat: GradBot) -> None:
    for school, *_ in APPROVAL:
        await approve(chat, school)
    async with chat.bot():
        city = await ask(chat, "fuzhou", "/stats 2025")
        assert "2025年所辖 1 所技工院校" in (city.text or "")
        assert "福州高级技工学校：毕业生 12 人" in (city.text or "")
        assert "泉州技工学校" not in (city.text or "") and "福建省技师学院" not in (city.text or "")
        chart = (await messages(chat, "fuzhou", 1))[0]
        assert chart.file is not None and "photo" in chart.raw
        with Image.open(io.BytesIO(chart.file.data)) as image:
            assert image.format == "PNG" and image.width > 500
            assert len(image.convert("RGB").getcolors(1 << 24) or []) > 10  # not blank

        province = await ask(chat, "province", "/stats 2025")
        for name in ("福建省技师学院", "福州高级技工学校", "泉州技工学校"):
            assert f"{name}：毕业生 12 人" in (province.text or "")
        await messages(chat, "province", 1)
        quanzhou = await ask(chat, "quanzhou", "/stats 2025")
        assert "泉州技工学校" in (quanzhou.text or "") and "福州" not in (quanzhou.text or "")
        await messages(chat, "quanzhou", 1)

        empty = await ask(chat, "fuzhou", "/stats 2019")
        assert "2019年所辖学校没有毕业生" in (empty.text or "")
        bad = await ask(chat, "fuzhou", "/stats 25")
        assert "年份不正确" in (bad.text or "")
        clerk = await ask(chat, "clerk_fuzhou", "/stats 2025")
        assert "只有主管部门的人员" in (clerk.text or "")
    assert chat.api.uploads(chat.users["clerk_fuzhou"].id) == []


async def test_verify_asks_which_kind_and_answers_a_graduation_certificate(chat: GradBot) -> None:
    await approve(chat, UNDER_FINAL_CITY)
    numbered = await chat.world.store.numbered_graduates(chat.world["clerk_fuzhou"].org_id, TERM)
    first, second = numbered[0], numbered[1]
    printouts = Printouts(chat.world.grad, chat.world.store)
    await printouts.void(second.cert_no, "打印错误，已收回")
    stranger = "distributor"  # anyone may look up; the answer is the same for everybody
    async with chat.bot():
        which = await chat.say(stranger, "/verify")
        assert "请选择要查验的证书种类" in (which.text or "")
        ask = await chat.tap(stranger, which, "毕业证")
        assert "毕业证书编号和姓名" in (ask.text or "")
        valid = await chat.say(stranger, f"{first.cert_no} {first.name}")
        assert "毕业证书有效" in (valid.text or "") and "福州高级技工学校" in (valid.text or "")
        assert first.name not in (valid.text or "") and first.id_number not in (valid.text or "")

        await chat.tap(stranger, which, "毕业证")
        void = await chat.say(stranger, f"{second.cert_no} {second.name}")
        assert "已作废" in (void.text or "") and second.cert_no in (void.text or "")

        await chat.tap(stranger, which, "毕业证")
        wrong = await chat.say(stranger, f"{first.cert_no} 王某某")
        assert "未查到该毕业证书" in (wrong.text or "")
        await chat.tap(stranger, which, "毕业证")
        # every try counts, five a minute per chat as for X certificates; a bad one asks again
        replies = [await chat.say(stranger, "3500") for _ in range(4)]
        assert all("格式不正确" in (r.text or "") for r in replies[:2])
        assert any("查询过于频繁" in (r.text or "") for r in replies[2:])
