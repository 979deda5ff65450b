"""Two bot processes on one database share Telegram's limits: queued notifications go out at the
limit (30 messages/s overall), not twice it, and none twice — SQLite and PostgreSQL side by side.

Only the process holding the outbox-sender lease sends; the other stands by. Prints the sending
rate (first to last sent), 429 answers met, messages lost or sent twice and who sent.
Run from the repository root: `.venv/bin/python -m bench.outbox [N]` (default 600 per backend).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.broadcast import FIRST_CHAT, add_schools
from issuance.core.settings import load_settings, write_initial_config
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.service import Issuance
from tests.databases import fresh_database, postgres_server
from tests.fakebot import FakeBotApi, FakeBotServer, RateLimits

LIMIT = 30
PROCESSES = 2


async def _prepare(home: Path, env: dict[str, str], count: int) -> None:
    settings = load_settings(home, environ=env)
    store = await Store.open(settings.database)
    try:
        await demo.load(Issuance(store, settings))
        await add_schools(store, count)
        heads = await store._all(
            "SELECT person_id FROM chat_account WHERE CAST(account AS INTEGER) >= ?",
            (FIRST_CHAT,),
        )
        await store.enqueue_many(
            [
                (row[0], "telegram", "message", {"text": f"考核通知 {n}"})
                for n, row in enumerate(heads)
            ],
            None,
        )
    finally:
        await store.close()


async def _outcome(home: Path, env: dict[str, str]) -> tuple[int, float, list[str]]:
    settings = load_settings(home, environ=env)
    store = await Store.open(settings.database)
    try:
        row = await store._one(
            "SELECT COUNT(*), MIN(sent_at), MAX(sent_at) FROM outbox WHERE status = 'sent'"
        )
        assert row is not None
        holders = [r[0] for r in await store._all("SELECT holder FROM lease")]
    finally:
        await store.close()
    sent, first, last = row[0], row[1], row[2]
    span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    return sent, (sent - 1) / span if span else 0.0, holders


async def _sent(home: Path, env: dict[str, str]) -> int:
    settings = load_settings(home, environ=env)
    store = await Store.open(settings.database)
    try:
        row = await store._one(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('sent', 'failed', 'unreachable')"
        )
        return int(row[0]) if row else 0
    finally:
        await store.close()


def measure(api: FakeBotApi, home: Path, database: str, count: int) -> str:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QIANFA_")},
        "QIANFA_DATABASE_URL": database,
        "QIANFA_TELEGRAM_TOKEN": api.token,
        "QIANFA_TELEGRAM_BASE_URL": api.base_url,
        "QIANFA_TELEGRAM_BASE_FILE_URL": api.base_file_url,
    }
    write_initial_config(home)
    settings_env = {k: v for k, v in env.items() if k.startswith("QIANFA_")}
    asyncio.run(_prepare(home, settings_env, count))
    bots = [
        subprocess.Popen(
            [sys.executable, "-m", "qianfa", "bot", "--home", str(home)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(home / f"bot{n}.log").open("wb"),  # kept with the home
        )
        for n in range(PROCESSES)
    ]
    try:
        give_up = time.monotonic() + count / LIMIT * 4 + 60
        while asyncio.run(_sent(home, settings_env)) < count and time.monotonic() < give_up:
            time.sleep(0.5)
        time.sleep(2)  # rows in flight settle
    finally:
        for bot in bots:
            bot.send_signal(signal.SIGTERM)
        for bot in bots:
            bot.wait(timeout=60)
    sent, rate, holders = asyncio.run(_outcome(home, settings_env))
    sends = [c for c in api.calls_to("sendMessage") if int(c.params["chat_id"]) >= FIRST_CHAT]
    refused = sum(1 for c in sends if c.status == 429)
    delivered = {chat: n for chat, n in api.stats.accepted.items() if chat >= FIRST_CHAT}
    twice = sum(1 for n in delivered.values() if n > 1)
    lost = count - len(delivered)
    return (
        f"{sent}/{count} sent at {rate:.1f} messages/s ({rate / LIMIT:.0%} of the {LIMIT}/s"
        f" limit) by {PROCESSES} bot processes; 429s met: {refused}; lost: {lost},"
        f" sent twice: {twice}; lease left: {holders or 'released'}"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    with (
        FakeBotServer().running() as server,
        postgres_server() as pg,
        tempfile.TemporaryDirectory(prefix="qianfa-bench-") as folder,
    ):
        for backend in ("sqlite", "postgresql"):
            api = server.new_bot()
            api.rate_limits = RateLimits(per_second=LIMIT, per_chat_interval=1.0)
            home = Path(folder) / backend
            if backend == "sqlite":
                print(f"SQLite:     {measure(api, home, '', count)}", flush=True)
            else:
                with fresh_database(pg) as url:
                    print(f"PostgreSQL: {measure(api, home, url, count)}", flush=True)


if __name__ == "__main__":
    main()
