"""Hostile requests to the web part: chunked bodies, error pages, full-width digits, webhook header.

Real HTTP on loopback against the demo database, plus the app in-process where a route must fail.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import socket
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.telegram.webhook import Inbox
from bot.telegram.webhook import routes as webhook_routes
from issuance.core.catalog import t
from issuance.core.logs import mask_sensitive
from issuance.core.settings import Secret
from tests.webserver import (
    HEAD_PHONE,
    Live,
    LiveThread,
    csrf_of,
    settings_for,
    signature_fields,
)
from web.app import build_app
from web.context import MAX_BODY
from web.security import security_headers

WAITING = list(range(15, 25))


def full_width(text: str) -> str:
    """ASCII digits and letters as a Chinese input method types them (１２３Ｘ)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in text)


def assert_chinese_page_with_headers(response: httpx.Response, kind: str) -> None:
    assert t(f"web.message.{kind}.title") in response.text
    assert response.headers["content-type"].startswith("text/html")
    for name, value in security_headers().items():
        assert response.headers[name] == value


def chunked_post(base_url: str, path: str, total: int) -> bytes:
    """POST up to `total` bytes as chunked form fields (no Content-Length); the raw response.

    Sending stops as soon as the server answers, as a client of a slow mobile network would.
    """
    address = urlsplit(base_url)
    field = b"a=" + b"b" * 4000 + b"&"  # fields well under Starlette's own per-field limit
    with socket.create_connection((address.hostname or "", address.port or 80)) as connection:
        connection.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        connection.settimeout(0.01)
        sent = 0
        answer = b""
        while sent < total and not answer:
            with contextlib.suppress(TimeoutError):
                connection.sendall(b"%x\r\n%s\r\n" % (len(field), field))
                sent += len(field)
            with contextlib.suppress(TimeoutError):
                answer = connection.recv(65536)
        connection.settimeout(10)
        with contextlib.suppress(TimeoutError, ConnectionError):
            while b"</html>" not in answer and (more := connection.recv(65536)):
                answer += more
    return answer


@pytest.mark.parametrize("path", ["/verify", "/verify/graduation", "/sign/some-token"])
def test_a_chunked_body_over_two_mb_is_refused_on_the_stream(tmp_path: Path, path: str) -> None:
    with LiveThread(tmp_path) as running:
        assert running.live is not None
        answer = chunked_post(running.live.base_url, path, 3 * MAX_BODY)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert t("web.message.too_large.title") in body.decode("utf-8")
    assert b"content-security-policy" in head.lower()


