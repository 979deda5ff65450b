"""Broadcast a pending-list notice to 5,000 bound school heads through a Bot API on loopback that
enforces Telegram's limits (30 messages/s overall, 1/s per chat; 429 with retry_after beyond).

Prints the achieved rate (target: at least 95% of 30/s), the 429s met, and proves nothing was
lost or sent twice. Run from the repository root: `.venv/bin/python -m bench.broadcast [N]`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bot.telegram.app import running
from issuance.chat.actions import Broadcast, pack
from issuance.core.people import Channel
from issuance.core.settings import Secret, Settings
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.service import Issuance
from tests.fakebot import FakeBotServer, RateLimits, User

SCHOOLS = 5000
LIMIT = 30.0
FIRST_CHAT = 10_000_000


async def add_schools(store: Store, count: int) -> None:
    """`count` schools, each with a bound head and one student in the demo plan's pending list."""
    plan = await store.plan(demo.PLAN)
    assert plan is not None
    now = store.now_iso()
    async with store.transaction():
        db = store._db  # bulk set-up straight in SQL: not what is measured
        for n in range(count):
            org = await store._insert(
                "INSERT INTO org (code, name, kind) VALUES (?, ?, '试点院校') RETURNING id",
                (f"B{n:08d}", f"压测学院{n}"),
            )
            person = await store._insert(
                "INSERT INTO person (name, phone, org_id, role) VALUES (?, ?, ?, '负责人')"
                " RETURNING id",
                (f"校长{n}", f"170{n:08d}", org),
            )
            await db.execute(
                "INSERT INTO chat_account (channel, account, person_id, language, bound_at)"
                " VALUES ('telegram', ?, ?, 'zh', ?)",
                (str(FIRST_CHAT + n), person, now),
            )
            student = await store._insert(
                "INSERT INTO student (id_number, name, student_type, school_id)"
                " VALUES (?, ?, '院校学生', ?) RETURNING id",
                (f"BENCH{n:013d}", f"学生{n}", org),
            )
            result = await store._insert(
                "INSERT INTO exam_result (student_id, plan_id, site_id, passed)"
                " VALUES (?, ?, ?, 1) RETURNING id",
                (student, plan.id, org),
            )
            batch = await store._insert(
                "INSERT INTO batch (plan_id, site_id, created_at) VALUES (?, ?, ?) RETURNING id",
                (plan.id, org, now),
            )
            await db.execute(
                "INSERT INTO record (batch_id, result_id, cert_no, status, updated_at)"
                " VALUES (?, ?, ?, '培训评价组织待签发', ?)",
                (batch, result, f"9{n:022d}", now),
            )


async def run(count: int) -> int:
    with FakeBotServer().running() as server, tempfile.TemporaryDirectory() as home:
        api = server.new_bot()
        api.rate_limits = RateLimits(per_second=int(LIMIT), per_chat_interval=1.0)
        settings = Settings(
            home=Path(home),
            telegram_token=Secret(api.token),
            telegram_base_url=api.base_url,
            telegram_base_file_url=api.base_file_url,
        )
        store = await Store.open(settings.database_path)
        issuance = Issuance(store, settings)
        invites = await demo.load(issuance)
        await add_schools(store, count)
        evaluator = User(1, "签发人")
        await issuance.bind(invites[0].code, Channel.TELEGRAM, str(evaluator.id), "zh")
        async with running(settings, store):
            api.send_command(evaluator, "broadcast")
            menu = await api.next_message(evaluator.id, timeout=30)
            api.tap(evaluator, menu, pack(Broadcast(plan=1)))
            progress = await api.next_message(evaluator.id, timeout=30)
            started = time.monotonic()
            final = progress
            while not (final.text or "").startswith("通知完成"):
                final = await api.next_message(evaluator.id, timeout=count / 10)
            elapsed = time.monotonic() - started
        sends = [c for c in api.calls_to("sendMessage") if int(c.params["chat_id"]) >= FIRST_CHAT]
        refused = sum(1 for c in sends if c.status == 429)
        delivered = {chat: n for chat, n in api.stats.accepted.items() if chat >= FIRST_CHAT}
        statuses = await store._all(
            "SELECT status, COUNT(*) FROM outbox WHERE broadcast_id IS NOT NULL GROUP BY status"
        )
        retried = await store._all(
            "SELECT attempts, last_error FROM outbox WHERE broadcast_id IS NOT NULL"
            " AND last_error IS NOT NULL"
        )
        first, last = (
            await store._all(
                "SELECT MIN(sent_at), MAX(sent_at) FROM outbox WHERE broadcast_id IS NOT NULL"
            )
        )[0]
        await store.close()
    lost = count - len(delivered)
    twice = sum(1 for n in delivered.values() if n > 1)
    span = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    rate = (len(delivered) - 1) / span
    print(
        f"broadcast to {count} bound users: {elapsed:.1f} s from the progress message to the"
        f" final report ({len(delivered) / elapsed:.2f} messages/s end to end)"
    )
    print(
        f"sending rate, first to last notification: {rate:.2f} messages/s"
        f" ({rate / LIMIT:.1%} of the {LIMIT:.0f}/s limit)"
    )
    print(
        f"429 answers met: {refused}, each retried after retry_after "
        f"({len(sends) - refused} accepted sends)"
    )
    print(f"lost: {lost}, sent twice: {twice}, outbox: {dict((r[0], r[1]) for r in statuses)}")
    print(f"rows tried more than once: {len(retried)} {[tuple(r) for r in retried[:5]]}")
    print(f"final report: {final.text}")
    ok = lost == 0 and twice == 0 and len(sends) - refused == count
    return 0 if ok and rate >= 0.95 * LIMIT else 1


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else SCHOOLS
    raise SystemExit(asyncio.run(run(count)))


if __name__ == "__main__":
    main()
