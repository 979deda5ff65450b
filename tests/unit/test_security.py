"""Security headers on every response and masking of ID numbers and signing links in logs."""

from __future__ import annotations

import logging

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from issuance.core.logs import SensitiveDataFilter, mask_sensitive
from web.security import SecurityHeadersMiddleware, install_log_masking


async def _headers(path: str = "/", **options: bool) -> httpx.Headers:
    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("hi")

    app = Starlette(routes=[Route("/", hello)])
    app.add_middleware(SecurityHeadersMiddleware, **options)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return (await client.get(path)).headers


async def test_every_response_carries_the_security_headers() -> None:
    headers = await _headers()
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "camera=()" in headers["permissions-policy"]


async def test_telegram_embedding_allows_only_telegram_web_as_frame_parent() -> None:
    headers = await _headers(allow_telegram_embedding=True)
    assert "frame-ancestors https://web.telegram.org" in headers["content-security-policy"]
    assert "x-frame-options" not in headers


async def test_not_found_responses_carry_the_headers_too() -> None:
    assert (await _headers("/missing"))["x-content-type-options"] == "nosniff"


def test_id_numbers_and_signing_tokens_are_masked() -> None:
    line = (
        '1.2.3.4 - "GET /sign/AbC_-123xyz?x=1 HTTP/1.1" 200'
        " id=11010519491231002X cert 15600031015610012000045"
    )
    masked = mask_sensitive(line)
    assert "11010519491231002X" not in masked and "110105************" in masked
    assert "AbC_-123xyz" not in masked and "/sign/***?x=1" in masked
    assert "15600031015610012000045" in masked  # certificate numbers are public


def test_upload_tokens_are_masked_wherever_the_link_goes() -> None:
    line = (
        '"GET /upload/Tok3n_a/template/grades HTTP/1.1" 200 "POST /upload/Tok3n_b HTTP/1.1"'
        ' "GET /wecom/upload/Tok3n_c?code=x HTTP/1.1"'
    )
    masked = mask_sensitive(line)
    assert "Tok3n" not in masked
    assert "/upload/***/template/grades" in masked and "/wecom/upload/***?code=x" in masked


def test_the_filter_masks_uvicorn_access_log_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "POST", "/sign/secret-token", "1.1", 200),
        None,
    )
    assert SensitiveDataFilter().filter(record)
    assert record.getMessage() == '1.2.3.4:5 - "POST /sign/*** HTTP/1.1" 200'


def test_installing_twice_adds_one_filter() -> None:
    install_log_masking(["qianfa.test"])
    install_log_masking(["qianfa.test"])
    filters = logging.getLogger("qianfa.test").filters
    assert sum(isinstance(f, SensitiveDataFilter) for f in filters) == 1


def test_certificate_link_tag_is_masked_in_logs() -> None:
    line = '127.0.0.1:5 - "GET /c/15600031015610012000045?t=9XrCESqoQqjWTOzACSDUVA HTTP/1.1" 200'
    masked = mask_sensitive(line)
    assert "9XrCESqoQqjWTOzACSDUVA" not in masked
    assert "/c/15600031015610012000045?t=***" in masked
