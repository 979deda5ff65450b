"""The worker killed with SIGKILL again and again while rendering: nothing lost, nothing twice."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from issuance.core.settings import load_settings, write_initial_config
from issuance.store import Store
from issuance.xcert.service import Issuance
from tests.workload import confirmed_records

RECORDS = 300
KILLS = 6
REPO = Path(__file__).resolve().parents[2]


def _done(database: Path) -> int:
    with sqlite3.connect(database, timeout=15) as db:
        return int(db.execute("SELECT COUNT(*) FROM certificate").fetchone()[0])


def _start(home: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QIANFA_WORKER_RENDER_LEASE_SECONDS": "1",
        "QIANFA_WORKER_TICK_SECONDS": "0.2",
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
        assert time.monotonic() < give_up, "the worker made no progress"
        time.sleep(0.02)


async def test_killed_worker_resumes_without_losing_duplicating_or_half_writing(
    tmp_path: Path,
) -> None:
    write_initial_config(tmp_path)  # the worker refuses to start without a secret key
    settings = load_settings(tmp_path, environ={})
    store = await Store.open(settings.database_path)
    await confirmed_records(Issuance(store, settings), RECORDS)
    await store.close()
    database = settings.database_path
    total = RECORDS + 14
    rng = random.Random(5)

    for _ in range(KILLS):
        before = _done(database)
        if before >= total - 50:
            break
        worker = _start(tmp_path)
        _wait_for(lambda before=before: _done(database) > before)
        time.sleep(rng.uniform(0, 0.15))
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert _done(database) < total, "the kills came too late to interrupt anything"

    worker = _start(tmp_path)
    _wait_for(lambda: _done(database) == total)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT record_id, path, sha256, size FROM certificate").fetchall()
        confirmed = {r[0] for r in db.execute("SELECT id FROM record WHERE status = '确认签发'")}
        jobs = dict(db.execute("SELECT status, COUNT(*) FROM certificate_job GROUP BY status"))
        retried = db.execute("SELECT COUNT(*) FROM certificate_job WHERE attempts > 1").fetchone()
    assert sorted(r[0] for r in rows) == sorted(confirmed) and len(rows) == total
    assert jobs == {"done": total}
    assert retried[0] > 0, "no certificate was interrupted mid-way"
    on_disk = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf"))
    assert on_disk == sorted(r[1] for r in rows)
    assert [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")] == []
    for _, path, sha256, size in rows:
        data = (tmp_path / path).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha256
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
