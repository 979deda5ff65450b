"""Administrators, blank stock and outputs on WeCom, as transcripts on the graduation demo: the
administrator binds by code and invites; members bind by the mobile number WeCom's OAuth2
(snsapi_privateinfo + getuserdetail) gives; no match or no consent gets a clear page; 解绑 takes
effect at once (an old card clicked afterwards is refused); the 库管员 books in, voids, returns,
traces and reads the balance; the department fetches a school's roster and preview; nobody
needs the command line. SQLite only (a chat test)."""

from __future__ import annotations

import io
import math
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import openpyxl
import pytest
from PIL import Image

from issuance.accounts import Accounts
from issuance.core.catalog import t
from issuance.core.chain import Act
from issuance.core.idcard import mask
from issuance.core.people import Invite
from issuance.core.records import RecordFilter
from issuance.core.vocabulary import XStatus
from issuance.graduation import demo
from issuance.graduation.demo import PER_SCHOOL, TERM
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock
from issuance.xcert.service import Issuance
from tests.fakewecom import FakeWeCom, Message
from tests.gradworld import NAMES
from tests.wecomworld import EVALUATOR, HEAD, World, wecom_world

pytestmark = pytest.mark.one_database

ADMIN, ADMIN_PHONE = "admin", "13600000009"
PHONES = {name: phone for phone, name in NAMES.items()}


async def load_with_admin(issuance: Issuance) -> list[Invite]:
    """The graduation demo and its administrator (as `qianfa admin add` makes them)."""
    await demo.load(issuance)
    await Accounts(issuance).add_admin(ADMIN_PHONE, "王管理")
    return [await issuance.create_invite(ADMIN_PHONE)]


@pytest.fixture
async def world(tmp_path: Path, fake: FakeWeCom, database: str) -> AsyncIterator[World]:
    async with wecom_world(tmp_path, fake, load=load_with_admin, database_url=database) as made:
        fake.members.update({ADMIN, "stranger", *NAMES.values()})
        for name, phone in PHONES.items():
            fake.mobiles[name] = phone
        yield made


async def oauth_bind(world: World, member: str, consent: bool = True) -> httpx.Response:
    """The member opens the bind page and WeCom comes back with a privateinfo code."""
    code = world.fake.private_oauth_code(member, consent)
    async with httpx.AsyncClient() as http:
        return await http.get(f"{world.base_url}/wecom/bind", params={"code": code})


@pytest.mark.both_databases  # binding by mobile number on PostgreSQL too
async def test_members_bind_by_their_mobile_number_or_are_told_whom_to_ask(world: World) -> None:
    (card,) = await world.say("keeper", "绑定")
    assert card.msgtype == "textcard" and card.content["url"] == f"{world.base_url}/wecom/bind"
    async with httpx.AsyncClient() as http:
        opened = await http.get(card.content["url"])
    target = urlsplit(opened.headers["location"])
    query = parse_qs(target.query)
    assert opened.status_code == 302 and target.netloc == "open.weixin.qq.com"
    assert query["scope"] == ["snsapi_privateinfo"]
    assert query["redirect_uri"] == [f"{world.base_url}/wecom/bind"]

    bound = await oauth_bind(world, "keeper")
    assert bound.status_code == 200 and "绑定成功" in bound.text and "库管员" in bound.text
    (told,) = await world.fake.next_messages("keeper", 1)
    assert "已绑定" in told.text and "库管员" in told.text
    (balance,) = await world.say("keeper", "库存")
    assert "没有空白证书记录" in balance.text

    world.fake.mobiles["stranger"] = "13712345678"
    stranger = await oauth_bind(world, "stranger")
    assert (
        stranger.status_code == 404 and "王管理" in stranger.text and ADMIN_PHONE in stranger.text
    )
    refused = await oauth_bind(world, "distributor", consent=False)
    assert refused.status_code == 403 and "绑定 邀请码" in refused.text
    assert await world.store.person_for_account("wecom", "distributor") is None
    forged = await oauth_bind(world, "keeper")  # a used code is WeCom's to refuse; ours: bound
    assert forged.status_code == 200
    async with httpx.AsyncClient() as http:
        reused = await http.get(f"{world.base_url}/wecom/bind", params={"code": "used-or-forged"})
    assert reused.status_code == 502 and "绑定成功" not in reused.text


