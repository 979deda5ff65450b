"""Log lines an operator collects: JSON objects, and nothing secret in them."""

from __future__ import annotations

import json
import logging
from io import StringIO
from pathlib import Path

from issuance.core.settings import Secret, Settings
from issuance.telemetry import REQUEST_ID, set_role
from qianfa import logs


def _logger(settings: Settings, role: str) -> tuple[logging.Logger, StringIO]:
    out = StringIO()
    handler = logging.StreamHandler(out)
    logs.configure(settings, role, handlers=[handler])
    logger = logging.getLogger(f"test.telemetry.{role}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


def test_json_lines_carry_role_and_request_and_mask_ids_secrets_and_url_tokens() -> None:
    settings = Settings(
        home=Path("."),
        log_format="json",
        secret_key=Secret("s3cr3t-key-value-0123456789abcdef"),
        wecom_secret=Secret("wecom-secret-value-0123456789"),
    )
    logger, out = _logger(settings, "worker")
    token = REQUEST_ID.set("req-1")
    try:
        logger.info("student %s signed", "610114200001011012")
        logger.info("key %s and %s", settings.secret_key, settings.wecom_secret)
        logger.info("GET /cgi-bin/message/send?access_token=AbC123&debug=1 errcode=45009")
    finally:
        REQUEST_ID.reset(token)
        set_role("cli")
    first, second, third = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["role"] == "worker" and first["request"] == "req-1"
    assert first["level"] == "INFO" and first["logger"] == "test.telemetry.worker"
    assert "610114200001011012" not in first["message"] and "610114" in first["message"]
    assert second["message"] == "key *** and ***"
    assert "AbC123" not in third["message"] and "access_token=***" in third["message"]
    assert "errcode=45009" in third["message"]  # not a secret, kept


def test_text_format_is_the_default_and_masks_the_same() -> None:
    settings = Settings(home=Path("."), telegram_token=Secret("123456:ABCDEFGHIJKLMNOP"))
    logger, out = _logger(settings, "bot")
    set_role("cli")
    logger.info("POST https://api.telegram.org/bot123456:ABCDEFGHIJKLMNOP/sendMessage")
    line = out.getvalue().strip()
    assert not line.startswith("{") and "/bot***/sendMessage" in line
