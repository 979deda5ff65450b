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
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from issuance.store.figures import Figure

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


def exposition(figures: Iterable[Figure]) -> bytes:
    """The Prometheus text of this process's metrics followed by the database's figures."""
    registry = CollectorRegistry(auto_describe=False)
    gauges: dict[str, Gauge] = {}
    for name, help_text, labels, value in figures:
        if name not in gauges:
            gauges[name] = Gauge(name, help_text, sorted(labels), registry=registry)
        gauge = gauges[name]
        (gauge.labels(**labels) if labels else gauge).set(value)
    return generate_latest(REGISTRY) + generate_latest(registry)


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
