"""A whole season on Telegram with no command line after the set-up: the administrator binds
everybody by invite codes; the evaluator uploads results through the upload page, generates the
lists, signs, broadcasts; the school uploads its 签名章, confirms and signs on the signing page; the
经办人 uploads graduates, qualifications and grades through the page, declares (申报) and requests
blanks (申领) in chat; the chain approves; the 库管员 books blanks in, the 发放员 issues them, the
经办人 prints and books the printed blanks (登记打印), the department fetches the roster and seals,
the 经办人 hands out. SQLite only (a chat transcript)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.telegram.app import running
from issuance.core.catalog import t
from issuance.core.settings import Secret, load_settings
from issuance.core.vocabulary import XStatus
from issuance.graduation.service import Graduation
from issuance.store import Store
from tests import seasonchat as season
from tests.botworld import limits_for
from tests.fakebot import FakeBotApi, Sent, User
from tests.pictures import drawn_stamp
from tests.serving import loopback_socket, served
from web.app import build_app

pytestmark = pytest.mark.one_database

USERS = {name: User(7000 + n, person[0]) for n, (name, person) in enumerate(season.PEOPLE.items())}


def said(message: Sent) -> str:
    return message.text or message.caption or ""


@dataclasses.dataclass
class Season:
    api: FakeBotApi
    store: Store
    http: httpx.AsyncClient
    grad: Graduation

    def send(self, who: str, text: str) -> None:
        self.api.send_text(USERS[who], text)

    async def until(self, who: str, wanted: Callable[[Sent], bool]) -> Sent:
        """The bot's next message to `who` that is `wanted`, past notices arriving meanwhile."""
        while True:
            message = await self.api.next_message(USERS[who].id, timeout=20.0)
            if wanted(message):
                return message

    async def reply(self, who: str, text: str, contains: str) -> Sent:
        self.send(who, text)
        return await self.until(who, lambda m: contains in said(m))

    async def tap(self, who: str, message: Sent, button: str, contains: str) -> Sent:
        self.api.tap(USERS[who], message, button)
        return await self.until(who, lambda m: contains in said(m))

    async def upload(self, who: str, kind: str, name: str, data: bytes) -> str:
        """上传 in chat, the file sent through the page; the report as it comes to the chat."""
        link = await self.reply(who, "上传", t(f"upload.kind.{kind}"))
        url = link.button(t("upload.chat.open")).url or ""
        done = await season.upload(self.http, url, kind, name, data)
        assert done.status_code == 200, done.text
        report = await self.until(who, lambda m: "上传成功" in (m.text or ""))
        return report.text or ""

    async def sign_in_page(self, who: str, prompt: Sent) -> None:
        """The signing link of the chat's prompt, signed on the page."""
        url = prompt.button("前往签名").url or ""
        signed = await season.sign(self.http, url)
        assert signed.status_code == 200 and "已确认签发" in signed.text
        await self.until(who, lambda m: "已确认签发" in (m.text or ""))


@pytest.fixture
async def world(tmp_path: Path, bot_api: FakeBotApi) -> AsyncIterator[Season]:
    admin_code = season.set_up(tmp_path)
    sock, base_url = loopback_socket()
    settings = dataclasses.replace(
        load_settings(tmp_path),
        telegram_token=Secret(bot_api.token),
        telegram_base_url=bot_api.base_url,
        telegram_base_file_url=bot_api.base_file_url,
        public_url=base_url,
    )
    store = await Store.open(settings.database)
    app = build_app(settings, store)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    try:
        async with (
            served(server, sock),
            httpx.AsyncClient(base_url=base_url, timeout=30) as http,
            running(settings, store, limits=limits_for(bot_api)),
        ):
            world = Season(bot_api, store, http, Graduation(store, settings))
            bound = await world.reply("admin", f"/start {admin_code}", "绑定成功")
            assert "管理员" in (bound.text or "")
            yield world
    finally:
        await store.close()


async def bind_everyone(world: Season) -> None:
    """The administrator invites each person in chat; each binds with the code."""
    for name, (_, phone, _, _) in season.PEOPLE.items():
        if name == "admin":
            continue
        invited = await world.reply("admin", f"邀请 {phone}", "邀请码：")
        code = (invited.text or "").split("邀请码：")[1].split()[0]
        await world.until("admin", lambda m: m.file is not None)  # its QR code
        bound = await world.reply(name, f"/start {code}", "绑定成功")
        assert season.PEOPLE[name][0] in (bound.text or "")
    listing = await world.reply("admin", "绑定情况", "已绑定")
    assert f"已绑定 {len(season.PEOPLE)} 人，未绑定 0 人" in (listing.text or "")


