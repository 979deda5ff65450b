"""Signature stamp uploads: what is refused, and what a good upload becomes."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image

from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.formats.certificate import CertificateView, Template, render_png
from issuance.formats.stamp_image import MAX_BYTES, OUTPUT_SIDE, prepare_stamp, preview_png
from tests.pictures import STAMP_RED, drawn_stamp, png_bytes


def _refusal(data: bytes) -> str:
    with pytest.raises(Invalid) as caught:
        prepare_stamp(data)
    assert t(caught.value.key, "zh", **caught.value.params)
    assert t(caught.value.key, "en", **caught.value.params)
    return caught.value.key


def _pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bomb_png(side: int) -> bytes:
    """A 1-bit PNG declaring side×side pixels of zeros: a few kB on disk, gigapixels decoded."""
    row = b"\0" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def test_good_stamp_becomes_300px_square_png() -> None:
    result = Image.open(io.BytesIO(prepare_stamp(drawn_stamp(400, 360))))
    assert result.format == "PNG"
    assert result.mode == "RGBA"
    assert result.size == (OUTPUT_SIDE, OUTPUT_SIDE)


def test_white_background_becomes_transparent_and_ink_stays_opaque() -> None:
    result = Image.open(io.BytesIO(prepare_stamp(drawn_stamp()))).convert("RGBA")
    assert _pixel(result, (2, 2))[3] == 0
    centre = _pixel(result, (OUTPUT_SIDE // 2, OUTPUT_SIDE // 2))
    assert centre[3] == 255
    assert centre[0] > 150 > centre[1]


def test_stamp_is_cropped_to_its_ink() -> None:
    alpha = Image.open(io.BytesIO(prepare_stamp(drawn_stamp()))).getchannel("A")
    left, top, right, bottom = alpha.getbbox() or (0, 0, 0, 0)
    # the drawn seal covers 60% of the upload; after cropping it fills nearly the whole picture
    assert right - left > OUTPUT_SIDE * 0.85
    assert bottom - top > OUTPUT_SIDE * 0.85


def test_existing_transparency_is_kept() -> None:
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    image.paste((*STAMP_RED, 255), (60, 60, 140, 140))
    result = Image.open(io.BytesIO(prepare_stamp(png_bytes(image))))
    assert _pixel(result, (1, 1))[3] == 0


def test_jpeg_is_refused_as_not_png() -> None:
    image = Image.open(io.BytesIO(drawn_stamp())).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG")
    assert _refusal(out.getvalue()) == "stamp.not_png"


def test_garbage_is_refused_as_not_png() -> None:
    assert _refusal(b"this is not an image at all, just some words") == "stamp.not_png"


def test_png_header_with_corrupt_pixels_is_refused_as_not_png() -> None:
    good = drawn_stamp()
    assert _refusal(good[:60] + b"\0" * 200) == "stamp.not_png"


def test_file_over_one_megabyte_is_refused() -> None:
    noise = random.Random(7).randbytes(800 * 800 * 3)
    data = png_bytes(Image.frombytes("RGB", (800, 800), noise))
    assert len(data) > MAX_BYTES
    assert _refusal(data) == "stamp.too_large"


def test_decompression_bomb_is_refused_from_its_header() -> None:
    data = _bomb_png(20000)
    assert len(data) < 200_000
    assert _refusal(data) == "stamp.too_many_pixels"


def test_pillow_bomb_guard_is_reported_as_too_many_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    assert _refusal(drawn_stamp(400, 400)) == "stamp.too_many_pixels"


def test_non_square_image_is_refused() -> None:
    assert _refusal(drawn_stamp(400, 200)) == "stamp.not_square"


def test_tiny_image_is_refused() -> None:
    assert _refusal(drawn_stamp(40, 40)) == "stamp.too_small"


def test_white_only_image_is_refused_as_blank() -> None:
    assert _refusal(png_bytes(Image.new("RGB", (300, 300), (252, 252, 250)))) == "stamp.blank"


def test_preview_shows_the_stamp_in_the_school_stamp_place(
    certificate: CertificateView, template: Template
) -> None:
    stamp = prepare_stamp(drawn_stamp())
    with_stamp = Image.open(io.BytesIO(preview_png(stamp, certificate, template))).convert("RGB")
    without = Image.open(io.BytesIO(render_png(certificate, template))).convert("RGB")
    assert with_stamp.size == without.size == (1169, 827)
    box = template.school_stamp
    scale = with_stamp.width / template.width_mm
    centre = (
        round((box.x_mm + box.size_mm / 2) * scale),
        round((box.y_mm + box.size_mm / 2) * scale),
    )
    red, green, _ = _pixel(with_stamp, centre)
    assert red > 150 > green
    assert _pixel(without, centre) != _pixel(with_stamp, centre)
