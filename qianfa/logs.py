"""How a `qianfa` process logs: text or JSON lines, its role, and nothing secret in either."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from issuance.core.logs import SensitiveDataFilter
from issuance.core.settings import Settings
from issuance.telemetry import JsonFormatter, SecretsFilter, set_role

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_SECRETS = (
    "secret_key",
    "telegram_token",
    "telegram_webhook_secret",
    "wecom_secret",
    "wecom_token",
    "wecom_encoding_aes_key",
    "metrics_token",
)


def role_of(command: str | None) -> str:
    """The process role shown in JSON logs: run, web, bot, worker, or cli for the rest."""
    return command if command in ("run", "web", "bot", "worker") else "cli"


def configure(
    settings: Settings, role: str, handlers: Sequence[logging.Handler] | None = None
) -> None:
    """Apply `log_format` to the root's handlers (or `handlers`) and mask ID numbers, signing
    links, the settings' secrets and tokens in URLs in every record."""
    set_role(role)
    formatter = JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    secrets = [str(getattr(settings, name)) for name in _SECRETS]
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        handler.setFormatter(formatter)
        for stale in [f for f in handler.filters if isinstance(f, SecretsFilter)]:
            handler.removeFilter(stale)
        # Order matters: ID numbers first (the filter rewrites the arguments), then secrets.
        if not any(isinstance(f, SensitiveDataFilter) for f in handler.filters):
            handler.addFilter(SensitiveDataFilter())
        handler.addFilter(SecretsFilter(secrets))
