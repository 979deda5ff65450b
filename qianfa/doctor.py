"""`qianfa doctor`: a home checked before the season, one line per check, exit 1 if any fails."""

from __future__ import annotations

import argparse
import shutil
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from issuance.core.catalog import t
from issuance.core.errors import DomainError
from issuance.core.settings import CONFIG_NAME, Settings
from issuance.store import Store, backups
from issuance.store.anchor import HEAD_NAME, KEY_NAME
from issuance.store.health import clock_skew, readiness
from issuance.store.opening import open_store
from issuance.store.serving import require_config
from qianfa.helptext import help_text
from qianfa.operations import NotValid

MIN_FREE_BYTES = 2 * 1024**3
MAX_CLOCK_SKEW = 5.0  # seconds between this host and the database server
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


@dataclass(frozen=True)
class Finding:
    """One check: its catalog name, whether it passed, and what was found (Chinese · English)."""

    check: str
    ok: bool
    detail: str


def _public_url(settings: Settings) -> Finding:
    parts = urlsplit(settings.public_url)
    if parts.scheme != "https":
        return Finding("public_url", False, f"须为 https · must be https: {settings.public_url}")
    if parts.hostname in LOCAL_HOSTS or not parts.hostname or "." not in parts.hostname:
        return Finding("public_url", False, f"本机地址 · a local address: {settings.public_url}")
    return Finding("public_url", True, settings.public_url)


def _secrets(settings: Settings) -> Finding:
    weak = [
        name
        for name, value, needed in (
            ("secret_key", settings.secret_key, True),
            (
                "telegram.webhook_secret",
                settings.telegram_webhook_secret,
                bool(settings.telegram_webhook_url),
            ),
            ("metrics.token", settings.metrics_token, bool(settings.metrics_token)),
        )
        if needed and (len(value) < 32 or len(set(str(value))) < 10)
    ]
    if weak:
        return Finding(
            "secrets", False, f"过短或过简单 · too short or too simple: {', '.join(weak)}"
        )
    return Finding("secrets", True, "足够长 · long enough")


def _wecom(settings: Settings) -> Finding:
    if not settings.wecom_enabled:
        return Finding("wecom", True, "未配置 · not configured")
    problems = []
    corp = settings.wecom_corp_id
    if not (corp.startswith("ww") and len(corp) == 18 and corp.isalnum()):
        problems.append("corp_id (ww + 16)")
    if settings.wecom_agent_id < 1000000:
        problems.append("agent_id (1000002…)")
    if len(settings.wecom_secret) != 43:
        problems.append("secret (43)")
    if problems:
        return Finding("wecom", False, f"格式不对 · wrong shape: {', '.join(problems)}")
    return Finding("wecom", True, f"corp {corp}, agent {settings.wecom_agent_id}")


def _permissions(settings: Settings) -> Finding:
    loose = [
        name
        for name in (CONFIG_NAME, KEY_NAME, HEAD_NAME)
        if (settings.home / name).exists()
        and stat.S_IMODE((settings.home / name).stat().st_mode) & 0o077
    ]
    if stat.S_IMODE(settings.home.stat().st_mode) & 0o002:
        loose.append(f"{settings.home}/ (world-writable)")
    if loose:
        return Finding(
            "permissions", False, f"他人可读写 · readable by others: {', '.join(loose)} (chmod 600)"
        )
    return Finding("permissions", True, "仅属主可读 · owner only")


def _fonts(settings: Settings) -> Finding:
    from issuance.formats.certificate import load_template

    try:
        font = load_template(settings.certificate_template_path).font
    except (OSError, ValueError) as error:
        return Finding("fonts", False, f"{error} (apt-get install fonts-wqy-zenhei)")
    return Finding("fonts", True, str(font.path))


def _disk(settings: Settings) -> Finding:
    free = shutil.disk_usage(settings.home).free
    shown = f"{free / 1024**3:.1f} GB"
    if free < MIN_FREE_BYTES:
        return Finding("disk", False, f"不足 · below {MIN_FREE_BYTES // 1024**3} GB: {shown}")
    return Finding("disk", True, shown)


def _backup(settings: Settings, now: datetime) -> Finding:
    newest = backups.newest_archives(settings.backup_path)
    if not newest:
        return Finding("backup", False, f"没有备份 · none in {settings.backup_path}")
    taken = datetime.strptime(newest[0].name, backups.archive_name_pattern())
    age = now.replace(tzinfo=None) - taken
    hours = age.total_seconds() / 3600
    allowed = timedelta(hours=2 * (settings.backup_every or 24))
    detail = f"{newest[0].name}, {hours:.1f} h"
    if age > allowed:
        return Finding("backup", False, f"太旧 · too old: {detail}")
    return Finding("backup", True, detail)


async def _database(settings: Settings) -> list[Finding]:
    """Database, migrations and audit anchor (as /readyz, the anchor fully checked), clock."""
    try:
        store = await open_store(settings)
    except DomainError as error:
        return [Finding("database", False, f"{error.message('zh')} · {error.message('en')}")]
    try:
        found = [Finding(c.name, c.ok, c.detail) for c in await readiness(store)]
        assert store.anchor is not None
        why = store.anchor.problem(await store.audit_entries(), await store.audit_macs())
        if why:
            found = [f for f in found if f.check != "audit_anchor"]
            found.append(Finding("audit_anchor", False, why))
        found.append(await _clock(store))
        found.append(_backup(settings, store.now()))
    finally:
        await store.close()
    return found


async def _clock(store: Store) -> Finding:
    skew = await clock_skew(store)
    if skew is None:
        return Finding("clock", True, "SQLite：与本机同一时钟 · same clock as this host")
    detail = f"{skew:+.2f} s"
    if abs(skew) > MAX_CLOCK_SKEW:
        return Finding("clock", False, f"偏差过大 · too far off: {detail} (chrony/NTP)")
    return Finding("clock", True, detail)


async def diagnose(settings: Settings) -> list[Finding]:
    """Every check, in the order shown."""
    findings = [
        _public_url(settings),
        _secrets(settings),
        _wecom(settings),
        _permissions(settings),
        _fonts(settings),
        _disk(settings),
    ]
    database = await _database(settings)
    if len(database) == 1:  # not even opened: the backup's age is still worth knowing
        database.append(_backup(settings, datetime.now(tz=None)))
    return findings + database


async def cmd_doctor(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    require_config(settings.home)
    findings = await diagnose(settings)
    lines = [
        t(
            "doctor.ok" if f.ok else "doctor.fail",
            check=f"{t(f'doctor.check.{f.check}')} {t(f'doctor.check.{f.check}', 'en')}",
            detail=f.detail,
        )
        for f in findings
    ]
    failed = sum(not f.ok for f in findings)
    summary = "doctor.summary_fail" if failed else "doctor.summary_ok"
    lines.append(
        f"{t(summary, failed=failed, count=len(findings))}"
        f" {t(summary, 'en', failed=failed, count=len(findings))}"
    )
    result = {"ok": not failed, "checks": [f.__dict__ for f in findings]}
    if failed:
        raise NotValid(result, "\n".join(lines))
    return result, "\n".join(lines)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `doctor` to the command line."""
    p = sub.add_parser("doctor", parents=[common], help=help_text("help.doctor"))
    p.set_defaults(func=cmd_doctor)
