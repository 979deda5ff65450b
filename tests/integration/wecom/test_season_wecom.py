"""A whole season on WeCom with no command line after the set-up: the administrator binds by the
set-up's code and everybody else binds by the mobile number WeCom's OAuth2 gives
(snsapi_privateinfo, getuserdetail); the evaluator uploads results through the upload page (opened
through WeCom's OAuth2), generates the lists, signs, broadcasts; the school sends its 签名章,
confirms and signs on the signing page; the 经办人 uploads graduates, qualifications and grades,
declares (申报) and requests blanks (申领); the chain approves; the 库管员 books blanks in, the
发放员 issues them, the 经办人 prints and books the printed blanks (登记打印), the department
fetches the roster and seals, the 经办人 hands out. SQLite only (a chat transcript)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from issuance.chat.signing_step import default_step
from issuance.core.catalog import t
from issuance.core.people import Invite
from issuance.core.vocabulary import XStatus
from issuance.graduation.service import Graduation
from issuance.xcert.service import Issuance
from tests import seasonchat as season
from tests.fakewecom import FakeWeCom, Message
from tests.pictures import drawn_stamp
from tests.wecomworld import World, wecom_world

pytestmark = pytest.mark.one_database


@dataclasses.dataclass
class Season:
    world: World
    http: httpx.AsyncClient
    grad: Graduation
    seen: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def fake(self) -> FakeWeCom:
        return self.world.fake

    async def until(self, who: str, wanted: Callable[[Message], bool]) -> Message:
        """The app's next message to `who` that is `wanted`, past others arriving meanwhile."""

        def probe() -> Message | None:
            received = self.fake.received(who)
            for index in range(self.seen.get(who, 0), len(received)):
                if wanted(received[index]):
                    self.seen[who] = index + 1
                    return received[index]
            return None

        return await self.fake.wait_for(probe)

    async def reply(self, who: str, text: str, contains: str) -> Message:
        answered = await self.fake.say(who, text)
        assert answered.status_code == 200, answered.text
        return await self.until(who, lambda m: contains in m.text)

    async def click(self, who: str, card: Message, label: str, contains: str) -> Message:
        clicked = await self.fake.click(who, card, label)
        assert clicked.status_code == 200, clicked.text
        return await self.until(who, lambda m: contains in m.text)

    async def card(self, who: str, contains: str) -> Message:
        return await self.until(who, lambda m: bool(m.buttons) and contains in m.text)

    async def offering(self, who: str, label: str) -> Message:
        """The next card with the button `label`."""
        return await self.until(who, lambda m: label in m.buttons)

    async def notice(self, who: str, contains: str) -> Message:
        """A notice's text, then the card with its buttons that follows it."""
        await self.until(who, lambda m: contains in m.text)
        return await self.card(who, "")

    async def upload(self, who: str, kind: str, name: str, data: bytes) -> str:
        """上传 in chat, the link opened through WeCom's OAuth2, the file sent; the report."""
        link = await self.reply(who, "上传", t(f"upload.kind.{kind}"))
        opened = await self.http.get(
            link.content["url"], params={"code": self.fake.oauth_code(who)}
        )
        assert opened.status_code == 303, opened.text
        done = await season.upload(self.http, opened.headers["location"], kind, name, data)
        assert done.status_code == 200, done.text
        return (await self.until(who, lambda m: "上传成功" in m.text)).text

    async def sign(self, who: str, card: Message, label: str) -> None:
        """Batch confirm on the card, the signing link signed on the page, the result."""
        link = await self.click(who, card, label, "确认后不可撤回")
        signed = await season.sign(self.http, link.content["url"])
        assert signed.status_code == 200 and "已确认签发" in signed.text
        await self.until(who, lambda m: "已确认签发" in m.text)


async def nothing_loaded(issuance: Issuance) -> list[Invite]:
    """The directory is the set-up's import: nothing more to load."""
    return []


@pytest.fixture
async def world(tmp_path: Path, fake: FakeWeCom) -> AsyncIterator[Season]:
    admin_code = season.set_up(tmp_path)
    fake.members.update(season.PEOPLE)
    for name, (_, phone, _, _) in season.PEOPLE.items():
        fake.mobiles[name] = phone
    async with (
        wecom_world(tmp_path, fake, signing=default_step(), load=nothing_loaded) as made,
        httpx.AsyncClient(base_url=made.base_url, timeout=30) as http,
    ):
        store, settings = made.store, made.settings
        world = Season(made, http, Graduation(store, settings))
        await world.reply("admin", f"绑定 {admin_code}", "绑定成功")
        yield world


async def bind_everyone(world: Season) -> None:
    """Each member opens 绑定 and consents: WeCom's mobile number binds them."""
    for name in season.PEOPLE:
        if name == "admin":
            continue
        card = await world.reply(name, "绑定", "绑定")
        bind_url = urlsplit(card.content["url"]).path
        code = world.fake.private_oauth_code(name)
        bound = await world.http.get(bind_url, params={"code": code})
        assert bound.status_code == 200 and "绑定成功" in bound.text, bound.text
        assert season.PEOPLE[name][0] in bound.text
    listing = await world.reply("admin", "绑定情况", "已绑定")
    assert f"已绑定 {len(season.PEOPLE)} 人，未绑定 0 人" in listing.text
    assert "企业微信" in listing.text


