"""The confirm / refuse / sign / certificate flow on WeCom alone (no Telegram token): binding, the
pending list, a refusal with a reason, batch confirm through the real signing page in chromium,
forged and replayed callbacks changing nothing, the worker rendering the certificates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from issuance.chat.signing_step import default_step
from issuance.core.catalog import t
from issuance.core.vocabulary import XStatus
from tests.e2e.drawing import STROKES, draw_with_touch, watch_errors
from tests.fakewecom import FakeWeCom, Message
from tests.wecomworld import HEAD, WeComThread, World
from worker.jobs import render_certificates
from worker.serve import render_pool

REFUSED = 16


@pytest.fixture
def app(tmp_path: Path) -> Iterator[WeComThread]:
    with FakeWeCom().running() as fake, WeComThread(tmp_path, fake, signing=default_step()) as app:
        yield app


def test_the_whole_flow_on_wecom_alone(app: WeComThread, phone: Page, tmp_path: Path) -> None:
    world = app.world
    assert world is not None and not world.settings.telegram_token
    fake = world.fake

    # A forged 绑定 changes nothing; the genuine one binds.
    async def forged(w: World) -> int:
        fields = fake.text_fields(HEAD, f"绑定 {w.invites[1].code}")
        return (await fake.post_callback(fields, signature="0" * 40)).status_code

    assert app.call(forged) == 403
    assert app.call(lambda w: w.store.person_for_account("wecom", HEAD)) is None
    (bound,) = app.call(lambda w: w.say(HEAD, f"绑定 {w.invites[1].code}"))
    assert "绑定成功" in bound.text

    # 待签发, open the batch, go to the page with record 16, refuse it with a reason.
    async def page_four(w: World) -> Message:
        _, card = await w.say(HEAD, "待签发", replies=2)
        await w.click(HEAD, card, "查看第 1 批")
        for _ in range(3):
            await w.click(HEAD, card, "下一页")
        return card

    card = app.call(page_four)
    name = next(text for text in card.options if text.startswith(f"{REFUSED}. "))
    (ask,) = app.call(lambda w: w.click(HEAD, card, "拒绝签发", option=name, replies=1))
    (refused,) = app.call(lambda w: w.say(HEAD, "身份证号有误"))
    assert "理由" in ask.text and "已拒绝签发 1 条记录" in refused.text

    # 批量确认签发: one click, replayed as the same request, gives one signing link.
    stamp, nonce = int(time.time()), "77001"
    fields = fake.click_fields(HEAD, card, "批量确认签发（47）")

    async def batch_confirm(w: World) -> list[Message]:
        before = len(fake.received(HEAD))
        await fake.post_callback(fields, timestamp=stamp, nonce=nonce)
        sent = await fake.next_messages(HEAD, before, 2)
        replay = await fake.post_callback(fields, timestamp=stamp, nonce=nonce)
        assert replay.status_code == 200
        await w.settled()
        return sent

    link, qr = app.call(batch_confirm)
    assert link.msgtype == "textcard" and qr.msgtype == "image"
    assert app.call(lambda w: w.store.inbound_counts())["done"] >= 1
    assert len([m for m in fake.received(HEAD) if m.msgtype == "textcard"]) == 1

    # The head signs on the real page in chromium; the result comes back as a message.
    before = len(fake.received(HEAD))
    errors = watch_errors(phone)
    phone.goto(link.content["url"])
    draw_with_touch(phone, STROKES)
    phone.get_by_role("button", name=t("web.sign.submit")).click()
    phone.get_by_role("heading", name=t("web.sign_done.title")).wait_for()
    assert errors == []

    async def outcome(w: World) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in await w.store.records_by_ids(range(1, 62)):
            counts[record.status] = counts.get(record.status, 0) + 1
        return counts

    assert app.call(outcome) == {XStatus.CONFIRMED: 60, "考核站点拒绝签发": 1}
    (result,) = app.call(lambda w: fake.next_messages(HEAD, before))
    assert "46" in result.text and "确认签发" in result.text

    # The worker renders every confirmed certificate.
    pool = render_pool(world.settings)
    try:
        rendered = app.call(lambda w: render_certificates(w.store, w.settings, pool))
    finally:
        pool.shutdown()
    assert rendered == 60
