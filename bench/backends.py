"""SQLite and PostgreSQL side by side: batch confirm of 10,000 records (against the same statements
run bare), the end-to-end certificate rate, and `db copy` of the whole database, audit checked.

Run from the repository root: `.venv/bin/python -m bench.backends [RECORDS] [CERTIFICATES]`
(default 10000 and 300). PostgreSQL: QIANFA_TEST_DATABASE_URL's server, else a throwaway cluster
(scripts/throwaway-postgres). Targets: PostgreSQL within 1.5× of SQLite; confirm within 2× of bare.

`--compare [--quick]`: one pending list of 100,000 records on each database; each round confirms
10,000 of them through the use case (the 签发人 confirms: records read and checked, moved, history,
audit) and runs the same statements bare on another 10,000 (the same reads with nothing made of
their rows, then `apply_signoff`'s set-based statements and audit entry), alternating, the
two databases taking turns within each round; 5 rounds, medians. SQLite waits for the disk as
often as the PostgreSQL server does (`synchronous=OFF` against `fsync=off`, as on the test server
and the throwaway cluster), and the line before the rows says which settings were compared.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psycopg

from bench.compare import Row, report
from issuance.core.audit import AuditEntry, first_broken
from issuance.core.records import RecordChange, RecordFilter
from issuance.core.settings import Settings, load_settings
from issuance.store import Store
from issuance.store.core import act_record_rows_sql
from issuance.store.driver import SqliteDriver
from issuance.store.transfer import copy_database
from issuance.xcert import demo
from issuance.xcert.importing import ResultRow
from issuance.xcert.service import Issuance
from tests.databases import fresh_database, postgres_server
from tests.workload import PLAN, confirmed_records, id_number, people
from worker.jobs import render_certificates
from worker.serve import render_pool

WAITING, NEXT = "培训评价组织待签发", "考核站点待签发"


async def _pending(issuance: Issuance, count: int) -> list[int]:
    """Demo data plus one pending list of `count` records; their ids."""
    store = issuance.store
    await demo.load(issuance)
    orgs = await store.orgs_by_code([demo.ISSUER[0], demo.SCHOOL[0]])
    issuer, school = orgs[demo.ISSUER[0]].id, orgs[demo.SCHOOL[0]].id
    await store.import_results(
        [
            ResultRow(f"学生{i}", id_number(i), "院校学生", school, demo.PROGRAM, "中级", issuer,
                      PLAN, school, 1)
            for i in range(count)
        ]
    )  # fmt: skip
    (batch,) = await issuance.create_lists(PLAN)
    return [r.id for r in await store.records(RecordFilter(batch_id=batch.id))]


async def confirm(settings: Settings, records: int) -> dict[str, float]:
    """Seconds for one batch confirm of `records` through the use case, and bare."""
    store = await Store.open(settings.database)
    try:
        issuance = Issuance(store, settings)
        ids = await _pending(issuance, 2 * records)
        evaluator, _, _ = await people(issuance)
        png = b"signature"
        digest = hashlib.sha256(png).hexdigest()
        signature = await store.add_signature(evaluator.id, png, digest, "")
        start = time.perf_counter()
        await issuance.confirm(evaluator, ids[:records], signature)
        through = time.perf_counter() - start
        # The same statements (records moved, history, one audit entry), with nothing loaded.
        changes = [RecordChange(i, WAITING, 1, NEXT, 1) for i in ids[records:]]
        audit = AuditEntry(store.now_iso(), f"person:{evaluator.id}", "bench", "records")
        start = time.perf_counter()
        await store.apply_signoff(
            changes, "培训评价组织", "confirm", evaluator.id, None, signature, audit, "确认签发"
        )
        bare = time.perf_counter() - start
    finally:
        await store.close()
    return {"confirm": through, "bare": bare}


def _vacuumed(url: str) -> None:
    """What autovacuum does to a PostgreSQL database within a minute or two of importing
    100,000 results, done before the rounds: measured meanwhile, its work on the new rows took
    the CPU from the acts (confirms up to 2× slower on the 2-core machine)."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def _process_cpu(pid: int) -> float:
    """User and system CPU seconds of a process of this host."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def certificates(settings: Settings, count: int) -> float:
    """Certificates per second, database → PDF on disk → database, 2 render processes."""
    store = await Store.open(settings.database)
    try:
        await confirmed_records(Issuance(store, settings), count)
        pool = render_pool(settings)
        for future in [pool.submit(sum, [1]) for _ in range(8)]:
            future.result()  # processes started before the clock
        start = time.perf_counter()
        made = await render_certificates(store, settings, pool)
        elapsed = time.perf_counter() - start
        pool.shutdown()
    finally:
        await store.close()
    return made / elapsed


async def copy(source_settings: Settings, target: Path | str) -> tuple[float, int, int]:
    """Seconds to copy the whole database to `target` (verified), rows copied, audit entries."""
    source = await Store.open(source_settings.database)
    destination = await Store.open(target)
    try:
        start = time.perf_counter()
        report = await copy_database(source, destination)
        elapsed = time.perf_counter() - start
        assert first_broken(await destination.audit_entries()) is None
    finally:
        await destination.close()
        await source.close()
    return elapsed, sum(report.tables.values()), report.audit_entries


async def run(records: int, count: int, server: str, folder: Path) -> None:
    results: dict[str, dict[str, float]] = {}
    for backend in ("sqlite", "postgresql"):
        figures: dict[str, float] = {}
        for part in ("confirm", "certificates"):
            home = folder / f"{backend}-{part}"
            settings = load_settings(
                home, environ={"QIANFA_SECRET_KEY": "x", "QIANFA_WORKER_RENDER_PROCESSES": "2"}
            )
            with _database(backend, server) as url:
                settings = replace(settings, database_url=url)
                if part == "confirm":
                    figures.update(await confirm(settings, records))
                    if backend == "sqlite":
                        with fresh_database(server) as target:
                            seconds, rows, entries = await copy(settings, target)
                        print(
                            f"db copy SQLite → PostgreSQL: {rows:,} rows in {seconds:.1f} s,"
                            f" audit chain of {entries} entries verified on the copy"
                        )
                else:
                    figures["certificates/s"] = await certificates(settings, count)
        results[backend] = figures
    sqlite, pg = results["sqlite"], results["postgresql"]
    print(f"{'':34}{'SQLite':>10}{'PostgreSQL':>12}{'PG/SQLite':>11}")
    for key, label in (
        ("confirm", f"batch confirm of {records:,} (s)"),
        ("bare", "same statements bare (s)"),
    ):
        print(f"{label:34}{sqlite[key]:10.3f}{pg[key]:12.3f}{pg[key] / sqlite[key]:10.2f}×")
    for name, figures in results.items():
        ratio = figures["confirm"] / figures["bare"]
        print(f"confirm / bare on {name}: {ratio:.2f}× (target ≤ 2×)")
    rate = "certificates/s"
    print(
        f"{'end-to-end certificates (/s)':34}{sqlite[rate]:10.1f}{pg[rate]:12.1f}"
        f"{sqlite[rate] / pg[rate]:10.2f}× slower"
    )


@contextmanager
def _database(backend: str, server: str) -> Iterator[str]:
    if backend == "sqlite":
        yield ""
        return
    with fresh_database(server) as url:
        yield url


CONFIRM_ROUNDS = 5


class _ConfirmRounds:
    """A pending list of `total` records on one database, confirmed `size` at a time."""

    def __init__(self, settings: Settings, total: int, size: int) -> None:
        self.settings, self.total, self.size = settings, total, size

    async def open(self) -> None:
        self.store = await Store.open(self.settings.database)
        self.issuance = Issuance(self.store, self.settings)
        self.ids = await _pending(self.issuance, self.total)
        self.evaluator, _, _ = await people(self.issuance)
        png = b"signature"
        self.signature = await self.store.add_signature(
            self.evaluator.id, png, hashlib.sha256(png).hexdigest(), ""
        )

    def _take(self) -> list[int]:
        taken, self.ids = self.ids[: self.size], self.ids[self.size :]
        return taken

    async def server_cpu(self) -> dict[int, float] | None:
        """CPU seconds used so far by each server process of this database, read from /proc
        (none on SQLite; None when the PostgreSQL server runs on another host)."""
        if self.store.dialect != "postgresql":
            return {}
        rows = await self.store._all(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend'"
        )
        try:
            return {row[0]: _process_cpu(row[0]) for row in rows}
        except OSError:
            return None

    async def confirm(self) -> tuple[float, float, float]:
        """Seconds for one confirm through the use case: of wall clock, of this process's CPU
        and of the database server's CPU (0 on SQLite, NaN when it cannot be read)."""
        ids = self._take()
        gc.collect()  # each act starts with the collector's counts at zero, both sides alike
        server = await self.server_cpu()
        start, cpu = time.perf_counter(), time.process_time()
        await self.issuance.confirm(self.evaluator, ids, self.signature)
        wall, own = time.perf_counter() - start, time.process_time() - cpu
        after = await self.server_cpu()
        if server is None or after is None:
            return wall, own, math.nan
        return wall, own, sum(seconds - server.get(pid, 0.0) for pid, seconds in after.items())

    async def bare(self) -> tuple[float, float]:
        """The statements a confirm runs, with nothing made of their rows: the records and their
        open problems read (raw rows), then moved with their history and the audit entry."""
        ids = self._take()
        changes = [RecordChange(i, WAITING, 1, NEXT, 1) for i in ids]
        audit = AuditEntry(self.store.now_iso(), f"person:{self.evaluator.id}", "bench", "records")
        store, driver = self.store, self.store.driver
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        async with store.transaction():
            await store._all(*act_record_rows_sql(driver, ids))
            for condition, params in driver.among("record_id", ids):
                await store._all(
                    "SELECT DISTINCT record_id FROM info_problem WHERE resolved_at IS NULL"
                    f" AND {condition}",
                    params,
                )
            await store.apply_signoff(
                changes, "培训评价组织", "confirm", self.evaluator.id, None, self.signature,
                audit, "确认签发",
            )  # fmt: skip
        return time.perf_counter() - start, time.process_time() - cpu


