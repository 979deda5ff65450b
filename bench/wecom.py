"""The WeCom channel against a loopback WeCom (tests/fakewecom.py): how fast callbacks are taken
in (verified, decrypted, stored, answered) and handled (a reply sent), and how fast messages go
out at WeCom's documented limits (10 000 calls a minute per API; 30 a minute per member).

Run from the repository root: `.venv/bin/python -m bench.wecom [CALLBACKS] [MESSAGES]`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.wecom.inbound import LEASE_NAME
from tests.fakewecom import FakeWeCom
from tests.wecomworld import wecom_world

IN_FLIGHT = 32


async def callbacks(fake: FakeWeCom, home: Path, count: int) -> None:
    """`count` members each send 帮助 (IN_FLIGHT requests in flight): first taken in while the
    handler is held off (its lease taken), then the backlog handled."""
    async with wecom_world(home, fake) as world:
        members = [f"bench{n:06d}" for n in range(count)]
        fake.members.update(members)
        queue = list(members)
        await world.store.take_lease(LEASE_NAME, "bench", timedelta(minutes=30))

        async def post_all() -> None:
            while queue:
                response = await fake.say(queue.pop(), "帮助")
                assert response.status_code == 200

        start = time.perf_counter()
        await asyncio.gather(*(post_all() for _ in range(IN_FLIGHT)))
        intake = time.perf_counter() - start
        await world.store.release_lease(LEASE_NAME, "bench")
        start = time.perf_counter()
        await fake.wait_for(lambda: True if len(fake.messages) >= count else None, timeout=600)
        handling = time.perf_counter() - start
        counts = await world.settled()
    print(f"callbacks: {count} from {count} members, {IN_FLIGHT} in flight")
    print(f"  verified + decrypted + stored + answered: {count / intake:8.1f}/s ({intake:.2f} s)")
    print(
        f"  handled from the database, reply sent:    {count / handling:8.1f}/s ({handling:.2f} s)"
    )
    print(f"  stored rows: {counts}; replies: {len(fake.messages)}")


async def outbound(fake: FakeWeCom, home: Path, count: int) -> None:
    """`count` queued notices to as many bound members, drained by the WeCom outbox sender."""
    async with wecom_world(home, fake) as world:
        store = world.store
        head = await store.person_by_ref("13800000002")
        assert head is not None
        members = [f"out{n:06d}" for n in range(count)]
        fake.members.update(members)
        now = store.now_iso()
        # bulk set-up straight in SQL: not what is measured
        async with store.transaction():
            for n, member in enumerate(members):
                person_id = await store._insert(
                    "INSERT INTO person (name, phone, org_id, role) VALUES (?, ?, ?, '业务管理员')"
                    " RETURNING id",
                    (f"干事{n}", f"171{n:08d}", head.org_id),
                )
                await store._db.execute(
                    "INSERT INTO chat_account (channel, account, person_id, language, bound_at)"
                    " VALUES ('wecom', ?, ?, 'zh', ?)",
                    (member, person_id, now),
                )
        people = [row[0] for row in await store._all("SELECT person_id FROM chat_account")]
        before = len(fake.messages)
        start = time.perf_counter()
        async with store.transaction():
            for person_id in people:
                await store._db.execute(
                    "INSERT INTO outbox (person_id, channel, kind, payload, not_before,"
                    " created_at) VALUES (?, 'wecom', 'message', ?, ?, ?)",
                    (person_id, '{"text": "【待签发提醒】考核站点待签发 47"}', now, now),
                )
        assert world.services is not None
        await fake.wait_for(
            lambda: True if len(fake.messages) - before >= len(people) else None, timeout=600
        )
        elapsed = time.perf_counter() - start
        limits = world.services.client.pace.limits
    limit = limits.per_minute / limits.minute
    print(f"outbound: {len(people)} queued notices to as many members, through the outbox")
    print(f"  rate: {len(people) / elapsed:8.1f}/s (WeCom's limit {limit:.1f}/s per API)")
    print(f"  delivered {len(fake.messages) - before}, dropped by WeCom {fake.stats.dropped}")


async def main(callback_count: int, message_count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        with FakeWeCom().running() as fake:
            await callbacks(fake, Path(folder) / "in", callback_count)
        with FakeWeCom().running() as fake:
            await outbound(fake, Path(folder) / "out", message_count)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(*(args + [1000, 2000][len(args) :])))
