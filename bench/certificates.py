"""Certificates end to end (database → PDF on disk → database) with 2 render processes.

Run from the repository root: `.venv/bin/python -m bench.certificates [COUNT ...]` (default 1000
and 10000). Each count runs in a fresh process on a fresh home; prints certificates per second in
total and per render process, and the peak resident memory of the worker and of each render process
(sampled during the run, so a leak shows as a higher peak for the larger count).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from issuance.service import Issuance
from issuance.settings import load_settings
from issuance.store import Store
from tests.workload import confirmed_records
from worker.jobs import render_certificates
from worker.serve import render_pool

PROCESSES = 2


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


async def _measure(count: int, home: Path) -> str:
    settings = load_settings(
        home, environ={"QIANFA_WORKER_RENDER_PROCESSES": str(PROCESSES), "QIANFA_SECRET_KEY": "x"}
    )
    store = await Store.open(settings.database_path)
    try:
        await confirmed_records(Issuance(store, settings), count - 14)
        pool = render_pool(settings)
        # Start the processes (import, font registration) before the clock starts.
        pids = {f.result() for f in [pool.submit(os.getpid) for _ in range(PROCESSES * 4)]}
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
        f"{count / elapsed / PROCESSES:4.0f}/s per core ({PROCESSES} processes), "
        f"{size:.0f} KiB each; peak RSS worker {sampler.peak_self:.0f} MiB, "
        f"render process {sampler.peak_child:.0f} MiB"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        with tempfile.TemporaryDirectory(prefix="qianfa-bench-") as home:
            print(asyncio.run(_measure(int(sys.argv[2]), Path(home))), flush=True)
        return
    counts = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"cores: {os.cpu_count()}; end to end: database → PDF on disk (fsync) → database")
    for count in counts:
        command = [sys.executable, "-m", "bench.certificates", "--one", str(count)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
