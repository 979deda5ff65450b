"""Certificates end to end (database → PDF on disk → database), 1 and 2 render processes.

Run from the repository root: `.venv/bin/python -m bench.certificates [COUNT ...]` (default 1000
and 10000 with 2 processes, after 1000 with 1 process). Each run is a fresh process on a fresh
home; prints certificates per second in total and per render process, and the peak resident memory
of the worker and of each render process (sampled during the run, so a leak shows as a higher peak
for the larger count). It first prints how well this machine's cores scale (two CPU-bound processes
against one), since "per core" means little where two cores do not give twice the work.

`--compare [--quick]`: the worker with one render process (database → PDF on disk, fsync →
database) against the renderer alone, on SQLite and on PostgreSQL, 5 rounds (quick: 3). Each
round is a fresh home of 1,000 (quick: 300) confirmed records, and both sides do its records: the
reference renders the certificates the worker would render (the same stamps, fonts and
verification links) and writes each PDF beside the worker's, in the same folder under another
name (`_renderer_rate` says why); both are warmed by one certificate before the clock; who goes
first alternates; medians of the rounds. The target is on certificates per CPU second (the
worker's process and its render process together; PostgreSQL's server not counted), the wall
clock is shown beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from pathlib import Path
from typing import NamedTuple

from bench.compare import ROUNDS, Row, report
from issuance.core.records import CertificateClaim, RecordFilter
from issuance.core.settings import Settings, load_settings
from issuance.core.vocabulary import XStatus
from issuance.formats.certificate import load_template, render
from issuance.store import Store
from issuance.store.opening import open_store
from issuance.xcert.publishing import RenderTask
from issuance.xcert.service import Issuance
from tests.databases import fresh_database, postgres_server
from tests.workload import confirmed_records
from worker.jobs import render_certificates, render_tasks
from worker.serve import render_pool

PROCESSES = 2
_BURN = 5_000_000


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class _Sampler(threading.Thread):
    """Peak RSS of this process and of each render process, sampled every 50 ms."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_self = 0.0
        self.peak_child = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.peak_self = max(self.peak_self, _rss_mib(os.getpid()))
            self.peak_child = max([self.peak_child, *(_rss_mib(pid) for pid in self.pids)])


