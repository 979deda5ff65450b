"""签名章 on WeCom (a picture, a preview, consent, saved) and 查验."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.pictures import drawn_stamp
from tests.wecomworld import HEAD, STAFF, STRANGER, World

pytestmark = pytest.mark.one_database


async def test_a_png_stamp_is_previewed_and_saved_after_consent(world: World) -> None:
    await world.bind(HEAD, 1)
    head = await world.store.person_by_ref("13800000002")
    assert head is not None
    (howto,) = await world.say(HEAD, "签名章")
    before = len(world.fake.received(HEAD))
    await world.fake.send_image(HEAD, drawn_stamp())
    preview, consent, card = await world.fake.next_messages(HEAD, before, 3)
    assert "PNG" in howto.text and "原图" in howto.text
    assert preview.msgtype == "image" and world.fake.media(preview)[1].startswith(b"\x89PNG")
    assert "《电子签名章使用授权委托书》" in consent.text
    (saved,) = await world.click(HEAD, card, "我已阅读并同意，保存签名章", replies=1)
    assert "第 2 版" in saved.text and card.replaced == "已保存"
    current = await world.store.current_stamp(head.org_id)
    assert current is not None
    with Image.open(io.BytesIO(current.png)) as image:
        assert image.size == (300, 300) and image.getpixel((2, 2))[3] == 0
    assert await world.store.stamp_versions(head.org_id) == 2


async def test_a_compressed_picture_or_a_stranger_saves_nothing(world: World) -> None:
    await world.bind(HEAD, 1)
    await world.bind(STAFF, 2)
    jpeg = io.BytesIO()
    Image.open(io.BytesIO(drawn_stamp())).save(jpeg, "JPEG")
    before = len(world.fake.received(HEAD))
    await world.fake.send_image(HEAD, jpeg.getvalue())
    (refused,) = await world.fake.next_messages(HEAD, before)
    (staff,) = await world.say(STAFF, "签名章")
    assert "PNG" in refused.text
    assert "只有考核站点负责人" in staff.text
    head = await world.store.person_by_ref("13800000002")
    assert head is not None and await world.store.stamp_versions(head.org_id) == 1


async def test_verify_answers_and_throttles_without_binding(world: World) -> None:
    [record] = await world.store.records_by_ids([1])
    (valid,) = await world.say(STRANGER, f"查验 {record.cert_no} {record.id_number}")
    which, card = await world.say(STRANGER, "查验", replies=2)
    (ask,) = await world.click(STRANGER, card, "X 证书", replies=1)
    (wrong,) = await world.say(STRANGER, f"{record.cert_no} 110101200001011234")
    replies = [(await world.say(STRANGER, f"/verify {record.cert_no} X"))[0] for _ in range(4)]
    assert "证书有效" in valid.text and record.id_number not in valid.text
    assert "请选择要查验的证书种类" in which.text and "毕业证" in card.buttons
    assert "证书编号和身份证号" in ask.text
    assert "未查到证书" in wrong.text
    assert "查询过于频繁" in replies[-1].text