def _sqlite_synchronous(fsync: str, synchronous_commit: str) -> str:
    """SQLite's synchronous mode (WAL) that waits for the disk as often as a PostgreSQL server
    with these settings: never (fsync off), at checkpoints only (commits not waited for), or at
    every commit."""
    if fsync == "off":
        return "OFF"
    return "NORMAL" if synchronous_commit == "off" else "FULL"


async def _same_durability(rounds: _ConfirmRounds, server: str) -> None:
    """Make SQLite wait for the disk as often as the PostgreSQL server does, and say so."""
    with psycopg.connect(server) as connection:
        fsync, commit = (
            connection.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
            for name in ("fsync", "synchronous_commit")
        )
    mode = _sqlite_synchronous(fsync, commit)
    driver = rounds.store.driver
    assert isinstance(driver, SqliteDriver)
    await driver.db.execute(f"PRAGMA synchronous = {mode}")
    print(
        f"durability: PostgreSQL fsync={fsync}, synchronous_commit={commit};"
        f" SQLite (WAL) synchronous={mode}"
    )


Runs = dict[str, dict[str, list[tuple[float, ...]]]]


async def _measure(server: str, folder: Path) -> Runs:
    """Per database, the (wall clock, CPU…) seconds of each bare run and each confirm."""
    with _database("postgresql", server) as url:
        sides = {}
        for backend, database_url in (("sqlite", ""), ("postgresql", url)):
            settings = load_settings(folder / backend, environ={"QIANFA_SECRET_KEY": "x"})
            settings = replace(settings, database_url=database_url)
            sides[backend] = _ConfirmRounds(settings, 100_000, 10_000)
            await sides[backend].open()
        _vacuumed(url)
        try:
            await _same_durability(sides["sqlite"], server)
            runs: Runs = {backend: {"bare": [], "confirm": []} for backend in sides}
            # Both databases in each round, so that a busy minute on the machine falls on both.
            for _ in range(CONFIRM_ROUNDS):
                for backend, rounds in sides.items():
                    runs[backend]["bare"].append(await rounds.bare())
                    runs[backend]["confirm"].append(await rounds.confirm())
            return runs
        finally:
            for rounds in sides.values():
                await rounds.store.close()