async def x_certificates(world: Season) -> None:
    """Results uploaded, lists generated and signed, schools told, the school signs."""
    report = await world.upload("evaluator", "results", "考核结果.csv", season.results_csv())
    assert t("upload.counts.results", imported=season.STUDENTS) in report
    plans = await world.reply("evaluator", "/lists", "请选择")
    done = await world.tap("evaluator", plans, f"{season.PLAN}（3 人）", "已生成")
    assert "已生成 1 个待签发名单" in (done.text or "")

    listing = await world.reply("evaluator", "/pending", "待签发")
    view = await world.tap("evaluator", listing, "b:1:0", "第 1/1 页")
    prompt = await world.tap("evaluator", view, "ca:1", "确认后不可撤回")
    await world.sign_in_page("evaluator", prompt)

    menu = await world.reply("evaluator", "/broadcast", "请选择要通知")
    world.api.tap(USERS["evaluator"], menu, "bc:1")
    notice = await world.until("head", lambda m: "考核站点待签发 3" in (m.text or ""))
    await world.until("evaluator", lambda m: (m.text or "").startswith("通知完成"))

    await world.reply("head", "/stamp", "PNG")
    world.api.send_document(USERS["head"], drawn_stamp(), "签名章.png", "image/png")
    consent = await world.until("head", lambda m: "授权委托书" in (m.text or ""))
    await world.tap("head", consent, "sa", "第 1 版")
    view = await world.tap("head", notice, "查看待签发名单", "第 1/1 页")
    prompt = await world.tap("head", view, "ca:1", "确认后不可撤回")
    await world.sign_in_page("head", prompt)
    records = await world.store.records_by_ids(list(range(1, season.STUDENTS + 1)))
    assert {r.status for r in records} == {XStatus.CONFIRMED}


async def graduation(world: Season) -> None:
    """Files through the page, the declaration approved, blanks booked and issued, printed,
    the roster fetched, sealed, handed out."""
    await season.upload_graduation_files(world)

    declared = await world.reply("clerk", f"申报 {season.TERM}", "已申报")
    assert f"已申报 {season.TERM} 届毕业生 {season.GRADUATES} 人" in said(declared)
    requested = await world.reply("clerk", f"申领 {season.GRADUATES}", "已申领")
    assert f"已申领{season.BLANK_KIND}空白毕业证 {season.GRADUATES} 张" in said(requested)
    count = season.GRADUATES
    again = await world.reply("clerk", f"申报 {season.TERM}", "没有尚未申报的毕业生")
    assert season.SCHOOL_NAME in said(again)
    asked = await world.reply("clerk", "申报", "申报 届别")
    assert said(asked) == t("declarechat.ask_term")
    refused = await world.reply("keeper", f"申报 {season.TERM}", "")  # not a keeper's word
    assert said(refused) == t("bot.unknown_text")
    for who, button in (("leader", "审核通过"), ("fuzhou", "审批通过")):
        waiting = [
            await world.until(who, lambda m: bool(m.buttons) and "待您处理" in said(m))
            for _ in ("graduates", "blanks")
        ]
        for notice in waiting:
            await world.tap(who, notice, button, "→")
    await world.until("clerk", lambda m: "编号已生成" in said(m))

    received = await world.reply("keeper", f"入库 {season.BLANK_KIND} G000001 G000100", "已入库")
    assert "已入库 100 张（G000001 至 G000100）" in (received.text or "")
    to_issue = await world.until("distributor", lambda m: "待发放" in said(m))
    await world.tap("distributor", to_issue, "发放", "")
    issued = await world.reply("distributor", "G000001", "已发放")
    assert f"已发放 {count} 张（G000001 至 G00000{count}）" in (issued.text or "")

    terms = await world.reply("clerk", "/print", "2025年6月")
    document = await world.tap("clerk", terms, "打印 2025年6月", f"{count} 页")
    assert document.file is not None
    booked = await world.reply("clerk", f"登记打印 {season.TERM} G000001", "已登记打印")
    assert f"已登记打印 {count} 本毕业证书（G000001 至 G00000{count}）" in said(booked)
    school = await world.grad.school(season.SCHOOL)

    listing = await world.reply("fuzhou", "/roster", f"{season.SCHOOL_NAME} 2025年6月")
    label = f"花名册 {season.SCHOOL_NAME} 2025年6月"
    world.api.tap(USERS["fuzhou"], listing, label)
    pdf = await world.until("fuzhou", lambda m: m.file is not None)
    xlsx = await world.until("fuzhou", lambda m: m.file is not None)
    assert {pdf.raw["document"]["file_name"][-4:], xlsx.raw["document"]["file_name"][-5:]} == {
        ".pdf",
        ".xlsx",
    }
    overview = await world.reply("fuzhou", "/handout", "待验印")
    sealed = await world.tap("fuzhou", overview, "1. 验印", "已验印")
    assert f"{count} 本毕业证书已验印" in (sealed.text or "")

    handout = await world.reply("clerk", "/handout", "待发放")
    done = await world.tap("clerk", handout, "1. 发放毕业证书", "已发放")
    assert f"已发放 {count} 本毕业证书" in (done.text or "")
    assert await world.store.grad_handout_counts(school.id, season.TERM) == {
        "已验印": count,
        "已发放": count,
    }


async def test_a_whole_season_on_telegram_from_chat_and_the_web(world: Season) -> None:
    await bind_everyone(world)
    await x_certificates(world)
    await graduation(world)
