"""Settings: one typed, frozen object loaded once from `qianfa.toml` plus `QIANFA_*` overrides.

Every key may be overridden by an environment variable named after it: top-level keys as
`QIANFA_KEY`, keys of a `[section]` as `QIANFA_SECTION_KEY` (e.g. `[telegram] token` is
`QIANFA_TELEGRAM_TOKEN`). Lists in the environment are comma-separated.
"""

from __future__ import annotations

import grp
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any

from issuance.config import CERTIFICATE_TEMPLATE, EXAMPLE_SETTINGS
from issuance.core.vocabulary import Party

CONFIG_NAME = "qianfa.toml"
DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_WECOM_BASE_URL = "https://qyapi.weixin.qq.com"


class SettingsError(ValueError):
    """A setting has a wrong value; the message names the key."""


class Secret(str):
    """A string whose repr never shows the value."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, typed; see config/qianfa.example.toml for meanings."""

    home: Path
    public_url: str = "http://127.0.0.1:8080"
    timezone: str = "Asia/Shanghai"
    secret_key: Secret = Secret("")
    # May carry a PostgreSQL password: kept out of repr.
    database_url: str = field(default="", repr=False)
    database_busy_timeout_seconds: float = 15.0
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_forwarded_allow_ips: str = "127.0.0.1"
    web_verify_per_minute: float = 20.0
    web_verify_burst: int = 10
    web_upload_link_minutes: int = 15
    telegram_token: Secret = Secret("")
    telegram_base_url: str = ""
    telegram_base_file_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: Secret = Secret("")
    telegram_bot_username: str = ""
    wecom_corp_id: str = ""
    wecom_agent_id: int = 0
    wecom_secret: Secret = Secret("")
    wecom_token: Secret = Secret("")
    wecom_encoding_aes_key: Secret = Secret("")
    wecom_base_url: str = ""
    signoff_order: tuple[str, ...] = (Party.EVALUATOR, Party.SITE)
    signoff_signing_ttl_minutes: int = 10
    signoff_invite_ttl_hours: int = 72
    numbers_default_pattern: str = "1{program:05d}{year:04d}{level}{seq:012d}"
    worker_tick_seconds: float = 2.0
    worker_render_processes: int = 2
    worker_render_lease_seconds: float = 300.0
    worker_reminder_offsets_hours: tuple[float, ...] = (72.0, 24.0, 2.0)
    worker_quiet_hours: str = "22:00-07:00"
    worker_nudge_after_hours: float = 48.0
    worker_handout_remind_after_days: float = 7.0
    certificate_template: str = ""
    graduation_number_pattern: str = (
        "{region:02d}{school_seq:03d}{school_level:1d}{year:04d}"
        "{class_level:1d}{major:04d}{serial:04d}"
    )
    graduation_school_level_digits: tuple[str, ...] = ("技师学院=1", "高级技工学校=2", "技工学校=3")
    graduation_class_level_digits: tuple[str, ...] = ("预备技师班=1", "高级工班=2", "中级工班=3")
    graduation_low_stock: int = 100
    graduation_remind_after_hours: float = 48.0
    log_format: str = "text"
    metrics_token: Secret = Secret("")
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    backup_dir: str = ""
    backup_every: float = 24.0
    backup_keep: int = 14
    files_group: str = ""

    @property
    def database(self) -> Path | str:
        """Where the store lives: a postgresql:// URL, or the SQLite file."""
        if self.database_url.startswith(("postgresql://", "postgres://")):
            return self.database_url
        return self.database_path

    @property
    def database_path(self) -> Path:
        """The SQLite file: `database_url` as sqlite:///PATH or a plain path, else the home's."""
        url = self.database_url
        if not url:
            return self.home / "qianfa.db"
        if url.startswith("sqlite:///"):
            return Path(url.removeprefix("sqlite:///"))
        if "://" in url:
            raise SettingsError(f"database.url: unsupported database {url.split('://')[0]!r}")
        return Path(url)

    @property
    def backup_path(self) -> Path:
        """Where backups go: `backup.dir`, else HOME/backups."""
        return Path(self.backup_dir) if self.backup_dir else self.home / "backups"

    @property
    def bot_base_url(self) -> str:
        return self.telegram_base_url or DEFAULT_TELEGRAM_BASE_URL

    @property
    def bot_base_file_url(self) -> str:
        if self.telegram_base_file_url:
            return self.telegram_base_file_url
        # python-telegram-bot's convention: …/bot for methods, …/file/bot for downloads.
        base = self.bot_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base.removesuffix("/bot") + "/file/bot"
        return f"{base}/file/bot"

    @property
    def wecom_enabled(self) -> bool:
        """Whether the WeCom channel is configured (every setting it needs is there)."""
        return all(getattr(self, f"wecom_{key}") for key in _WECOM_REQUIRED)

    @property
    def wecom_api_url(self) -> str:
        return (self.wecom_base_url or DEFAULT_WECOM_BASE_URL).rstrip("/")

    @property
    def certificate_template_path(self) -> Path:
        if self.certificate_template:
            return Path(self.certificate_template)
        return CERTIFICATE_TEMPLATE

    @property
    def quiet_hours(self) -> tuple[time, time]:
        start, _, end = self.worker_quiet_hours.partition("-")
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