def _burn(_: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(_BURN):
        total += i * i
    return time.perf_counter() - start


def core_scaling() -> float:
    """Work done by two CPU-bound processes relative to one (2.0 = two real cores)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        alone = min(pool.submit(_burn, 0).result() for _ in range(2))
        start = time.perf_counter()
        list(pool.map(_burn, [0, 0]))
        together = time.perf_counter() - start
    return 2 * alone / together


async def _measure(count: int, home: Path, processes: int) -> str:
    settings = load_settings(
        home, environ={"QIANFA_WORKER_RENDER_PROCESSES": str(processes), "QIANFA_SECRET_KEY": "x"}
    )
    store = await Store.open(settings.database_path)
    try:
        await confirmed_records(Issuance(store, settings), count - 14)
        pool = render_pool(settings)
        # Start the processes (import, font registration) before the clock starts.
        pids = {f.result() for f in [pool.submit(os.getpid) for _ in range(processes * 4)]}
        sampler = _Sampler(sorted(pids))
        sampler.start()
        start = time.perf_counter()
        made = await render_certificates(store, settings, pool)
        elapsed = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
        pool.shutdown()
        files = await store.certificate_files()
        assert made == count == len(files), (made, count, len(files))
        size = sum(f.size for f in files) / len(files) / 1024
    finally:
        await store.close()
    return (
        f"{count:>6} certificates: {elapsed:6.1f} s, {count / elapsed:5.0f}/s in total, "
        f"{count / elapsed / processes:4.0f}/s per core ({processes} processes), "
        f"{size:.0f} KiB each; peak RSS worker {sampler.peak_self:.0f} MiB, "
        f"render process {sampler.peak_child:.0f} MiB"
    )


async def _confirmed_home(count: int, home: Path, database_url: str) -> Settings:
    """A home whose database holds `count` confirmed records (the demo's 14 among them)."""
    environ = {"QIANFA_WORKER_RENDER_PROCESSES": "1", "QIANFA_SECRET_KEY": "x"}
    if database_url:
        environ["QIANFA_DATABASE_URL"] = database_url
    settings = load_settings(home, environ=environ)
    store = await Store.open(settings.database)
    try:
        await confirmed_records(Issuance(store, settings), count - 14)
    finally:
        await store.close()
    return settings


async def _render_tasks(settings: Settings) -> list[RenderTask]:
    """What the worker will render for the home's confirmed records, built as the worker does."""
    store = await Store.open(settings.database)
    try:
        records = await store.records(RecordFilter(status=XStatus.CONFIRMED))
        return await render_tasks(store, settings, [CertificateClaim(r.id, 1) for r in records])
    finally:
        await store.close()


class _Rates(NamedTuple):
    """Certificates per second of wall clock, and per second of CPU time of every process."""

    wall: float
    cpu: float


async def _end_to_end_rate(settings: Settings, warm: RenderTask) -> _Rates:
    """Certificates through the worker with one render process, database to disk, on the store
    opened as `qianfa worker` opens it (checked, anchored, WAL synced at commit); its CPU time is
    the worker's process and its render process together."""
    store = await open_store(settings)
    try:
        pool = render_pool(settings)
        template = load_template(settings.certificate_template_path)
        # The process started (import, font registration) and warmed by one certificate, as the
        # renderer alone is, before the clock.
        pool.submit(render, warm.view, template).result()
        count = len(await store.records(RecordFilter(status=XStatus.CONFIRMED)))
        pool_cpu = pool.submit(time.process_time).result()
        start, cpu = time.perf_counter(), time.process_time()
        made = await render_certificates(store, settings, pool)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        cpu += pool.submit(time.process_time).result() - pool_cpu
        pool.shutdown()
    finally:
        await store.close()
    assert made == count, (made, count)
    return _Rates(count / elapsed, count / cpu)


def _renderer_rate(settings: Settings, tasks: list[RenderTask]) -> _Rates:
    """The renderer alone on the worker's certificates, each PDF written (not fsynced) beside the
    worker's, under another name: the same work with no database, no render process, no
    durability.

    The same folder, not another one of the same disk: on ext4 creating a file costs what its
    folder's block group makes it cost (0.04 ms in one folder, 0.85 ms in its sibling, measured
    in one home; a group that has had many files deleted lately is searched past them), as much as
    a fifth of a certificate's CPU time, and a folder's group is the file system's choice.
    """
    template = load_template(settings.certificate_template_path)
    render(tasks[0].view, template)
    start, cpu = time.perf_counter(), time.process_time()
    for task in tasks:
        path = settings.home / task.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_name(f"reference-{path.name}").write_bytes(render(task.view, template))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return _Rates(len(tasks) / elapsed, len(tasks) / cpu)


def _round(count: int, database_url: str, worker_first: bool) -> tuple[_Rates, _Rates]:
    """One round on a fresh home: (the renderer alone, the worker) on the same records."""
    with tempfile.TemporaryDirectory(prefix="qianfa-bench-") as folder:
        settings = asyncio.run(_confirmed_home(count, Path(folder), database_url))
        tasks = asyncio.run(_render_tasks(settings))
        if worker_first:
            through = asyncio.run(_end_to_end_rate(settings, tasks[0]))
            alone = _renderer_rate(settings, tasks)
        else:
            alone = _renderer_rate(settings, tasks)
            through = asyncio.run(_end_to_end_rate(settings, tasks[0]))
    return alone, through


def _compare_on(
    name: str, count: int, rounds: int, database: Callable[[], ContextManager[str]]
) -> list[Row]:
    """Medians of alternating rounds (who goes first alternates too), each on a fresh database.

    The target is on CPU time: on a shared machine the wall clock favours whoever runs more
    threads (the worker's two processes get twice the reference's share of a busy CPU), so the
    wall clock is shown beside it. PostgreSQL's server process is not counted in the CPU time."""
    alone: list[_Rates] = []
    through: list[_Rates] = []
    for index in range(rounds):
        with database() as url:
            theirs, ours = _round(count, url, worker_first=index % 2 == 1)
        alone.append(theirs)
        through.append(ours)
    label = f"certificates end to end (worker, 1 render process), {name}"
    reference = "the renderer alone"
    return [
        Row(
            f"{label}, per CPU second", reference, statistics.median(r.cpu for r in alone),
            statistics.median(r.cpu for r in through), "/s", at_least=0.9,
        ),
        Row(
            f"{label}, wall clock", reference, statistics.median(r.wall for r in alone),
            statistics.median(r.wall for r in through), "/s",
        ),
    ]  # fmt: skip


def compare(quick: bool) -> int:
    """The worker end to end (1 render process) against the renderer alone on the same records,
    on SQLite and on PostgreSQL (QIANFA_TEST_DATABASE_URL's server, else a throwaway cluster)."""
    count = 300 if quick else 1000
    # The ratio moves by ±0.07 from round to round on the shared machine: five rounds unless quick.
    rounds = ROUNDS if quick else 5
    rows = _compare_on("SQLite", count, rounds, lambda: contextlib.nullcontext(""))
    with postgres_server() as server:
        rows += _compare_on("PostgreSQL", count, rounds, lambda: fresh_database(server))
    return report(rows)


def main() -> None:
    if "--compare" in sys.argv:
        raise SystemExit(compare("--quick" in sys.argv))
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        with tempfile.TemporaryDirectory(prefix="qianfa-bench-") as home:
            result = asyncio.run(_measure(int(sys.argv[2]), Path(home), int(sys.argv[3])))
            print(result, flush=True)
        return
    runs = [(int(a), PROCESSES) for a in sys.argv[1:]] or [
        (1000, 1),
        (1000, PROCESSES),
        (10000, PROCESSES),
    ]
    print(
        f"cores: {os.cpu_count()}, two processes do {core_scaling():.2f}x the work of one; "
        "end to end: database → PDF on disk (fsync) → database"
    )
    for count, processes in runs:
        command = [sys.executable, "-m", "bench.certificates", "--one", str(count), str(processes)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
