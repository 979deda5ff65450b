"""Signature checks: a real handwritten signature passes, junk and trivial marks are refused."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable

import pytest
from PIL import Image, ImageDraw

from issuance.core.catalog import has, t
from issuance.core.errors import Invalid
from issuance.formats.signature_image import MAX_PNG_BYTES, check_signature

W, H = 600, 240


def _strokes(n: int = 3, points: int = 12) -> list[list[list[float]]]:
    return [
        [[40.0 + 15 * i + 120 * s, 60.0 + (i % 4) * 25, 16.0 * i] for i in range(points)]
        for s in range(n)
    ]


def _png(
    draw: Callable[[ImageDraw.ImageDraw], object] | None = None,
    size: tuple[int, int] = (W, H),
    mode: str = "RGBA",
) -> bytes:
    image = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else "white")
    if draw:
        draw(ImageDraw.Draw(image))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _signature(d: ImageDraw.ImageDraw) -> None:
    for stroke in _strokes():
        d.line([(x, y) for x, y, _ in stroke], fill=(16, 32, 58, 255), width=6, joint="curve")


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _key(call: Callable[[], object]) -> str:
    with pytest.raises(Invalid) as caught:
        call()
    return caught.value.key


def test_a_handwritten_signature_is_accepted_and_normalized_on_white() -> None:
    result = check_signature(_data_url(_png(_signature)), json.dumps(_strokes()))
    image = Image.open(io.BytesIO(result.png))
    assert image.format == "PNG" and image.mode == "RGB" and image.size == (W, H)
    assert image.getpixel((2, 2)) == (255, 255, 255)
    assert result.sha256 == hashlib.sha256(result.png).hexdigest()
    assert len(result.strokes) == 3 and result.strokes[0][1] == (55.0, 85.0, 16.0)
    assert json.loads(result.strokes_json) == json.loads(json.dumps(result.strokes))


def test_raw_png_bytes_are_accepted_too() -> None:
    assert check_signature(_png(_signature), json.dumps(_strokes())).width == W


def test_an_empty_pad_is_refused_as_trivial() -> None:
    assert _key(lambda: check_signature(_png(), json.dumps(_strokes()))) == "signature.trivial"


def test_a_dot_is_refused_as_trivial() -> None:
    dot = _png(lambda d: d.ellipse((300, 120, 306, 126), fill="black"))
    assert _key(lambda: check_signature(dot, json.dumps(_strokes()))) == "signature.trivial"


def test_a_straight_line_is_refused_as_trivial() -> None:
    line = _png(lambda d: d.line((50, 120, 550, 120), fill="black", width=4))
    assert _key(lambda: check_signature(line, json.dumps(_strokes()))) == "signature.trivial"


def test_a_thin_outline_with_little_ink_is_refused() -> None:
    corners = _png(lambda d: d.point([(10, 10), (590, 230)], fill="black"))
    assert _key(lambda: check_signature(corners, json.dumps(_strokes()))) == "signature.trivial"


@pytest.mark.parametrize(
    ("strokes", "key"),
    [
        ("not json", "signature.strokes_format"),
        ('{"a": 1}', "signature.strokes_format"),
        ("[[[1, 2]]]", "signature.strokes_format"),
        ("[[[1, 2, true]]]", "signature.strokes_format"),
        ("[[[1, NaN, 3]]]", "signature.strokes_format"),
        (json.dumps(_strokes(n=1)), "signature.too_few_strokes"),
        (json.dumps(_strokes(n=2, points=3)), "signature.too_few_strokes"),
        ("[]", "signature.too_few_strokes"),
    ],
)
def test_malformed_or_too_few_strokes_are_refused(strokes: str, key: str) -> None:
    assert _key(lambda: check_signature(_png(_signature), strokes)) == key


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("data:image/jpeg;base64,AAAA", "signature.format"),
        ("data:image/png;base64,@@@@", "signature.format"),
        ("data:image/png;base64,", "signature.format"),
        ("data:image/png;base64," + "A" * (MAX_PNG_BYTES * 2), "signature.too_large"),
        (b"GIF89a not a png", "signature.not_png"),
        (b"\x89PNG\r\n\x1a\n truncated", "signature.not_png"),
    ],
)
def test_bad_images_are_refused(value: str | bytes, key: str) -> None:
    assert _key(lambda: check_signature(value, json.dumps(_strokes()))) == key


def test_a_jpeg_posing_as_png_is_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (W, H), "white").save(out, format="JPEG")
    assert (
        _key(lambda: check_signature(out.getvalue(), json.dumps(_strokes()))) == "signature.not_png"
    )


@pytest.mark.parametrize("size", [(50, 200), (600, 20), (5000, 300)])
def test_pads_of_unreasonable_size_are_refused(size: tuple[int, int]) -> None:
    png = _png(size=size, mode="L")
    assert _key(lambda: check_signature(png, json.dumps(_strokes()))) == "signature.dimensions"


def test_every_signature_error_has_chinese_and_english_text() -> None:
    for key in (
        "format",
        "too_large",
        "not_png",
        "dimensions",
        "strokes_format",
        "too_few_strokes",
        "trivial",
    ):
        assert has(f"signature.{key}")
        assert t(f"signature.{key}", "en") != t(f"signature.{key}", "zh")
