"""/stamp uploads (good, photo, too big, bomb, not square) and /verify."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from tests.botworld import HEAD, STAFF, STRANGER, World
from tests.pictures import drawn_stamp

pytestmark = pytest.mark.one_database


def bomb_png(side: int = 20_000) -> bytes:
    """A tiny file declaring side×side pixels of 1-bit black: a decompression bomb."""
    raw = zlib.compress(b"".join(b"\x00" + bytes((side + 7) // 8) for _ in range(side)), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def big_png(size: int = 2 * 2**20) -> bytes:
    """A valid square PNG padded past 2 MB with a private chunk."""
    data = drawn_stamp()
    body = b"prVt" + b"\x00" * size
    padding = struct.pack(">I", size) + body + struct.pack(">I", zlib.crc32(body))
    return data[:-12] + padding + data[-12:]


async def test_good_png_gives_a_preview_and_is_saved_after_consent(world: World) -> None:
    await world.bind(HEAD, 1)
    head = await world.store.person_by_ref("13800000002")
    assert head is not None
    before = await world.store.current_stamp(head.org_id)
    async with world.bot():
        howto = await world.say(HEAD, "/stamp")
        world.api.send_document(HEAD, drawn_stamp(), "签名章.png", "image/png")
        preview = await world.api.next_message(HEAD.id)
        consent = await world.api.next_message(HEAD.id)
        saved = await world.tap(HEAD, consent, "sa")
        again = await world.tap(HEAD, consent, "sa")
    assert "文件" in (howto.text or "") and "PNG" in (howto.text or "")
    assert preview.raw.get("photo") and "预览" in (preview.caption or "")
    assert "《电子签名章使用授权委托书》" in (consent.text or "")
    assert "第 2 版" in (saved.text or "")
    current = await world.store.current_stamp(head.org_id)
    assert current is not None and before is not None and current.id != before.id
    with Image.open(io.BytesIO(current.png)) as image:
        assert image.size == (300, 300) and image.mode == "RGBA"
        assert image.getpixel((2, 2))[3] == 0  # the white paper became transparent
    assert await world.store.stamp_versions(head.org_id) == 2
    assert "没有待保存的签名章" in (again.text or "")
    assert await world.store.stamp_versions(head.org_id) == 2


async def test_bad_uploads_are_explained_and_nothing_is_saved(world: World) -> None:
    await world.bind(HEAD, 1)
    square_jpeg = io.BytesIO()
    Image.open(io.BytesIO(drawn_stamp())).save(square_jpeg, "JPEG")
    async with world.bot():
        world.api.send_photo(HEAD, square_jpeg.getvalue())
        photo = await world.api.next_message(HEAD.id)
        world.api.send_document(HEAD, big_png(), "big.png", "image/png")
        big = await world.api.next_message(HEAD.id)
        world.api.send_document(HEAD, bomb_png(), "bomb.png", "image/png")
        bomb = await world.api.next_message(HEAD.id)
        world.api.send_document(HEAD, drawn_stamp(400, 200), "wide.png", "image/png")
        wide = await world.api.next_message(HEAD.id)
    assert "照片" in (photo.text or "") and "文件" in (photo.text or "")
    assert "不能超过 1 MB" in (big.text or "")
    assert "20000×20000" in (bomb.text or "")
    assert "正方形" in (wide.text or "") and "400×200" in (wide.text or "")
    head = await world.store.person_by_ref("13800000002")
    assert head is not None
    assert await world.store.stamp_versions(head.org_id) == 1
    assert len(world.api.calls_to("getFile")) == 2  # the 2 MB file was refused before downloading


async def test_only_the_responsible_person_manages_the_stamp(world: World) -> None:
    await world.bind(STAFF, 2)
    async with world.bot():
        reply = await world.say(STAFF, "/stamp")
        world.api.send_document(STAFF, drawn_stamp(), "签名章.png", "image/png")
        upload = await world.api.next_message(STAFF.id)
    assert "只有考核站点负责人" in (reply.text or "")
    assert "只有考核站点负责人" in (upload.text or "")


async def test_verify_answers_valid_and_not_found_and_throttles(world: World) -> None:
    [record] = await world.store.records_by_ids([1])
    async with world.bot():
        valid = await world.say(STRANGER, f"/verify {record.cert_no} {record.id_number}")
        which = await world.say(STRANGER, "/verify")
        ask = await world.tap(STRANGER, which, "X 证书")
        wrong = await world.say(STRANGER, f"{record.cert_no} 110101200001011234")
        replies = [await world.say(STRANGER, f"/verify {record.cert_no} X") for _ in range(4)]
    assert "证书有效" in (valid.text or "") and record.cert_no in (valid.text or "")
    assert record.student_name not in (valid.text or "")  # the name is shown masked
    assert record.id_number not in (valid.text or "")
    assert "请选择要查验的证书种类" in (which.text or "") and which.button("毕业证")
    assert "证书编号和身份证号" in (ask.text or "")
    assert "未查到证书" in (wrong.text or "")
    assert "未查到证书" in (replies[2].text or "")
    assert "查询过于频繁" in (replies[3].text or "")
