"""Tokens: random, signed, purpose-bound, expiring; Telegram Mini App initData validation."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from urllib.parse import quote, urlencode

import pytest

from issuance.core.errors import Invalid
from issuance.core.tokens import new_token, sign, telegram_init_data_valid, unsign

SECRET = b"k" * 32


def test_new_tokens_are_url_safe_long_and_unique() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert len(token) >= 43  # 32 random bytes in unpadded base64
        assert quote(token, safe="") == token


def test_a_signed_payload_round_trips_before_its_expiry() -> None:
    token = sign(SECRET, "qr", "15600031015610012000045", expires_at=2_000)
    assert quote(token, safe="") == token
    assert unsign(SECRET, "qr", token, now=1_999) == "15600031015610012000045"


def test_a_token_without_expiry_never_expires() -> None:
    assert (
        unsign(SECRET, "csrf", sign(SECRET, "csrf", "中文 payload.with.dots", None), now=1e12)
        == "中文 payload.with.dots"
    )


def test_an_expired_token_is_refused() -> None:
    token = sign(SECRET, "qr", "x", expires_at=2_000)
    with pytest.raises(Invalid) as caught:
        unsign(SECRET, "qr", token, now=2_000)
    assert caught.value.key == "token.expired"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda tok: unsign(b"other secret", "qr", tok, now=0),
        lambda tok: unsign(SECRET, "csrf", tok, now=0),
        lambda tok: unsign(SECRET, "qr", "eQ" + tok[2:], now=0),
        lambda tok: unsign(SECRET, "qr", tok.replace(".2000.", ".9999."), now=0),
        lambda tok: unsign(SECRET, "qr", tok[:-1] + ("A" if tok[-1] != "A" else "B"), now=0),
        lambda tok: unsign(SECRET, "qr", "garbage", now=0),
        lambda tok: unsign(SECRET, "qr", tok + "é", now=0),
    ],
)
def test_forged_or_misused_tokens_are_refused(tamper: Callable[[str], object]) -> None:
    token = sign(SECRET, "qr", "payload", expires_at=2_000)
    with pytest.raises(Invalid) as caught:
        tamper(token)
    assert caught.value.key == "token.forged"


BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
USER = json.dumps(
    {"id": 279058397, "first_name": "Vladislav", "language_code": "zh-hans"}, separators=(",", ":")
)


def _init_data(fields: dict[str, str], bot_token: str = BOT_TOKEN) -> str:
    # Computed independently of the code under test, step by step as Telegram documents it.
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


FIELDS = {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": USER, "auth_date": "1700000000"}


def test_known_init_data_vector_is_accepted() -> None:
    # A fixed vector: any change to the algorithm (sorting, separator, key order) breaks it.
    init_data = (
        "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%7D&auth_date=1700000000"
        "&hash="
        + hmac.new(
            hmac.new(b"WebAppData", BOT_TOKEN.encode(), hashlib.sha256).digest(),
            b'auth_date=1700000000\nquery_id=AAHdF6IQAAAAAN0XohDhrOrc\nuser={"id":279058397}',
            hashlib.sha256,
        ).hexdigest()
    )
    fields = telegram_init_data_valid(init_data, BOT_TOKEN, max_age_s=3600, now=1_700_000_100)
    assert fields == {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": '{"id":279058397}',
        "auth_date": "1700000000",
    }


def test_genuine_init_data_returns_its_decoded_fields() -> None:
    fields = telegram_init_data_valid(
        _init_data(FIELDS), BOT_TOKEN, max_age_s=86400, now=1_700_000_100
    )
    assert fields is not None and json.loads(fields["user"])["id"] == 279058397


@pytest.mark.parametrize(
    "init_data",
    [
        _init_data(FIELDS, bot_token="999:other"),
        _init_data(FIELDS).replace("279058397", "279058398"),
        urlencode(FIELDS),
        _init_data(FIELDS) + "&auth_date=1700000001",
        _init_data({"query_id": "x", "user": USER}),
        "%%%",
        "",
    ],
)
def test_forged_or_incomplete_init_data_is_refused(init_data: str) -> None:
    assert (
        telegram_init_data_valid(init_data, BOT_TOKEN, max_age_s=86400, now=1_700_000_100) is None
    )


def test_stale_init_data_is_refused() -> None:
    assert (
        telegram_init_data_valid(_init_data(FIELDS), BOT_TOKEN, max_age_s=60, now=1_700_000_061)
        is None
    )