async def test_the_administrator_invites_lists_and_unbinds_at_once(world: World) -> None:
    (bound,) = await world.say(ADMIN, f"绑定 {world.invites[0].code}")
    assert "绑定成功" in bound.text and "管理员" in bound.text

    (helped,) = await world.say(ADMIN, "帮助")
    assert helped.text == t("wecom.help.admin")
    text, picture, caption = await world.say(ADMIN, "邀请 13900000031", replies=3)
    code = text.text.split("邀请码：")[1].split()[0]
    assert picture.msgtype == "image" and f"绑定 {code}" in caption.text
    _, png = world.fake.media(picture)
    assert Image.open(io.BytesIO(png)).format == "PNG"
    (clerk_bound,) = await world.say("clerk_quanzhou", f"绑定 {code}")
    assert "绑定成功" in clerk_bound.text

    listing, sheet_card = await world.say(ADMIN, "绑定情况", replies=2)
    assert "已绑定 2 人" in listing.text and "13900000031：企业微信" in listing.text
    made, sheet, sheet_caption = await world.click(ADMIN, sheet_card, "邀请表", replies=3)
    assert "未绑定人员" in made.text and sheet.msgtype == "file"
    name, data = world.fake.media(sheet)
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert name == "邀请表.xlsx" and rows[0][:6] == (
        "姓名",
        "机构",
        "角色",
        "手机号",
        "邀请码",
        "有效期至",
    )
    phones = {row[3] for row in rows[1:]}
    assert ADMIN_PHONE not in phones and "13900000031" not in phones and "13900000002" in phones
    assert f"{len(rows) - 1} 人" in sheet_caption.text

    # The clerk holds a card; once unbound, the old account's click is refused at once.
    graduation = Graduation(world.store, world.settings)
    await approve(world, graduation)
    await notices_sent(world)
    listing_card = (await world.say("clerk_quanzhou", "花名册", replies=2))[1]
    (unbound,) = await world.say(ADMIN, "解绑 13900000031")
    assert "已解绑" in unbound.text and "企业微信" in unbound.text
    (stale,) = await world.click("clerk_quanzhou", listing_card, "花名册 2025年6月", replies=1)
    assert stale.text == t("wecom.not_bound")
    (words,) = await world.say("clerk_quanzhou", "花名册")
    assert words.text == t("wecom.not_bound")

    (not_bound,) = await world.say("keeper", "邀请 13900000031")
    assert not_bound.text == t("wecom.not_bound")
    await oauth_bind(world, "keeper")
    (not_admin,) = await world.click("keeper", sheet_card, "邀请表", replies=1)
    assert "只有管理员可以办理此操作" in not_admin.text
    (plain,) = await world.say("keeper", "邀请 13900000031")  # not the keeper's word
    assert plain.text == t("wecom.unknown_text")


async def approve(world: World, graduation: Graduation) -> None:
    """The Quanzhou school's term declared and approved (chain: 校领导, 泉州, 省)."""
    request_id, _ = await graduation.declare(demo.SCHOOLS[2][0], TERM)
    for phone in ("13900000032", "13900000005", "13900000001"):
        actor = await world.store.person_by_ref(phone)
        assert actor is not None
        await graduation.act(actor, request_id, Act.CONFIRM)


async def notices_sent(world: World) -> None:
    """Wait until the outbox sent every notice (approvals notify people on their own)."""

    def quiet() -> bool | None:
        with sqlite3.connect(world.settings.database_path) as db:
            (left,) = db.execute(
                "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
                " AND channel = 'wecom'"
            ).fetchone()
        return True if left == 0 else None

    await world.fake.wait_for(quiet)


async def bind_all(world: World) -> None:
    for name in NAMES.values():
        response = await oauth_bind(world, name)
        assert response.status_code == 200, name


async def test_the_keeper_books_in_voids_returns_and_traces_from_chat(world: World) -> None:
    await bind_all(world)
    which, kinds = await world.say("keeper", "入库", replies=2)
    assert "请选择空白证书种类" in which.text
    (ask,) = await world.click("keeper", kinds, "技工学校", replies=1)
    assert "第一张和最后一张流水码" in ask.text
    (received,) = await world.say("keeper", "J0000001 J0000010")
    assert "已入库 10 张（J0000001 至 J0000010）" in received.text
    (one_line,) = await world.say("keeper", "入库 技师学院 T000001-T000005")
    assert "已入库 5 张" in one_line.text
    (twice,) = await world.say("keeper", "入库 技工学校 J0000005 J0000006")
    assert "已入库" in twice.text and "J0000005" in twice.text and "已入库 2" not in twice.text

    (helped,) = await world.say("keeper", "帮助")
    assert helped.text == t("wecom.help.stock")
    (not_keeper,) = await world.say("distributor", "入库 技工学校 J0000011 J0000012")
    assert "只有库管员可以办理此操作" in not_keeper.text
    (clerk,) = await world.say("clerk_quanzhou", "库存")
    assert "库管员" not in clerk.text  # another role's word is plain text to them

    (too_early,) = await world.say("keeper", "作废 J0000003 运输途中损坏")
    assert "未发放给学校或已作废，不能作废" in too_early.text  # the same rule as the command line
    graduation = Graduation(world.store, world.settings)
    request = await graduation.request_blanks(demo.SCHOOLS[2][0], "技工学校", 3, None)
    for phone in ("13900000032", "13900000005", "13900000001"):
        actor = await world.store.person_by_ref(phone)
        assert actor is not None
        await graduation.act(actor, request, Act.CONFIRM)
    before = len(world.fake.received("keeper"))
    await Stock(world.store, world.settings).issue(request, "J0000001", PHONES["distributor"])
    (low,) = await world.fake.next_messages("keeper", before)
    assert "库存提醒" in low.text
    (voided,) = await world.say("keeper", "作废 J0000003 运输途中损坏")
    assert "流水码 J0000003 已作废" in voided.text
    (no_reason,) = await world.say("keeper", "退回 J0000003")
    assert "退回原因" in no_reason.text
    (ask_return,) = await world.say("keeper", "退回")
    assert "已作废的流水码" in ask_return.text
    (returned,) = await world.say("keeper", "J0000003 学期末统一退回")
    assert "已退回省厅 1 张" in returned.text

    (trace,) = await world.say("keeper", "流水 J0000003")
    assert "J0000003 技工学校 当前：已退回" in trace.text
    assert "入库" in trace.text and "作废" in trace.text and "退回省厅" in trace.text
    (balance,) = await world.say("distributor", "库存")
    assert "技工学校 在库 7" in balance.text and "技师学院 在库 5" in balance.text
    assert "各校持有" in balance.text and f"{demo.SCHOOLS[2][1]} 技工学校 已发放 2" in balance.text


