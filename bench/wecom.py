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
from pathlib import Path

from channels.wecom.app import client_for
from tests.fakewecom import FakeWeCom
from tests.wecomworld import wecom_world

IN_FLIGHT = 32


async def callbacks(fake: FakeWeCom, home: Path, count: int) -> None:
    """`count` members each send 帮助 at once (IN_FLIGHT requests in flight)."""
    async with wecom_world(home, fake) as world:
        members = [f"bench{n:06d}" for n in range(count)]
        fake.members.update(members)
        queue = list(members)
        answered: list[float] = []

        async def post_all() -> None:
            while queue:
                member = queue.pop()
                response = await fake.say(member, "帮助")
                assert response.status_code == 200
                answered.append(time.perf_counter())

        start = time.perf_counter()
        await asyncio.gather(*(post_all() for _ in range(IN_FLIGHT)))
        stored = time.perf_counter() - start
        await fake.wait_for(lambda: True if len(fake.messages) >= count else None, timeout=600)
        handled = time.perf_counter() - start
        counts = await world.settled()
    print(f"callbacks: {count} from {count} members, {IN_FLIGHT} in flight")
    print(f"  verified + decrypted + stored + answered: {count / stored:8.1f}/s ({stored:.2f} s)")
    print(f"  ... and handled (reply sent to WeCom):    {count / handled:8.1f}/s ({handled:.2f} s)")
    print(f"  stored rows: {counts}; replies: {len(fake.messages)}")


async def outbound(fake: FakeWeCom, home: Path, count: int) -> None:
    """`count` messages to as many members, as fast as WeCom's limits let them go."""
    from tests.wecomworld import wecom_settings

    settings = wecom_settings(home, fake)
    client = client_for(settings)
    members = [f"out{n:06d}" for n in range(count)]
    fake.members.update(members)
    before = len(fake.messages)
    start = time.perf_counter()
    sem = asyncio.Semaphore(IN_FLIGHT)

    async def one(member: str) -> None:
        async with sem:
            await client.send_text(
                member, "【待签发提醒】辽宁示范船舶职业技术学院：考核站点待签发 47"
            )

    await asyncio.gather(*(one(m) for m in members))
    elapsed = time.perf_counter() - start
    await client.close()
    limit = client.pace.limits.per_minute / client.pace.limits.minute
    sent = len(fake.messages) - before
    print(f"outbound: {count} messages to {count} members")
    print(f"  rate: {count / elapsed:8.1f}/s (WeCom's limit {limit:.1f}/s per API)")
    print(f"  delivered {sent}, dropped by the per-member limit {fake.stats.dropped}")


async def main(callback_count: int, message_count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        with FakeWeCom().running() as fake:
            await callbacks(fake, Path(folder) / "in", callback_count)
        with FakeWeCom().running() as fake:
            await outbound(fake, Path(folder) / "out", message_count)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(*(args + [1000, 2000][len(args) :])))
