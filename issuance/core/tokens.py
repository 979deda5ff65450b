"""Random tokens, HMAC-signed values (QR links, CSRF) and Telegram Mini App initData checks."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from urllib.parse import parse_qsl

from issuance.core.errors import Invalid


def new_token() -> str:
    """A fresh random URL-safe token carrying 256 bits."""
    return secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, purpose: str, encoded_payload: str, expiry: str) -> str:
    # The purpose is inside the MAC, so a CSRF token can never pass as a QR token and vice versa.
    message = "\n".join(("qianfa/v1", purpose, encoded_payload, expiry)).encode("utf-8")
    return _b64(hmac.new(secret, message, hashlib.sha256).digest())


def sign(secret: bytes, purpose: str, payload: str, expires_at: int | None) -> str:
    """Sign `payload` for `purpose` as a URL-safe token, valid until `expires_at` (Unix seconds)."""
    encoded = _b64(payload.encode("utf-8"))
    expiry = "" if expires_at is None else str(int(expires_at))
    return f"{encoded}.{expiry}.{_mac(secret, purpose, encoded, expiry)}"


def unsign(secret: bytes, purpose: str, token: str, now: float | None = None) -> str:
    """The payload of a token `sign` made for this purpose; raise Invalid if forged or expired."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Invalid("token.forged")
    encoded, expiry, mac = parts
    expected = _mac(secret, purpose, encoded, expiry)
    if not hmac.compare_digest(mac.encode("utf-8"), expected.encode("ascii")):
        raise Invalid("token.forged")
    # The MAC held, so the expiry is ours; checked only now so a forger learns nothing.
    if expiry and (time.time() if now is None else now) >= int(expiry):
        raise Invalid("token.expired")
    try:
        return _unb64(encoded).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Invalid("token.forged") from None


def telegram_init_data_valid(
    init_data: str, bot_token: str, max_age_s: int, now: float | None = None
) -> dict[str, str] | None:
    """The fields of Telegram Mini App initData if its hash is genuine and fresh, else None."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        return None
    received = fields.pop("hash", None)
    if received is None:
        return None
    # Telegram's rule: every received field but hash, sorted by key, as key=value lines.
    check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret_key = hmac.new(b"WebAppData", bot_token.encode("utf-8"), hashlib.sha256).digest()
    expected = hmac.new(secret_key, check_string.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), received.lower().encode("utf-8")):
        return None
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        return None
    if (time.time() if now is None else now) - auth_date > max_age_s:
        return None
    return fields
