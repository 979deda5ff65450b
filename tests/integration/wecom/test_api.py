"""The WeCom API client over real HTTP to the fake server: tokens, retries, limits, media."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.wecom.api import TEXT_LIMIT, WeComClient, WeComError, fit
from bot.wecom.pace import Limits, Pace
from tests.fakewecom import AGENT_ID, CORP_ID, SECRET, FakeWeCom

USER = "LiMingHua"


@pytest.fixture
async def client(fake: FakeWeCom) -> AsyncIterator[WeComClient]:
    fake.members.add(USER)
    api = WeComClient(fake.url, CORP_ID, SECRET, AGENT_ID)
    yield api
    await api.close()


async def test_the_token_is_fetched_once_and_reused(fake: FakeWeCom, client: WeComClient) -> None:
    await client.send_text(USER, "一")
    await client.send_text(USER, "二")
    assert fake.stats.tokens_issued == 1
    assert [m.text for m in fake.received(USER)] == ["一", "二"]


async def test_an_expired_token_is_renewed_and_the_call_repeated(
    fake: FakeWeCom, client: WeComClient
) -> None:
    await client.send_text(USER, "一")
    fake.expire_tokens()
    await client.send_text(USER, "二")
    assert fake.stats.tokens_issued == 2
    assert [m.text for m in fake.received(USER)] == ["一", "二"]


async def test_an_invalid_token_answer_also_renews_it(fake: FakeWeCom, client: WeComClient) -> None:
    await client.send_text(USER, "一")
    fake.fail_next("message/send", 40014)
    await client.send_text(USER, "二")
    assert fake.stats.tokens_issued == 2 and len(fake.received(USER)) == 2


async def test_a_wrong_secret_is_a_clear_error(fake: FakeWeCom) -> None:
    api = WeComClient(fake.url, CORP_ID, "wrong", AGENT_ID)
    with pytest.raises(WeComError) as caught:
        await api.send_text(USER, "一")
    await api.close()
    assert caught.value.errcode == 40001 and not caught.value.transient


async def test_busy_answers_and_cut_connections_are_retried(
    fake: FakeWeCom, client: WeComClient
) -> None:
    fake.fail_next("message/send", -1, times=2)
    await client.send_text(USER, "一")
    fake.drop_next("message/send")
    await client.send_text(USER, "二")
    assert [m.text for m in fake.received(USER)] == ["一", "二"]


async def test_a_rate_limit_answer_pauses_every_send(fake: FakeWeCom, client: WeComClient) -> None:
    fake.fail_next("message/send", 45009)
    with pytest.raises(WeComError) as caught:
        await client.send_text(USER, "一")
    assert caught.value.rate_limited and caught.value.transient
    assert client.pace.user_wait(None) == 0 and client.pace._next > time.monotonic() + 30


async def test_a_member_outside_the_app_is_unreachable(
    fake: FakeWeCom, client: WeComClient
) -> None:
    with pytest.raises(WeComError) as caught:
        await client.send_text("Departed", "一")
    assert caught.value.unreachable and not caught.value.transient


async def test_long_text_goes_in_pieces_within_wecoms_byte_limit(
    fake: FakeWeCom, client: WeComClient
) -> None:
    lines = [f"{n}. 学生{n} 610114*****1011 考核站点待签发" for n in range(200)]
    await client.send_text(USER, "\n".join(lines))
    received = fake.received(USER)
    assert len(received) > 1 and fake.stats.truncated == 0
    assert all(len(m.text.encode()) <= TEXT_LIMIT for m in received)
    assert "\n".join(m.text for m in received).splitlines() == lines


def test_fit_cuts_a_single_overlong_line_at_character_boundaries() -> None:
    text = "签" * 1000  # 3000 bytes, no line break
    pieces = fit(text)
    assert "".join(pieces) == text and all(len(p.encode()) <= TEXT_LIMIT for p in pieces)


async def test_json_goes_out_as_utf8_not_escaped(fake: FakeWeCom, client: WeComClient) -> None:
    await client.send_text(USER, "确认签发")
    assert fake.stats.escaped == 0
    assert fake.calls[-1][1]["text"]["content"] == "确认签发"


async def test_pacing_keeps_within_the_per_member_limit(fake: FakeWeCom) -> None:
    """WeCom silently drops a member's messages over the limit; none may be dropped."""
    fake.members.add(USER)
    fake.per_user_minute, fake.minute = 3, 0.4
    limits = Limits(per_user_minute=3, minute=0.4, margin=0.0)
    api = WeComClient(fake.url, CORP_ID, SECRET, AGENT_ID, Pace(limits))
    for n in range(8):
        await api.send_text(USER, f"第 {n} 条")
    await api.close()
    assert fake.stats.dropped == 0 and len(fake.received(USER)) == 8


async def test_media_upload_send_and_download(fake: FakeWeCom, client: WeComClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    await client.send_media(USER, "image", "qr.png", png)
    await client.send_media(USER, "file", "证书.zip", b"PK\x03\x04" + b"1" * 50)
    image, document = fake.received(USER)
    assert fake.media(image) == ("qr.png", png)
    assert fake.media(document)[0] == "证书.zip"
    assert await client.media(image.content["media_id"]) == png


async def test_media_too_small_is_refused_before_uploading(client: WeComClient) -> None:
    with pytest.raises(WeComError):
        await client.upload("file", "x.txt", b"abc")


async def test_a_response_code_updates_a_card_once(fake: FakeWeCom, client: WeComClient) -> None:
    card = {
        "card_type": "button_interaction",
        "main_title": {"title": "确认签发"},
        "task_id": "qf-1",
        "button_list": [{"text": "确认签发", "style": 1, "key": "ca:1"}],
    }
    sent = await client.send(USER, "template_card", card)
    assert sent.response_code
    await client.update_card(USER, sent.response_code, {"button": {"replace_name": "已处理"}})
    with pytest.raises(WeComError) as caught:
        await client.update_card(USER, sent.response_code, {"button": {"replace_name": "再次"}})
    assert caught.value.errcode == 40058
    assert fake.received(USER)[0].replaced == "已处理"


async def test_the_token_is_renewed_before_wecom_expires_it(fake: FakeWeCom) -> None:
    """Kept for its lifetime less a margin: renewed while WeCom would still take the old one."""
    fake.members.add(USER)
    fake.token_lifetime = 2  # seconds; the client keeps it for half of that at most
    api = WeComClient(fake.url, CORP_ID, SECRET, AGENT_ID)
    await api.send_text(USER, "一")
    await asyncio.sleep(1.2)
    await api.send_text(USER, "二")
    await api.close()
    assert fake.stats.tokens_issued == 2 and len(fake.received(USER)) == 2
