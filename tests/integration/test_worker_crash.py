"""Three workers sharing the jobs, one killed with SIGKILL again and again while rendering:
nothing lost, nothing twice, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from issuance.core.settings import load_settings, write_initial_config
from issuance.store import Store
from issuance.xcert.service import Issuance
from tests.databases import raw
from tests.workload import confirmed_records

# Enough work that the kills land mid-way even when the renderer is fast and the machine idle.
RECORDS = 1000
KILLS = 6
WORKERS = 3
REPO = Path(__file__).resolve().parents[2]


def _done(database: Path | str) -> int:
    with raw(database) as execute:
        return int(execute("SELECT COUNT(*) FROM certificate")[0][0])


def _start(
    home: Path, database: str, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QIANFA_DATABASE_URL": database,
        "QIANFA_WORKER_RENDER_LEASE_SECONDS": "1",
        "QIANFA_WORKER_RENDER_PROCESSES": "1",
        "QIANFA_WORKER_TICK_SECONDS": "0.2",
        **(extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "worker", "--home", str(home)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes the render pool along
    )


def _wait_for(condition, deadline_s: float = 120) -> None:  # type: ignore[no-untyped-def]
    # A safety net against hanging forever, not a timing assertion.
    give_up = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < give_up, "the workers made no progress"
        time.sleep(0.02)


async def _confirmed_home(tmp_path: Path, database: str) -> tuple[str, int]:
    """A home whose database holds RECORDS confirmed records (and the demo's): its database's
    location and how many certificates are due."""
    write_initial_config(tmp_path)  # the worker refuses to start without a secret key
    settings = replace(load_settings(tmp_path, environ={}), database_url=database)
    store = await Store.open(settings.database)
    await confirmed_records(Issuance(store, settings), RECORDS)
    await store.close()
    return settings.database, RECORDS + 14


async def test_killed_workers_resume_without_losing_duplicating_or_half_writing(
    tmp_path: Path, database: str
) -> None:
    location, total = await _confirmed_home(tmp_path, database)
    rng = random.Random(5)

    # WORKERS processes share the jobs; each round one of them is killed mid-way.
    workers: list[subprocess.Popen[bytes]] = []
    for _ in range(KILLS):
        before = _done(location)
        if before >= total - 50:
            break
        workers += [_start(tmp_path, database) for _ in range(WORKERS - len(workers))]
        _wait_for(lambda before=before: _done(location) > before)
        time.sleep(rng.uniform(0, 0.15))
        victim = workers.pop(rng.randrange(len(workers)))
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
    assert _done(location) < total, "the kills came too late to interrupt anything"

    workers += [_start(tmp_path, database) for _ in range(WORKERS - len(workers))]
    _wait_for(lambda: _done(location) == total)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    assert [worker.wait(timeout=60) for worker in workers] == [0] * WORKERS

    with raw(location) as execute:
        rows = execute("SELECT record_id, path, sha256, size FROM certificate")
        confirmed = {r[0] for r in execute("SELECT id FROM record WHERE status = '确认签发'")}
        jobs = dict(execute("SELECT status, COUNT(*) FROM certificate_job GROUP BY status"))
        retried = execute("SELECT COUNT(*) FROM certificate_job WHERE attempts > 1")[0][0]
    assert sorted(r[0] for r in rows) == sorted(confirmed) and len(rows) == total
    assert jobs == {"done": total}
    assert retried > 0, "no certificate was interrupted mid-way"
    on_disk = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf"))
    assert on_disk == sorted(r[1] for r in rows)
    assert [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []
    for _, path, sha256, size in rows:
        data = (tmp_path / path).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha256
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


async def test_workers_at_once_claim_each_certificate_exactly_once(
    tmp_path: Path, database: str
) -> None:
    """No kills, leases long enough: a job claimed by two workers would show two attempts."""
    write_initial_config(tmp_path)
    settings = replace(load_settings(tmp_path, environ={}), database_url=database)
    store = await Store.open(settings.database)
    await confirmed_records(Issuance(store, settings), RECORDS // 3)
    await store.close()
    total = RECORDS // 3 + 14
    env_lease = {"QIANFA_WORKER_RENDER_LEASE_SECONDS": "600"}
    workers = [_start(tmp_path, database, env_lease) for _ in range(WORKERS)]
    _wait_for(lambda: _done(settings.database) == total)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    assert [worker.wait(timeout=60) for worker in workers] == [0] * WORKERS
    with raw(settings.database) as execute:
        attempts = execute("SELECT attempts, COUNT(*) FROM certificate_job GROUP BY attempts")
    assert attempts == [(1, total)]


async def test_a_worker_stopped_mid_run_leaves_no_temporary_file_and_loses_nothing(
    tmp_path: Path, database: str
) -> None:
    """SIGTERM while rendering, again and again: the worker ends cleanly and leaves no temporary
    file behind (looked for before the next start, whose sweep would hide them); the next runs
    render the rest, each certificate once."""
    location, total = await _confirmed_home(tmp_path, database)
    rng = random.Random(7)
    stops = 0
    for _ in range(KILLS):
        before = _done(location)
        if before >= total - 50:
            break
        worker = _start(tmp_path, database)
        _wait_for(lambda before=before: _done(location) > before)
        time.sleep(rng.uniform(0, 0.15))
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
        stops += 1
        assert [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []
    assert stops and _done(location) < total, "the stops came too late to interrupt anything"

    worker = _start(tmp_path, database)
    _wait_for(lambda: _done(location) == total)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0
    with raw(location) as execute:
        rows = execute("SELECT record_id, path, sha256, size FROM certificate")
        jobs = dict(execute("SELECT status, COUNT(*) FROM certificate_job GROUP BY status"))
    assert len({r[0] for r in rows}) == len(rows) == total and jobs == {"done": total}
    on_disk = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf"))
    assert on_disk == sorted(r[1] for r in rows)
    assert [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []
    for _, path, sha256, size in rows:
        data = (tmp_path / path).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha256