async def _compare(server: str, folder: Path, quick: bool) -> int:
    runs = await _measure(server, folder)
    figures = {
        backend: [
            statistics.median(run[part] for run in measured[kind])
            for kind in ("bare", "confirm")
            for part in (0, 1)
        ]
        for backend, measured in runs.items()
    }
    label = "batch confirm of 10,000 of 100,000 records"
    # SQLite runs in this process: its CPU time is the work, which the other jobs on a shared
    # machine do not stretch as they stretch the wall clock. PostgreSQL works in its server.
    sqlite_bare, sqlite_bare_cpu, sqlite_confirm, sqlite_confirm_cpu = figures["sqlite"]
    pg_bare, _, pg_confirm, _ = figures["postgresql"]
    rows = [
        Row(f"{label}, SQLite, CPU time", "same statements bare", sqlite_bare_cpu,
            sqlite_confirm_cpu, "s", at_most=2),
        Row(f"{label}, SQLite, wall clock", "same statements bare", sqlite_bare,
            sqlite_confirm, "s"),
        Row(f"{label}, PostgreSQL", "same statements bare", pg_bare, pg_confirm, "s",
            at_most=2),
        Row(f"{label}, PostgreSQL", "SQLite", sqlite_confirm, pg_confirm, "s", at_most=1.5),
    ]  # fmt: skip
    # The same work in CPU seconds, which a busy machine does not stretch: this process and the
    # server's processes for PostgreSQL (when the server runs on this host) against SQLite's.
    pg_cpu = statistics.median(run[1] + run[2] for run in runs["postgresql"]["confirm"])
    if not math.isnan(pg_cpu):
        rows.append(
            Row(f"{label}, PostgreSQL, CPU time of client and server", "SQLite's CPU time",
                sqlite_confirm_cpu, pg_cpu, "s")
        )  # fmt: skip
    return report(rows)


def main() -> None:
    if "--compare" in sys.argv:
        with tempfile.TemporaryDirectory(prefix="qianfa-bench-") as folder, postgres_server() as pg:
            code = asyncio.run(_compare(pg, Path(folder), "--quick" in sys.argv))
        raise SystemExit(code)
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    with tempfile.TemporaryDirectory(prefix="qianfa-bench-") as folder, postgres_server() as server:
        asyncio.run(run(records, count, server, Path(folder)))


if __name__ == "__main__":
    main()