_SECTIONS = (
    "database",
    "web",
    "telegram",
    "wecom",
    "signoff",
    "numbers",
    "worker",
    "certificate",
    "graduation",
    "metrics",
    "backup",
    "files",
)
_WECOM_REQUIRED = ("corp_id", "agent_id", "secret", "token", "encoding_aes_key")
_TOML_ALIASES = {"database_url": ("database", "url")}


def _toml_key(name: str) -> tuple[str | None, str]:
    if name in _TOML_ALIASES:
        return _TOML_ALIASES[name]
    section, _, key = name.partition("_")
    if section in _SECTIONS and key:
        return section, key
    return None, name


def _convert(name: str, raw: Any, default: Any) -> Any:
    try:
        if isinstance(default, Secret):
            return Secret(str(raw))
        if isinstance(default, bool):
            if isinstance(raw, str):
                return raw.strip().lower() in ("1", "true", "yes", "on")
            return bool(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            items = (
                [s.strip() for s in raw.split(",") if s.strip()] if isinstance(raw, str) else raw
            )
            kind = type(default[0]) if default else str
            return tuple(kind(item) for item in items)
        return str(raw)
    except (TypeError, ValueError):
        section, key = _toml_key(name)
        where = f"{section}.{key}" if section else key
        raise SettingsError(f"setting {where}: invalid value {raw!r}") from None


def load_settings(home: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read `home/qianfa.toml` (if any) and the environment into a validated Settings."""
    environ = os.environ if environ is None else environ
    path = home / CONFIG_NAME
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: {exc}") from None
    values: dict[str, Any] = {"home": home}
    for f in fields(Settings):
        if f.name == "home":
            continue
        section, key = _toml_key(f.name)
        raw = data.get(section, {}).get(key) if section else data.get(key)
        env_name = "QIANFA_" + (f"{section}_{key}" if section else key).upper()
        if f.name == "public_url":
            env_name = "QIANFA_PUBLIC_URL"
        if env_name in environ:
            raw = environ[env_name]
        if raw is not None:
            values[f.name] = _convert(f.name, raw, f.default)
    settings = Settings(**values)
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if not 0 < settings.web_port < 65536:
        raise SettingsError(f"setting web.port: {settings.web_port} is not a TCP port")
    if not settings.public_url.startswith(("http://", "https://")):
        raise SettingsError("setting public_url: must start with http:// or https://")
    if sorted(settings.signoff_order) != sorted(Party):
        raise SettingsError("setting signoff.order: must list 培训评价组织 and 考核站点 once each")
    try:
        settings.quiet_hours  # noqa: B018 - parsing is the check
    except ValueError:
        raise SettingsError("setting worker.quiet_hours: expected HH:MM-HH:MM") from None
    if settings.web_verify_per_minute <= 0 or settings.web_verify_burst < 1:
        raise SettingsError("setting web.verify_per_minute/verify_burst: must be positive")
    if settings.web_upload_link_minutes <= 0:
        raise SettingsError("setting web.upload_link_minutes: must be positive")
    if settings.signoff_signing_ttl_minutes <= 0:
        raise SettingsError("setting signoff.signing_ttl_minutes: must be positive")
    settings.database  # noqa: B018 - raises for unsupported URLs
    if not 0 <= settings.database_busy_timeout_seconds <= 3600:
        raise SettingsError("setting database.busy_timeout_seconds: 0 to 3600 seconds")
    if settings.log_format not in ("text", "json"):
        raise SettingsError("setting log_format: text or json")
    if not 0 <= settings.metrics_port < 65536:
        raise SettingsError(f"setting metrics.port: {settings.metrics_port} is not a TCP port")
    if settings.backup_every < 0 or settings.backup_keep < 1:
        raise SettingsError("setting backup.every/keep: every >= 0 hours, keep >= 1")
    if settings.files_group:
        try:
            grp.getgrnam(settings.files_group)
        except KeyError:
            raise SettingsError(f"setting files.group: no group {settings.files_group!r}") from None
    _validate_wecom(settings)


def _validate_wecom(settings: Settings) -> None:
    given = [key for key in _WECOM_REQUIRED if getattr(settings, f"wecom_{key}")]
    if not given:
        return
    missing = [key for key in _WECOM_REQUIRED if key not in given]
    if missing:
        raise SettingsError(
            f"setting wecom.{missing[0]}: empty, but the WeCom channel is configured"
        )
    key = str(settings.wecom_encoding_aes_key)
    if len(key) != 43 or not key.isascii() or not key.isalnum():
        raise SettingsError("setting wecom.encoding_aes_key: must be the 43 characters WeCom shows")
    if not 3 <= len(settings.wecom_token) <= 32 or not str(settings.wecom_token).isalnum():
        raise SettingsError("setting wecom.token: 3 to 32 letters or digits, as WeCom requires")
    if settings.wecom_base_url and not settings.wecom_base_url.startswith(("http://", "https://")):
        raise SettingsError("setting wecom.base_url: must start with http:// or https://")


def write_initial_config(home: Path) -> bool:
    """Write `home/qianfa.toml` from the example with fresh secrets; False if it already exists."""
    path = home / CONFIG_NAME
    if path.exists():
        return False
    text = EXAMPLE_SETTINGS.read_text(encoding="utf-8")
    text = text.replace('secret_key = ""', f'secret_key = "{secrets.token_urlsafe(32)}"', 1)
    text = text.replace('webhook_secret = ""', f'webhook_secret = "{secrets.token_urlsafe(24)}"', 1)
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return True