async def x_certificates(world: Season) -> None:
    """Results uploaded, lists generated and signed, schools told, the school signs."""
    report = await world.upload("evaluator", "results", "考核结果.csv", season.results_csv())
    assert t("upload.counts.results", imported=season.STUDENTS) in report
    await world.reply("evaluator", "生成名单", "请选择")
    plans = await world.offering("evaluator", f"{season.PLAN}（3 人）")
    done = await world.click("evaluator", plans, f"{season.PLAN}（3 人）", "已生成")
    assert "已生成 1 个待签发名单" in done.text

    await world.reply("evaluator", "待签发", "待签发")
    batch = await world.offering("evaluator", "查看第 1 批")
    await world.fake.click("evaluator", batch, "查看第 1 批")
    await world.fake.wait_for(lambda: "批量确认签发（3）" in batch.buttons or None)
    await world.sign("evaluator", batch, "批量确认签发（3）")

    await world.reply("evaluator", "群发", "请选择要通知的考试计划")
    menu = await world.card("evaluator", "")
    [label] = menu.buttons
    await world.fake.click("evaluator", menu, label)
    await world.until("head", lambda m: "考核站点待签发 3" in m.text)
    await world.until("evaluator", lambda m: m.text.startswith("通知完成"))

    await world.reply("head", "签名章", "PNG")
    await world.fake.send_image("head", drawn_stamp())
    consent = await world.offering("head", "我已阅读并同意，保存签名章")
    await world.click("head", consent, "我已阅读并同意，保存签名章", "第 1 版")
    await world.reply("head", "待签发", "考核站点待签发 3")
    batch = await world.offering("head", "查看第 1 批")
    await world.fake.click("head", batch, "查看第 1 批")
    await world.fake.wait_for(lambda: "批量确认签发（3）" in batch.buttons or None)
    await world.sign("head", batch, "批量确认签发（3）")
    records = await world.world.store.records_by_ids(list(range(1, season.STUDENTS + 1)))
    assert {r.status for r in records} == {XStatus.CONFIRMED}


async def graduation(world: Season) -> None:
    """Files through the page, the declaration approved, blanks booked and issued, printed,
    the roster fetched, sealed, handed out."""
    await season.upload_graduation_files(world)

    store = world.world.store
    declared = await world.reply("clerk", f"申报 {season.TERM}", "已申报")
    assert f"已申报 {season.TERM} 届毕业生 {season.GRADUATES} 人" in declared.text
    requested = await world.reply("clerk", f"申领 {season.GRADUATES}", "已申领")
    assert f"已申领{season.BLANK_KIND}空白毕业证 {season.GRADUATES} 张" in requested.text
    count = season.GRADUATES
    asked = await world.reply("clerk", "申领", "申领 数量")
    assert asked.text == t("declarechat.ask_count")
    for who, button in (("leader", "审核通过"), ("fuzhou", "审批通过")):
        waiting = [await world.notice(who, "待您处理") for _ in ("graduates", "blanks")]
        for notice in waiting:
            await world.click(who, notice, button, "→")
    await world.until("clerk", lambda m: "编号已生成" in m.text)

    received = await world.reply("keeper", f"入库 {season.BLANK_KIND} G000001 G000100", "已入库")
    assert "已入库 100 张（G000001 至 G000100）" in received.text
    to_issue = await world.notice("distributor", "待发放")
    await world.fake.click("distributor", to_issue, "发放")
    issued = await world.reply("distributor", "G000001", "已发放")
    assert f"已发放 {count} 张（G000001 至 G00000{count}）" in issued.text

    await world.reply("clerk", "打印", "2025年6月")
    terms = await world.offering("clerk", "打印 2025年6月")
    await world.fake.click("clerk", terms, "打印 2025年6月")
    document = await world.until("clerk", lambda m: m.msgtype == "file")
    assert world.fake.media(document)[1].startswith(b"%PDF")
    booked = await world.reply("clerk", f"登记打印 {season.TERM} G000001", "已登记打印")
    assert f"已登记打印 {count} 本毕业证书（G000001 至 G00000{count}）" in booked.text
    school = await world.grad.school(season.SCHOOL)

    await world.reply("fuzhou", "花名册", f"{season.SCHOOL_NAME} 2025年6月")
    schools = await world.offering("fuzhou", f"花名册 {season.SCHOOL_NAME} 2025年6月")
    await world.fake.click("fuzhou", schools, f"花名册 {season.SCHOOL_NAME} 2025年6月")
    pdf = await world.until("fuzhou", lambda m: m.msgtype == "file")
    xlsx = await world.until("fuzhou", lambda m: m.msgtype == "file")
    assert world.fake.media(pdf)[1].startswith(b"%PDF")
    assert world.fake.media(xlsx)[1].startswith(b"PK")

    await world.reply("fuzhou", "发放", "待验印")
    overview = await world.offering("fuzhou", "1. 验印")
    sealed = await world.click("fuzhou", overview, "1. 验印", "已验印")
    assert f"{count} 本毕业证书已验印" in sealed.text

    await world.reply("clerk", "发放", "待发放")
    handout = await world.offering("clerk", "1. 发放毕业证书")
    done = await world.click("clerk", handout, "1. 发放毕业证书", "已发放")
    assert f"已发放 {count} 本毕业证书" in done.text
    assert await store.grad_handout_counts(school.id, season.TERM) == {
        "已验印": count,
        "已发放": count,
    }


async def test_a_whole_season_on_wecom_from_chat_and_the_web(world: Season) -> None:
    await bind_everyone(world)
    await x_certificates(world)
    await graduation(world)
