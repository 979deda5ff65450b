"""The real signing and verification pages in a real browser, against a tiny app defined here."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from issuance.core.catalog import t
from issuance.core.errors import Invalid
from issuance.core.tokens import sign, unsign
from issuance.formats.signature_image import SignatureInput, check_signature
from tests.e2e.drawing import STROKES, draw_with_mouse, draw_with_touch, pad_box, watch_errors
from web.pages import (
    SigningRequest,
    VerifyResult,
    message_page,
    sign_done_page,
    sign_page,
    static_files,
    verify_page,
)
from web.security import SecurityHeadersMiddleware

Serve = Callable[[Starlette], AbstractContextManager[str]]

SECRET = b"e2e-secret-e2e-secret-e2e-secret"
REQUEST = SigningRequest(
    signer_name="王建国",
    school="福建省第一技师学院",
    batch="2025-03 第 1 批",
    program="特殊焊接技术职业技能等级证书",
    level="中级",
    exam_plan="2025年第一批考试计划",
    record_count=47,
    first_student_names=("朱鹏飞", "李娜", "陈小明", "林晓", "黄志强"),
)
RESULT = VerifyResult(
    status="valid",
    cert_no="15600031015610012000045",
    student_name="朱鹏飞",
    program="特殊焊接技术职业技能等级证书",
    level="中级",
    issuer="中国焊接协会培训评价中心",
    issued_on="2025-05-20",
    file_sha256="9f2b6c1e0d4a7b3c5e8f1a2d4c6b8e0f1a3c5e7d9b2f4a6c8e0d2b4f6a8c0e1d",
)


class Received:
    """What the test app's POST /sign handler accepted."""

    def __init__(self) -> None:
        self.signatures: list[SignatureInput] = []


