"""A notice is part of its act: a process killed right after the act's commit leaves the notice
queued, and the sender delivers it once after the restart; killed inside the act, neither the act
nor its notice is there. On SQLite and on PostgreSQL, through the fake Bot API."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.botworld import HEAD, World

REPO = Path(__file__).resolve().parents[3]


def _act_and_die(world: World, when: str) -> str:
    """Run the act in another process, killed with SIGKILL at `when`; what it printed."""
    settings = world.settings
    done = subprocess.run(
        [sys.executable, "-m", "tests.crash_act", str(settings.home), settings.database_url, when],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    return done.stdout


async def _outbox(world: World, person_id: int) -> list[tuple[str, str]]:
    rows = await world.store._all(
        "SELECT kind, status FROM outbox WHERE person_id = ? ORDER BY id", (person_id,)
    )
    return [(row[0], row[1]) for row in rows]


async def test_a_notice_committed_before_a_crash_is_delivered_once_after_restart(
    world: World,
) -> None:
    await world.bind(HEAD, 1)
    head = await world.store.person_by_ref("13800000002")
    assert head is not None
    assert _act_and_die(world, "after-commit") == "committed\n"
    assert await _outbox(world, head.id) == [("message", "pending")]
    async with world.bot():
        notice = await world.api.next_message(HEAD.id)
    assert notice.text is not None and notice.text.startswith("【学生信息待完善】")
    assert "2 项学生信息，截止日期 2030-12-01" in notice.text
    assert [b.text for row in notice.buttons for b in row] == ["查看并完善"]
    assert len(world.api.calls_to("sendMessage")) == 1
    assert await _outbox(world, head.id) == [("message", "sent")]


async def test_a_crash_inside_the_act_leaves_neither_the_act_nor_its_notice(world: World) -> None:
    head = await world.store.person_by_ref("13800000002")
    assert head is not None
    assert _act_and_die(world, "in-act") == ""
    assert await _outbox(world, head.id) == []
    assert await world.store.problems(site_id=head.org_id) == []
