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
from issuance.formats.signature_image import MAX_PNG_BYTES, PAD_CSS_HEIGHT, check_signature

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


def _scribble(points: list[tuple[float, float]], copies: int = 2) -> str:
    """Strokes that all trace `points` (enough strokes and points to pass the counts)."""
    per_stroke = max(len(points), 12)
    stroke = [
        [points[i % len(points)][0], points[i % len(points)][1], 16.0 * i]
        for i in range(per_stroke)
    ]
    return json.dumps([stroke] * copies)


def _black(size: tuple[int, int] = (W, H)) -> bytes:
    return _png(size=size, mode="RGB", draw=lambda d: d.rectangle((0, 0, *size), fill="black"))


def _noise() -> bytes:
    image = Image.frombytes("L", (W, H), bytes((i * 7919) % 251 for i in range(W * H)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_the_stored_image_is_drawn_from_the_strokes_not_taken_from_the_page() -> None:
    result = check_signature(_black(), json.dumps(_strokes()))
    image = Image.open(io.BytesIO(result.png)).convert("L")
    assert image.size == (W, H)
    # Mostly white paper with dark ink along the strokes; none of the page's black square.
    assert image.histogram()[255] > W * H * 0.9
    x, y, _ = _strokes()[0][0]
    scale = H / PAD_CSS_HEIGHT
    assert image.getpixel((round(x * scale), round(y * scale))) < 100


@pytest.mark.parametrize("png", [_black(), _noise()], ids=["black", "noise"])
def test_a_black_or_noise_png_with_a_dot_for_strokes_is_refused(png: bytes) -> None:
    dot = _scribble([(300, 100), (301, 100)])
    assert _key(lambda: check_signature(png, dot)) == "signature.trivial"


def test_a_straight_line_is_refused_as_trivial() -> None:
    line = _scribble([(50 + 40 * i, 100) for i in range(12)])
    assert _key(lambda: check_signature(_png(_signature), line)) == "signature.trivial"


def test_two_far_points_with_little_ink_are_refused() -> None:
    corners = json.dumps(
        [[[x, y + (i % 2) / 2, 16.0 * i] for i in range(12)] for x, y in ((10, 10), (490, 190))]
    )
    assert _key(lambda: check_signature(_png(), corners)) == "signature.trivial"


def test_an_empty_pad_with_real_strokes_is_drawn_from_the_strokes() -> None:
    assert check_signature(_png(), json.dumps(_strokes())).width == W


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