def make_app(received: Received) -> Starlette:
    """A stand-in for the real routes: same pages and checks, no database."""

    async def sign_get(request: Request) -> HTMLResponse:
        token = request.path_params["token"]
        return HTMLResponse(sign_page(REQUEST, csrf=sign(SECRET, "csrf", token, None)))

    async def sign_post(request: Request) -> HTMLResponse:
        token = request.path_params["token"]
        form = await request.form()
        try:
            if unsign(SECRET, "csrf", str(form.get("csrf", ""))) != token:
                raise Invalid("token.forged")
        except Invalid:
            return HTMLResponse(message_page("forged"), status_code=403)
        try:
            checked = check_signature(str(form.get("signature", "")), str(form.get("strokes", "")))
        except Invalid as error:
            csrf = str(form["csrf"])
            return HTMLResponse(sign_page(REQUEST, csrf, error=error), status_code=422)
        received.signatures.append(checked)
        return HTMLResponse(sign_done_page(REQUEST, signed_at="2025-05-20 10:30"))

    async def verify(request: Request) -> HTMLResponse:
        if request.method == "GET":
            return HTMLResponse(verify_page())
        form = await request.form()
        cert_no = str(form.get("cert_no", ""))
        found = cert_no == RESULT.cert_no and form.get("id_number") == "11010519491231002X"
        result = RESULT if found else VerifyResult("not_found", cert_no)
        return HTMLResponse(verify_page(result, cert_no=cert_no))

    app = Starlette(
        routes=[
            Route("/sign/{token}", sign_get, methods=["GET"]),
            Route("/sign/{token}", sign_post, methods=["POST"]),
            Route("/verify", verify, methods=["GET", "POST"]),
            Mount("/static", static_files()),
        ]
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app


@pytest.fixture
def received() -> Received:
    """The signatures the app accepted during one test."""
    return Received()


@pytest.fixture
def base_url(received: Received, serve: Serve) -> Iterator[str]:
    """The test app on loopback."""
    with serve(make_app(received)) as url:
        yield url


def save_screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """Screenshot the whole page at CSS scale (docs/ gets the real app's, test_live_signing.py)."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True, scale="css")
    return path


def test_mouse_signature_is_submitted_as_a_real_png(
    desktop: Page, base_url: str, received: Received
) -> None:
    errors = watch_errors(desktop)
    desktop.goto(f"{base_url}/sign/tok-desktop")
    draw_with_mouse(desktop, STROKES)
    desktop.get_by_role("button", name="确认签发").click()
    desktop.get_by_role("heading", name=t("web.sign_done.title")).wait_for()
    assert len(received.signatures) == 1
    signature = received.signatures[0]
    assert len(signature.strokes) == len(STROKES)
    assert all(len(stroke) >= 2 for stroke in signature.strokes)
    times = [point[2] for stroke in signature.strokes for point in stroke]
    assert times == sorted(times) and times[-1] > 0
    image = Image.open(io.BytesIO(signature.png))
    assert image.size == (signature.width, signature.height) and image.width >= 500
    assert errors == []


def test_touch_signature_works_on_a_phone_at_high_dpi(
    phone: Page, base_url: str, received: Received
) -> None:
    errors = watch_errors(phone)
    phone.goto(f"{base_url}/sign/tok-phone")
    box = pad_box(phone)
    draw_with_touch(phone, STROKES)
    phone.get_by_role("button", name="确认签发").click()
    phone.get_by_role("heading", name=t("web.sign_done.title")).wait_for()
    assert len(received.signatures) == 1
    signature = received.signatures[0]
    assert len(signature.strokes) == len(STROKES)
    # Device pixel ratio 2: the PNG has twice the pad's CSS size, so the ink stays sharp.
    assert (signature.width, signature.height) == (
        round(box["width"] * 2),
        round(box["height"] * 2),
    )
    assert errors == []


def test_the_pad_owns_touches_so_the_page_does_not_scroll(phone: Page, base_url: str) -> None:
    phone.goto(f"{base_url}/sign/tok")
    assert phone.locator("canvas").evaluate("c => getComputedStyle(c).touchAction") == "none"
    before = phone.evaluate("window.scrollY")
    pad_box(phone)
    scrolled = phone.evaluate("window.scrollY")
    draw_with_touch(phone, [[(0.5, 0.2), (0.5, 0.9)]])
    assert phone.evaluate("window.scrollY") == scrolled and scrolled >= before


def test_an_empty_pad_cannot_be_submitted(desktop: Page, base_url: str, received: Received) -> None:
    desktop.goto(f"{base_url}/sign/tok")
    desktop.get_by_role("button", name="确认签发").click()
    alert = desktop.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == t("web.sign.empty")
    assert desktop.url.endswith("/sign/tok") and received.signatures == []


def test_clear_empties_the_pad_and_undo_drops_the_last_stroke(
    desktop: Page, base_url: str, received: Received
) -> None:
    desktop.goto(f"{base_url}/sign/tok")
    draw_with_mouse(desktop, STROKES)
    desktop.get_by_role("button", name="清除").click()
    desktop.get_by_role("button", name="确认签发").click()
    desktop.get_by_role("alert").wait_for()
    assert received.signatures == []
    draw_with_mouse(desktop, [*STROKES, [(0.05, 0.05), (0.95, 0.95)]])
    desktop.get_by_role("button", name="撤销").click()
    desktop.get_by_role("button", name="确认签发").click()
    desktop.get_by_role("heading", name=t("web.sign_done.title")).wait_for()
    assert len(received.signatures[0].strokes) == len(STROKES)


def test_a_trivial_scribble_is_refused_by_the_server_with_a_clear_message(
    desktop: Page, base_url: str, received: Received
) -> None:
    desktop.goto(f"{base_url}/sign/tok")
    draw_with_mouse(desktop, [[(0.5, 0.5), (0.52, 0.5)], [(0.6, 0.5), (0.61, 0.51)]])
    desktop.get_by_role("button", name="确认签发").click()
    desktop.get_by_text(t("signature.trivial")).or_(
        desktop.get_by_text(t("signature.too_few_strokes"))
    ).wait_for()
    assert received.signatures == []
    assert desktop.locator("canvas").count() == 1


def test_a_forged_csrf_token_gets_the_invalid_link_page(desktop: Page, base_url: str) -> None:
    desktop.goto(f"{base_url}/sign/tok")
    draw_with_mouse(desktop, STROKES)
    desktop.locator("input[name=csrf]").evaluate("el => el.value = 'forged'")
    desktop.get_by_role("button", name="确认签发").click()
    desktop.get_by_role("heading", name=t("web.message.forged.title")).wait_for()


def test_signing_page_screenshot_on_a_phone(phone: Page, base_url: str, tmp_path: Path) -> None:
    phone.goto(f"{base_url}/sign/tok")
    draw_with_touch(phone, STROKES)
    phone.evaluate("window.scrollTo(0, 0)")
    path = save_screenshot(phone, tmp_path, "signing-page.png")
    with Image.open(path) as image:
        assert image.width == 360 and image.height >= 740


def test_verify_page_shows_a_valid_certificate(phone: Page, base_url: str, tmp_path: Path) -> None:
    errors = watch_errors(phone)
    phone.goto(f"{base_url}/verify")
    phone.get_by_label(t("web.verify.cert_no")).fill(RESULT.cert_no)
    phone.get_by_label(t("web.verify.id_number")).fill("11010519491231002X")
    phone.get_by_role("button", name=t("web.verify.submit")).click()
    result = phone.locator("[data-status=valid]")
    result.wait_for()
    text = result.inner_text()
    assert t("web.verify.status.valid") in text and "朱**" in text and RESULT.file_sha256 in text
    assert phone.get_by_label(t("web.verify.id_number")).input_value() == ""
    save_screenshot(phone, tmp_path, "verify-page.png")
    assert errors == []


def test_verify_page_says_not_found(desktop: Page, base_url: str) -> None:
    desktop.goto(f"{base_url}/verify")
    desktop.get_by_label(t("web.verify.cert_no")).fill("123")
    desktop.get_by_label(t("web.verify.id_number")).fill("11010519491231002X")
    desktop.get_by_role("button", name=t("web.verify.submit")).click()
    result = desktop.locator("[data-status=not_found]")
    result.wait_for()
    assert t("web.verify.not_found_detail") in result.inner_text()
