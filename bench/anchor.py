"""What anchoring the audit chain costs: audit appends with and without the anchor (keyed MAC,
signed head file written and fsynced after each commit), `qianfa audit verify`-style checks, and
the start-up `PRAGMA quick_check` (and `audit verify`'s integrity_check) on a 300,000-record file.

Run from the repository root: `.venv/bin/python -m bench.anchor [APPENDS]`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from issuance.core.audit import AuditEntry, first_broken
from issuance.core.settings import load_settings, write_initial_config
from issuance.store import Store
from issuance.store.opening import open_store

APPENDS = 2_000


async def _appends(store: Store, count: int) -> float:
    start = time.perf_counter()
    for n in range(count):
        await store.append_audit(AuditEntry(store.now_iso(), "admin", "bench", f"n:{n}"))
    return time.perf_counter() - start


async def bench(folder: Path, count: int) -> None:
    plain = await Store.open(folder / "plain.db")
    elapsed = await _appends(plain, count)
    print(f"unanchored: {count} appends, one commit each: {count / elapsed:,.0f}/s")
    await plain.close()

    write_initial_config(folder)
    settings = load_settings(folder, environ={})
    store = await open_store(settings, create=True)
    elapsed = await _appends(store, count)
    print(f"anchored:   {count} appends, one commit each: {count / elapsed:,.0f}/s")
    start = time.perf_counter()
    async with store.transaction():
        for n in range(count):
            await store.append_audit(AuditEntry(store.now_iso(), "admin", "bench", f"m:{n}"))
    elapsed = time.perf_counter() - start
    print(f"anchored:   {count} appends in one transaction: {count / elapsed:,.0f}/s")

    start = time.perf_counter()
    entries = await store.audit_entries()
    assert first_broken(entries) is None and store.anchor is not None
    assert store.anchor.problem(entries, await store.audit_macs()) is None
    elapsed = time.perf_counter() - start
    print(f"verify:     chain + MACs + head of {len(entries)} entries: {elapsed:.3f} s")
    start = time.perf_counter()
    assert await store.page_problems(full=True) == []
    print(f"verify:     integrity_check: {time.perf_counter() - start:.3f} s")
    await store.close()


async def page_checks(folder: Path, records: int = 300_000) -> None:
    """Time the page checks on a database of `records` issuance-record-sized rows."""
    path = folder / "big.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, cert TEXT UNIQUE, name TEXT, body TEXT)")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO r (cert, name, body) VALUES (?, ?, ?)",
        ((f"{n:023d}", "张三丰", "x" * 200) for n in range(records)),
    )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    store = await Store.open(path)
    size = path.stat().st_size / 2**20
    for full in (False, True):
        start = time.perf_counter()
        assert await store.page_problems(full=full) == []
        name = "integrity_check" if full else "quick_check"
        print(f"{name}: {size:.0f} MiB, {records:,} rows: {time.perf_counter() - start:.3f} s")
    await store.close()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else APPENDS
    with tempfile.TemporaryDirectory(prefix="qianfa-bench-") as folder:
        asyncio.run(bench(Path(folder), count))
        asyncio.run(page_checks(Path(folder)))


if __name__ == "__main__":
    main()
