"""Administrators, blank stock and outputs through the loopback Bot API, as transcripts: the
administrator binds by invite, unbinds a clerk (whose old account's taps are refused at once),
invites them again one by one and by the sheet; the 库管员 books blanks in and traces them, the
发放员 reads the balance; a department fetches a school's roster and preview; evaluators and
schools export the records, ID numbers masked. SQLite only (a chat test)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

from issuance.accounts import Accounts
from issuance.core.catalog import t
from issuance.core.chain import Act
from issuance.core.idcard import mask
from issuance.core.records import RecordFilter
from issuance.core.vocabulary import XStatus
from issuance.graduation.demo import PER_SCHOOL, SCHOOLS, TERM
from issuance.xcert.service import Issuance
from tests.botworld import EVALUATOR, HEAD, World
from tests.fakebot import FakeBotApi, Sent, User
from tests.gradworld import UNDER_CITY, UNDER_FINAL_CITY, GradBot, grad_bot
from tests.integration.bot.test_gradchat_bot import approve, ask, messages

pytestmark = pytest.mark.one_database

ADMIN = "admin"
ADMIN_PHONE = "13600000009"
CLERK_PHONE = "13900000031"


@pytest.fixture
async def chat(tmp_path: Path, bot_api: FakeBotApi) -> AsyncIterator[GradBot]:
    """The graduation demo, everybody bound, and an administrator added (not bound yet)."""
    async with grad_bot(tmp_path, bot_api) as built:
        await Accounts(Issuance(built.world.store, built.settings)).add_admin(ADMIN_PHONE, "王管理")
        built.users[ADMIN] = User(6001, "王管理")
        yield built


def sheet_rows(data: bytes) -> list[tuple[object, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


async def test_the_administrator_unbinds_at_once_and_invites_again(chat: GradBot) -> None:
    issuance = Issuance(chat.world.store, chat.settings)
    code = (await issuance.create_invite(ADMIN_PHONE)).code
    await approve(chat, UNDER_CITY)
    async with chat.bot():
        bound = await ask(chat, ADMIN, f"/start {code}")
        assert "绑定成功" in (bound.text or "") and "管理员" in (bound.text or "")
        helped = await ask(chat, ADMIN, "/help")
        assert helped.text == t("bot.help.admin")
        menu = await ask(chat, ADMIN, "/admin")
        assert "邀请表" in (menu.text or "") and menu.button("绑定情况")

        clerk_account = str(chat.users["clerk_quanzhou"].id)
        old_card = await ask(chat, "clerk_quanzhou", "/roster")
        assert "花名册 2025年6月" in {b.text for row in old_card.buttons for b in row}
        refused = await chat.alert("clerk_quanzhou", menu, "绑定情况")
        assert "只有管理员" in refused  # a forged tap on the admin's menu

        unbound = await ask(chat, ADMIN, f"解绑 {CLERK_PHONE}")
        assert "已解绑" in (unbound.text or "") and "Telegram" in (unbound.text or "")
        stale = await chat.alert("clerk_quanzhou", old_card, "花名册 2025年6月")
        assert "尚未绑定" in stale
        words = await ask(chat, "clerk_quanzhou", "/roster")
        assert "尚未绑定" in (words.text or "")

        chat.api.tap(chat.users[ADMIN], menu, "绑定情况")
        (listing,) = await messages(chat, ADMIN, 1)
        assert f"{CLERK_PHONE}：未绑定" in (listing.text or "")
        assert "已绑定 11 人，未绑定 1 人" in (listing.text or "")

        chat.api.tap(chat.users[ADMIN], listing, "邀请表")
        made, sheet = await messages(chat, ADMIN, 2)
        assert "1 名未绑定人员" in (made.text or "") and sheet.file is not None
        rows = sheet_rows(sheet.file.data)
        assert rows[0][:6] == ("姓名", "机构", "角色", "手机号", "邀请码", "有效期至")
        assert [row[3] for row in rows[1:]] == [CLERK_PHONE]
        sheet_code = str(rows[1][4])

        asked = await ask(chat, ADMIN, "邀请")
        assert "手机号" in (asked.text or "")
        chat.api.send_text(chat.users[ADMIN], "139-0000-0031")
        invited, picture = await messages(chat, ADMIN, 2)
        one_code = (invited.text or "").split("邀请码：")[1].split()[0]
        assert picture.file is not None and "photo" in picture.raw
        assert f"/start {one_code}" in (picture.caption or "")

        again = await ask(chat, "clerk_quanzhou", f"/start {sheet_code}")
        assert "绑定成功" in (again.text or "")
        roster = await ask(chat, "clerk_quanzhou", "/roster")
        assert "2025年6月" in (roster.text or "")
        nobody = await ask(chat, "keeper", f"解绑 {CLERK_PHONE}")  # a keeper's text, not a word
        assert nobody.text == t("bot.unknown_text")
        assert await chat.world.store.person_for_account("telegram", clerk_account) is not None


async def test_the_keeper_books_in_and_the_distributor_reads_the_balance(chat: GradBot) -> None:
    async with chat.bot():
        kinds = await ask(chat, "keeper", "入库")
        assert "请选择空白证书种类" in (kinds.text or "")
        chat.api.tap(chat.users["keeper"], kinds, "高级技工学校")
        (asked,) = await messages(chat, "keeper", 1)
        assert "入库 高级技工学校" in (asked.text or "")
        received = await ask(chat, "keeper", "G000001 G000200")
        assert "已入库 200 张（G000001 至 G000200）" in (received.text or "")
        bad = await ask(chat, "keeper", "入库 技工学校 J1 K5")
        assert "不是同一前缀" in (bad.text or "")
        refused = await ask(chat, "distributor", "入库 技工学校 J0000001 J0000002")
        assert "只有库管员可以办理此操作" in (refused.text or "")

        helped = await ask(chat, "distributor", "/help")
        assert helped.text == t("bot.help.stock")
        trace = await ask(chat, "distributor", "流水 G000007")
        assert "G000007 高级技工学校 当前：在库" in (trace.text or "")
        assert "入库" in (trace.text or "")
        balance = await ask(chat, "distributor", "/stock")
        assert "高级技工学校 在库 200" in (balance.text or "")
        clerk = await ask(chat, "clerk_fuzhou", "库存")
        assert "高级技工学校" not in (clerk.text or "")

        request_id = await chat.world.grad.request_blanks(
            UNDER_FINAL_CITY, "高级技工学校", 20, None
        )
        for who in ("leader_fuzhou", "fuzhou"):
            await chat.world.grad.act(chat.world[who], request_id, Act.CONFIRM)
        to_issue = await chat.notice("distributor")
        while "待发放" not in (to_issue.text or ""):
            to_issue = await chat.notice("distributor")
        await chat.tap("distributor", to_issue, "发放")
        done = await chat.say("distributor", "G000031")
        assert "已发放 20 张（G000031 至 G000050）" in (done.text or "")
        assert "高级技工学校空白毕业证在库 180 张" in (done.text or "")
        balance = await ask(chat, "keeper", "库存")
        assert "高级技工学校 已发放 20" in (balance.text or "")
        assert "福州高级技工学校 高级技工学校 已发放 20" in (balance.text or "")


async def test_a_department_fetches_a_schools_roster_and_preview(chat: GradBot) -> None:
    await approve(chat, UNDER_CITY)
    school = await chat.world.grad.school(UNDER_CITY)
    numbered = await chat.world.store.numbered_graduates(school.id, TERM)
    async with chat.bot():
        listing = await ask(chat, "quanzhou", "/roster")
        assert f"{SCHOOLS[2][1]} 2025年6月：{PER_SCHOOL} 人" in (listing.text or "")
        label = f"花名册 {SCHOOLS[2][1]} 2025年6月"
        chat.api.tap(chat.users["quanzhou"], listing, label)
        pdf, xlsx = await messages(chat, "quanzhou", 2)
        assert pdf.file is not None and xlsx.file is not None
        rows = sheet_rows(xlsx.file.data)
        assert {r[3] for r in rows[1:]} == {mask(row.id_number) for row in numbered}
        chat.api.tap(chat.users["quanzhou"], listing, f"打印预览 {SCHOOLS[2][1]} 2025年6月")
        (preview,) = await messages(chat, "quanzhou", 1)
        assert "photo" in preview.raw and numbered[0].name in (preview.caption or "")

        print_list = await ask(chat, "province", "/print")  # the province is on the route too
        assert SCHOOLS[2][1] in (print_list.text or "")
        city = await ask(chat, "fuzhou", "/roster")
        assert "还没有已编号的毕业生" in (city.text or "")
        forged = await chat.alert("fuzhou", listing, label)
        assert "不在本部门的审批范围" in forged


async def files_of(world: World, user: User, message: Sent, button: str) -> bytes:
    sent = await world.tap(user, message, button)
    assert sent.file is not None
    return sent.file.data


async def test_evaluators_and_schools_export_records_masked(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    await world.bind(HEAD, 1)
    async with world.bot():
        choice = await world.say(EVALUATOR, "/export")
        assert "导出发证记录" in (choice.text or "")
        rows = sheet_rows(await files_of(world, EVALUATOR, choice, "全部记录"))
        records = await world.store.records(RecordFilter())
        assert len(rows) - 1 == len(records) > 0
        assert {r[1] for r in rows[1:]} == {mask(r.id_number) for r in records}

        head = await world.store.person_by_ref("13800000002")
        assert head is not None
        waiting = XStatus.SITE_PENDING
        mine = await world.store.records(RecordFilter(site_id=head.org_id, status=waiting))
        choice = await world.say(HEAD, "导出")
        rows = sheet_rows(await files_of(world, HEAD, choice, waiting))
        assert len(rows) - 1 == len(mine) > 0 and {r[10] for r in rows[1:]} == {head.org_name}