async def test_the_department_fetches_a_schools_roster_and_preview(world: World) -> None:
    await bind_all(world)
    graduation = Graduation(world.store, world.settings)
    await approve(world, graduation)
    await notices_sent(world)
    listing, buttons = await world.say("quanzhou", "花名册", replies=2)
    assert f"{demo.SCHOOLS[2][1]} 2025年6月：{PER_SCHOOL} 人" in listing.text
    roster_label = next(label for label in buttons.buttons if label.startswith("花名册"))
    pdf, pdf_caption, xlsx, xlsx_caption = await world.click(
        "quanzhou", buttons, roster_label, replies=4
    )
    name, data = world.fake.media(xlsx)
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert name.endswith("花名册.xlsx") and len(rows) == PER_SCHOOL + 1
    school = await graduation.school(demo.SCHOOLS[2][0])
    numbered = await world.store.numbered_graduates(school.id, TERM)
    assert {r[3] for r in rows[1:]} == {mask(row.id_number) for row in numbered}
    assert pdf.msgtype == "file" and "花名册" in pdf_caption.text and "花名册" in xlsx_caption.text
    preview_label = next(label for label in buttons.buttons if label.startswith("打印预览"))
    image, caption = await world.click("quanzhou", buttons, preview_label, replies=2)
    assert image.msgtype == "image" and "核对" in caption.text

    (fuzhou,) = await world.say("fuzhou", "花名册")
    assert "还没有已编号的毕业生" in fuzhou.text
    refused = await world.click("fuzhou", buttons, roster_label, replies=1)
    assert "审批范围" in refused[0].text


@pytest.fixture
async def xworld(tmp_path: Path, fake: FakeWeCom) -> AsyncIterator[World]:
    """The X-certificate demo: the evaluator and a school head bound."""
    async with wecom_world(tmp_path, fake) as made:
        await made.bind(EVALUATOR, 0)
        await made.bind(HEAD, 1)
        yield made


async def export_buttons(world: World, member: str) -> dict[str, Message]:
    """导出: its text, then its buttons (all, six statuses, the batches) on cards of six."""
    person = await world.store.person_for_account("wecom", member)
    assert person is not None
    batches = min(len(await world.issuance.visible_batches(person)), 10)
    which, *cards = await world.say(member, "导出", replies=1 + math.ceil((7 + batches) / 6))
    assert "导出发证记录" in which.text
    return {label: card for card in cards for label in card.buttons}


async def test_evaluators_and_schools_export_the_records_masked(xworld: World) -> None:
    world = xworld
    buttons = await export_buttons(world, EVALUATOR)
    sheet, caption = await world.click(EVALUATOR, buttons["全部记录"], "全部记录", replies=2)
    name, data = world.fake.media(sheet)
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert name == "发证记录.xlsx" and rows[0][:2] == ("学生姓名", "身份证号")
    records = await world.store.records(RecordFilter())
    assert len(rows) - 1 == len(records) and f"{len(records)} 条" in caption.text
    assert {r[1] for r in rows[1:]} == {mask(r.id_number) for r in records}

    head = await world.store.person_by_ref("13800000002")
    assert head is not None
    waiting = XStatus.SITE_PENDING
    mine = await world.store.records(RecordFilter(site_id=head.org_id, status=waiting))
    buttons = await export_buttons(world, HEAD)
    sheet, caption = await world.click(HEAD, buttons[waiting], waiting, replies=2)
    _, data = world.fake.media(sheet)
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert len(rows) - 1 == len(mine) > 0 and waiting in caption.text
    assert {r[10] for r in rows[1:]} == {head.org_name}
