"""What an operator watches: Prometheus metrics, the figures kept in the database, JSON logs.

Counters and histograms of this process live in `REGISTRY` (one per process: each process serves
its own `/metrics`). Figures that live in the database (queue depths, acts by status, audit
length) are read at scrape time by `database_figures`, so every process shows the same ones.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

RATE_LIMITED = Counter(
    "qianfa_rate_limited_total",
    "Rate-limit answers: Telegram 429, WeCom 45009/45033.",
    ["channel", "code"],
    registry=REGISTRY,
)
CERTIFICATES_RENDERED = Counter(
    "qianfa_certificates_rendered_total",
    "Certificate PDFs rendered by this process.",
    registry=REGISTRY,
)
BACKUPS = Counter(
    "qianfa_backups_total",
    "Backups taken, by outcome (ok, failed).",
    ["outcome"],
    registry=REGISTRY,
)
REQUESTS = Counter(
    "qianfa_http_requests_total",
    "Web requests, by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "qianfa_http_request_duration_seconds",
    "Web request latency, by route template.",
    ["route"],
    registry=REGISTRY,
)

# Which part this process runs (run, web, bot, worker, cli): one per process, set at start.
_role = "cli"
# The web request or chat update being handled by the current task.
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("qianfa_request", default="")


def set_role(role: str) -> None:
    """Name the process's role for its log lines."""
    global _role
    _role = role


def exposition(figures: Iterable[tuple[str, str, dict[str, str], float]]) -> bytes:
    """The Prometheus text of this process's metrics followed by the database's figures."""
    registry = CollectorRegistry(auto_describe=False)
    gauges: dict[str, Gauge] = {}
    for name, help_text, labels, value in figures:
        if name not in gauges:
            gauges[name] = Gauge(name, help_text, sorted(labels), registry=registry)
        gauge = gauges[name]
        (gauge.labels(**labels) if labels else gauge).set(value)
    return generate_latest(REGISTRY) + generate_latest(registry)


Figure = tuple[str, str, dict[str, str], float]
# What each import kind fills: orgs, people, results, graduates, qualifications (pending
# matches), grades; employment is a column of graduate.
IMPORTED = ("org", "person", "exam_result", "graduate", "qualification_pending", "graduate_grade")


async def database_figures(store: Any, now: datetime) -> list[Figure]:
    """Queue depths, work waiting, acts by status and the audit log's length, read now."""
    figures: list[Figure] = []
    depth = "qianfa_outbox_depth"
    depth_help = "Outbox messages not sent yet (pending or being sent), per channel."
    oldest = "qianfa_outbox_oldest_seconds"
    oldest_help = "Age of the oldest message not sent yet, per channel."
    settled = "qianfa_outbox_messages"
    settled_help = "Outbox messages by channel and status (all processes, whole history)."
    for row in await store._all(
        "SELECT channel, status, COUNT(*), MIN(created_at), SUM(attempts) FROM outbox"
        " GROUP BY channel, status"
    ):
        channel, status, count = str(row[0]), str(row[1]), float(row[2])
        figures.append((settled, settled_help, {"channel": channel, "status": status}, count))
        if status in ("pending", "sending"):
            figures.append((depth, depth_help, {"channel": channel, "status": status}, count))
            age = (now - datetime.fromisoformat(str(row[3]))).total_seconds()
            figures.append((oldest, oldest_help, {"channel": channel, "status": status}, age))
    for row in await store._all(
        "SELECT channel, SUM(attempts - 1) FROM outbox WHERE attempts > 1 GROUP BY channel"
    ):
        figures.append(
            (
                "qianfa_outbox_retries",
                "Send attempts beyond the first, per channel (whole history).",
                {"channel": str(row[0])},
                float(row[1]),
            )
        )
    for row in await store._all("SELECT status, COUNT(*) FROM certificate_job GROUP BY status"):
        figures.append(
            (
                "qianfa_certificate_jobs",
                "Certificate render jobs by status (pending: waiting to be rendered).",
                {"status": str(row[0])},
                float(row[1]),
            )
        )
    acts = "qianfa_acts"
    acts_help = "X-certificate records and graduation items by workflow and status."
    for row in await store._all("SELECT status, COUNT(*) FROM record GROUP BY status"):
        figures.append((acts, acts_help, {"workflow": "xcert", "status": str(row[0])}, row[1]))
    for row in await store._all("SELECT status, COUNT(*) FROM grad_item GROUP BY status"):
        figures.append((acts, acts_help, {"workflow": "graduation", "status": str(row[0])}, row[1]))
    for table in IMPORTED:
        row = await store._one(f"SELECT COUNT(*) FROM {table}")
        figures.append(
            (
                "qianfa_imported_rows",
                "Rows of the tables imports fill, per kind (their growth is the rows imported).",
                {"kind": table},
                float(row[0]),
            )
        )
    row = await store._one("SELECT COUNT(*) FROM certificate WHERE sha256 IS NOT NULL")
    figures.append(
        ("qianfa_certificates", "Certificate PDFs rendered (all processes).", {}, float(row[0]))
    )
    row = await store._one("SELECT COUNT(*) FROM audit")
    figures.append(("qianfa_audit_entries", "Entries in the audit log.", {}, float(row[0])))
    return figures


def pool_figures(driver: Any) -> list[Figure]:
    """The PostgreSQL connection pool's use in this process (none for SQLite)."""
    pool = getattr(driver, "pool", None)
    if pool is None:
        return []
    stats = pool.get_stats()
    help_text = "Connection pool of this process: size, available and waiting requests."
    return [
        ("qianfa_db_pool", help_text, {"figure": name}, float(stats.get(key, 0)))
        for name, key in (
            ("size", "pool_size"),
            ("available", "pool_available"),
            ("waiting", "requests_waiting"),
            ("max", "pool_max"),
        )
    ]


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, process role, request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "role": _role,
            "pid": os.getpid(),
        }
        if request := REQUEST_ID.get():
            entry["request"] = request
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


# Tokens that are not settings but show up in URLs: WeCom's access token, OAuth codes.
_URL_SECRETS = re.compile(r"((?<![A-Za-z_])(?:access_token|code|secret|corpsecret)=)[^&\s\"']+")


class SecretsFilter(logging.Filter):
    """Replaces the values of the settings' secrets (tokens, keys) in every record with ***, and
    tokens passed in URLs (access_token=…)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Short values would match too much: every secret we generate or WeCom issues is longer.
        self.secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _URL_SECRETS.sub(r"\1***", message)
        for secret in self.secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True