async def test_a_declared_oversize_body_is_refused_before_reading(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/verify")
    refused = await client.post(
        "/verify",
        content=b"csrf=" + csrf_of(page).encode() + b"&x=" + b"a" * (MAX_BODY + 10),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert refused.status_code == 413
    assert_chinese_page_with_headers(refused, "too_large")


async def test_unknown_pages_and_wrong_methods_answer_in_chinese_with_headers(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/no/such/page")
    wrong = await client.delete("/verify")
    static = await client.get("/static/missing.css")

    assert missing.status_code == 404 and static.status_code == 404
    assert_chinese_page_with_headers(missing, "not_found")
    assert_chinese_page_with_headers(static, "not_found")
    assert wrong.status_code == 405 and "GET" in wrong.headers["allow"]
    assert_chinese_page_with_headers(wrong, "method")


async def test_an_unhandled_error_is_a_chinese_500_page_with_the_headers(tmp_path: Path) -> None:
    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = build_app(settings_for(tmp_path), store=None, extra_routes=[Route("/boom", boom)])  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answer = await http.get("/boom")

    assert answer.status_code == 500
    assert_chinese_page_with_headers(answer, "error")
    assert "a bug" not in answer.text


def png_claiming(width: int, height: int) -> bytes:
    """A real small PNG whose header claims another size (CRC fixed, so it opens)."""
    out = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(out, format="PNG")
    data = bytearray(out.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


async def test_a_png_claiming_100000_square_pixels_is_a_signature_error_not_a_crash(
    live: Live, client: httpx.AsyncClient
) -> None:
    from issuance.xcert.signing import start_signing

    head = await live.store.person_by_ref(HEAD_PHONE)
    assert head is not None
    link = await start_signing(live.issuance, head, WAITING, {"chat_id": 1, "message_id": 1})
    path = urlsplit(link.url).path
    page = await client.get(path)
    fields = signature_fields()
    fields["signature"] = "data:image/png;base64," + base64.b64encode(
        png_claiming(100_000, 100_000)
    ).decode("ascii")

    answer = await client.post(path, data={"csrf": csrf_of(page), **fields})

    assert answer.status_code == 422
    assert t("signature.not_png") in answer.text
    assert {r.status for r in await live.store.records_by_ids(WAITING)} == {"考核站点待签发"}


async def test_full_width_digits_find_the_certificate_on_the_web(
    live: Live, client: httpx.AsyncClient
) -> None:
    (record,) = await live.store.records_by_ids([1])
    page = await client.get("/verify")

    answer = await client.post(
        "/verify",
        data={
            "csrf": csrf_of(page),
            "cert_no": full_width(record.cert_no),
            "id_number": full_width(record.id_number),
        },
    )

    assert 'data-status="valid"' in answer.text
    assert record.cert_no in answer.text


async def test_full_width_digits_find_the_certificate_in_the_core(live: Live) -> None:
    (record,) = await live.store.records_by_ids([1])

    answer = await live.issuance.verify(
        " " + full_width(record.cert_no) + "　", full_width(record.id_number.lower())
    )

    assert answer.status == "valid" and answer.cert_no == record.cert_no


@pytest.fixture
async def webhook_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Inbox]]:
    settings = replace(
        settings_for(tmp_path),
        telegram_webhook_url="https://example.cn/telegram",
        telegram_webhook_secret=Secret("s3cret-token"),
    )
    inbox = Inbox()
    app = build_app(settings, store=None, extra_routes=webhook_routes(settings, inbox))  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http, inbox


@pytest.mark.parametrize(
    "given", ["密钥".encode(), b"\xff\xfe", "s3cret-tokén".encode("latin-1")], ids=repr
)
async def test_a_non_ascii_webhook_secret_is_refused_not_a_500(
    webhook_client: tuple[httpx.AsyncClient, Inbox], given: bytes
) -> None:
    http, inbox = webhook_client

    answer = await http.post(
        "/telegram", json={"update_id": 1}, headers=[(b"X-Telegram-Bot-Api-Secret-Token", given)]
    )

    assert answer.status_code == 403
    assert inbox.queue.empty()


async def test_a_chunked_webhook_body_over_two_mb_is_refused_before_parsing(
    webhook_client: tuple[httpx.AsyncClient, Inbox],
) -> None:
    http, inbox = webhook_client

    async def endless() -> AsyncIterator[bytes]:
        yield b'{"update_id": 1, "x": "'
        while True:
            yield b"a" * 65536

    answer = await http.post(
        "/telegram",
        content=endless(),
        headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
    )

    assert answer.status_code == 413
    assert t("web.message.too_large.title") in answer.text
    assert inbox.queue.empty()


async def test_a_full_webhook_inbox_answers_503_instead_of_hanging(
    webhook_client: tuple[httpx.AsyncClient, Inbox],
) -> None:
    http, inbox = webhook_client
    while not inbox.queue.full():
        inbox.queue.put_nowait({"update_id": 0})

    answer = await http.post(
        "/telegram",
        json={"update_id": 1},
        headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
    )

    assert answer.status_code == 503


@pytest.mark.parametrize(
    "line",
    [
        "GET /verify?x=%2021020220010812956X HTTP/1.1",
        "GET /verify?x=%2C21020220010812956X&y=1",
        "GET /verify?x=%E4%B8%AD21020220010812956X",
    ],
)
def test_an_id_number_after_a_url_escape_is_masked_in_logs(line: str) -> None:
    masked = mask_sensitive(line)
    assert "21020220010812956X" not in masked
    assert "210202************" in masked


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    cert_no=st.text(max_size=60),
    id_number=st.text(max_size=40),
    extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=50), max_size=3),
)
def test_any_verification_form_gets_a_page_never_a_500(
    tmp_path: Path, cert_no: str, id_number: str, extra: dict[str, str]
) -> None:
    asyncio.run(_post_verify(tmp_path, cert_no, id_number, extra))


async def _post_verify(tmp_path: Path, cert_no: str, id_number: str, extra: dict[str, str]) -> None:
    from issuance.store import Store

    store = await Store.open(tmp_path / "qianfa.db")
    try:
        settings_ = replace(
            settings_for(tmp_path), web_verify_per_minute=1e9, web_verify_burst=10**9
        )
        app = build_app(settings_, store)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            page = await http.get("/verify")
            answer = await http.post(
                "/verify",
                data={**extra, "csrf": csrf_of(page), "cert_no": cert_no, "id_number": id_number},
            )
    finally:
        await store.close()
    assert answer.status_code in (200, 422), answer.text
    assert "Content-Security-Policy" in answer.headers
