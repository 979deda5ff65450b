"""Hand-out on WeCom: the evaluator books a batch as mailed (courier and tracking are the next
message), the school's head gets the card, confirms receipt and hands every certificate out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from issuance.core.records import RecordFilter
from issuance.xcert.handout import Handout
from tests.fakewecom import FakeWeCom
from tests.wecomworld import EVALUATOR, HEAD, World, wecom_world


@pytest.fixture
async def world(tmp_path: Path, fake: FakeWeCom) -> AsyncIterator[World]:
    async with wecom_world(tmp_path, fake) as made:
        yield made


async def test_a_batch_is_mailed_received_and_handed_out_on_wecom(world: World) -> None:
    await world.bind(EVALUATOR, 0)
    await world.bind(HEAD, 1)
    text, card = await world.say(EVALUATOR, "发放", replies=2)
    assert "尚未邮寄至院校" in text.text
    ask, _ = await world.click(EVALUATOR, card, "1. 邮寄纸质证书", replies=2)
    assert "快递公司和运单号" in ask.text
    (booked,) = await world.say(EVALUATOR, "顺丰速运 SF1234567890")
    assert "SF1234567890" in booked.text

    notice, receipt = await world.fake.next_messages(HEAD, 0, 2)
    assert "顺丰速运" in notice.text and "SF1234567890" in notice.text
    page, *cards = await world.click(HEAD, receipt, "确认收到", replies=3)
    assert "已确认收到" in page.text and "已发放 0 / 14" in page.text
    (rest,) = [c for c in cards if "其余全部已发放（14）" in c.buttons]
    (done, *_) = await world.click(HEAD, rest, "其余全部已发放（14）", replies=1)
    assert "已标记 14 本证书为已发放" in done.text
    assert await Handout(world.store).counts(RecordFilter()) == {"已发放": 14}
