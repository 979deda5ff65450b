"""Backups that restore: `qianfa db backup` archives (database, audit key and head, manifest),
`qianfa db restore` into an empty home or database with verification, the worker's schedule, and
a restore drill with backups taken while imports, confirmations and renders run."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from issuance.core.records import RecordFilter
from issuance.core.settings import Secret, Settings, write_initial_config
from issuance.store import Store, backups
from issuance.store.opening import open_store
from issuance.xcert import demo
from issuance.xcert.importing import ResultRow
from issuance.xcert.service import Issuance
from tests.cli import qianfa
from tests.databases import fresh_database, raw
from tests.webserver import Clock
from tests.workload import id_number, people
from worker.jobs import render_certificates, scheduled_backup
from worker.serve import render_pool


def _env(database: str = "") -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "QIANFA_DATABASE_URL"}
    if database:
        env["QIANFA_DATABASE_URL"] = database
    return env


@contextmanager
def empty_target(request: pytest.FixtureRequest, database: str) -> Iterator[str]:
    """Where a restore goes: "" (the new home's SQLite file) or a new, empty PostgreSQL database."""
    if not database:
        yield ""
        return
    with fresh_database(request.getfixturevalue("postgres")) as url:
        yield url


def _counts(location: Path | str, tables: list[str]) -> dict[str, int]:
    with raw(location) as execute:
        return {t: execute(f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables}


async def test_backup_and_restore_by_hand_verify_every_count_and_the_audit_log(
    request: pytest.FixtureRequest, database: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init", "--demo", env=_env(database)).code == 0
    run = qianfa(home, "db", "backup", "--json", env=_env(database))
    assert run.code == 0, run.stderr
    made = run.json()
    archive = Path(made["out"])
    assert archive.parent == home / "backups" and archive.name.endswith(".tar.gz")
    assert archive.stat().st_mode & 0o077 == 0  # it holds the audit key
    with tarfile.open(archive) as tar:
        assert set(tar.getnames()) == {
            "manifest.json",
            "qianfa.db" if not database else "qianfa.dump",
            "audit.key",
            "audit.head",
            "qianfa.toml",
        }
    assert made["counts"]["record"] == 61 and made["audit_entries"] >= 4

    with empty_target(request, database) as target:
        restored = tmp_path / "restored"
        run = qianfa(restored, "db", "restore", str(archive), "--json", env=_env(target))
        assert run.code == 0, run.stderr
        assert run.json()["counts"] == made["counts"]
        location = target or restored / "qianfa.db"
        assert _counts(location, list(made["counts"])) == made["counts"]
        audit = qianfa(restored, "audit", "verify", "--json", env=_env(target))
        assert audit.code == 0 and audit.json()["entries"] == made["audit_entries"]
        # The restored home works on: a new act continues the chain, and verifies.
        with raw(location) as execute:
            ((cert_no,),) = execute(
                "SELECT cert_no FROM record WHERE status = '确认签发' ORDER BY id LIMIT 1"
            )
        assert qianfa(restored, "void", cert_no, "--reason", "恢复演练", env=_env(target)).code == 0
        assert qianfa(restored, "audit", "verify", env=_env(target)).code == 0
        # Restoring again over it is refused and changes nothing.
        again = qianfa(restored, "db", "restore", str(archive), env=_env(target))
        assert again.code == 1 and "不是空的" in again.stderr
        assert qianfa(restored, "audit", "verify", env=_env(target)).code == 0


def _rewrite(archive: Path, out: Path, change: dict[str, bytes]) -> None:
    with tarfile.open(archive) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    files.update(change)
    with tarfile.open(out, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


async def test_a_damaged_or_inconsistent_archive_restores_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init", "--demo", env=_env()).code == 0
    archive = Path(qianfa(home, "db", "backup", "--json", env=_env()).json()["out"])
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        head = tar.extractfile("audit.head").read()  # type: ignore[union-attr]

    # A file that does not match its checksum.
    damaged = tmp_path / "damaged.tar.gz"
    _rewrite(archive, damaged, {"audit.head": head.replace(b"1", b"2", 1)})
    run = qianfa(tmp_path / "a", "db", "restore", str(damaged), env=_env())
    assert run.code == 1 and "校验值不符" in run.stderr
    assert not (tmp_path / "a" / "qianfa.db").exists()

    # A manifest whose counts the database does not have (checksums made to match).
    manifest["counts"]["record"] += 1
    wrong = tmp_path / "wrong.tar.gz"
    _rewrite(archive, wrong, {"manifest.json": json.dumps(manifest).encode()})
    run = qianfa(tmp_path / "b", "db", "restore", str(wrong), env=_env())
    assert run.code == 1 and "行数与清单不符" in run.stderr and "record" in run.stderr
    # A restore that does not verify leaves no home behind to be mistaken for a good one.
    assert not (tmp_path / "b" / "qianfa.db").exists()
    assert not (tmp_path / "b" / "audit.key").exists()


async def test_the_worker_backs_up_on_schedule_keeps_the_newest_and_one_at_a_time(
    tmp_path: Path, database: str
) -> None:
    settings = _settings(tmp_path, database, backup_every=6.0, backup_keep=2)
    clock = Clock()
    store = await open_store(settings, create=True)
    store._clock = clock
    try:
        first = await scheduled_backup(store, settings, "host-a")
        assert first is not None and first.exists()
        clock.advance(60)  # an hour later: not due
        assert await scheduled_backup(store, settings, "host-a") is None
        # Another process holding the backup lease: it does the work, not this one.
        clock.advance(6 * 60)
        assert await store.take_lease("backup", "host-b", timedelta(minutes=5))
        assert await scheduled_backup(store, settings, "host-a") is None
        await store.release_lease("backup", "host-b")
        made = [await scheduled_backup(store, settings, "host-a")]
        for _ in range(2):
            clock.advance(6 * 60)
            made.append(await scheduled_backup(store, settings, "host-a"))
        assert all(made)
        kept = backups.newest_archives(settings.backup_path)
        assert kept == [made[2], made[1]]  # the two newest; the rest pruned
        assert not first.exists()
        off = replace(settings, backup_every=0.0)
        clock.advance(24 * 60)
        assert await scheduled_backup(store, off, "host-a") is None
    finally:
        await store.close()


def _settings(home: Path, database: str, **overrides: object) -> Settings:
    write_initial_config(home)
    base = Settings(
        home=home,
        database_url=database,
        secret_key=Secret("test-secret-key-test-secret-key-0123"),
        worker_render_processes=1,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


ROUNDS = 4
STUDENTS = 6


async def _season_round(issuance: Issuance, round_no: int, pool: object) -> int:
    """One import (all-or-nothing), its list, both sides' confirmations, then renders."""
    store = issuance.store
    plan = f"{demo.PLAN}-演练{round_no}"
    orgs = await store.orgs_by_code([demo.ISSUER[0], demo.SCHOOL[0]])
    issuer, school = orgs[demo.ISSUER[0]].id, orgs[demo.SCHOOL[0]].id
    await store.import_results(
        [
            ResultRow(
                f"演练{round_no}号{i}",
                id_number(1000 + round_no * STUDENTS + i),
                "院校学生",
                school,
                demo.PROGRAM,
                "中级",
                issuer,
                plan,
                school,
                1,
            )
            for i in range(STUDENTS)
        ]
    )
    (batch,) = await issuance.create_lists(plan)
    ids = [r.id for r in await store.records(RecordFilter(batch_id=batch.id))]
    evaluator, head, _ = await people(issuance)
    for seed, signer in enumerate((evaluator, head), start=20):
        png, strokes = demo.signature_png(seed)
        signature = await store.add_signature(
            signer.id, png, hashlib.sha256(png).hexdigest(), strokes
        )
        await issuance.confirm(signer, ids, signature)
    await render_certificates(store, issuance.settings, pool)  # type: ignore[arg-type]
    return batch.id


async def test_restore_drill_backups_taken_while_the_season_runs_all_restore_and_verify(
    request: pytest.FixtureRequest, database: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    settings = _settings(home, database)
    working = await open_store(settings, create=True)
    issuance = Issuance(working, settings)
    await demo.load(issuance)
    # The backups run on their own connection (pool), as the worker's would in another process.
    backing = await open_store(settings)
    pool = render_pool(settings)
    taken: list[tuple[Path, int]] = []
    done, started = asyncio.Event(), asyncio.Event()

    async def season() -> None:
        try:
            for round_no in range(ROUNDS):
                # The next round starts only once a backup has begun: they overlap.
                started.clear()
                await started.wait()
                await _season_round(issuance, round_no, pool)
        finally:
            done.set()

    async def backing_up() -> None:
        while not done.is_set() or len(taken) < 3:
            # What was committed before the backup's point: the log's length read now.
            row = await backing._one("SELECT COUNT(*) FROM audit")
            out = tmp_path / "archives" / f"{backups.PREFIX}{len(taken):03d}{backups.SUFFIX}"
            started.set()
            await backups.take_backup(backing, home, out)
            taken.append((out, int(row[0])))
            await asyncio.sleep(0.05)

    try:
        await asyncio.gather(season(), backing_up())
        final = {row[0]: row[1] for row in await working._all("SELECT id, hash FROM audit")}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        await backing.close()
        await working.close()
    assert len(taken) >= ROUNDS

    for index, (archive, committed_before) in enumerate(taken):
        with empty_target(request, database) as target:
            restored_home = tmp_path / f"restored-{index}"
            location: Path | str = target or restored_home / "qianfa.db"
            # Restore verifies: every count as in the manifest, the chain, the keyed MACs, head.
            report = await backups.restore(archive, restored_home, location, Store)
            assert report.manifest.audit_entries >= committed_before
            restored = await Store.open(location)
            try:
                log = {row[0]: row[1] for row in await restored._all("SELECT id, hash FROM audit")}
                # Everything committed before the backup's point is there, unchanged.
                assert all(log[i] == final[i] for i in range(1, committed_before + 1))
                assert all(log[i] == final[i] for i in log)
                # Nothing half-written: whole imports, lists with every record, both sign-offs.
                for (plan_rows,) in await restored._all(
                    "SELECT COUNT(*) FROM exam_result er JOIN exam_plan p ON p.id = er.plan_id"
                    " WHERE p.name LIKE '%演练%' GROUP BY p.id"
                ):
                    assert plan_rows == STUDENTS
                drill = (
                    " FROM record r JOIN batch b ON b.id = r.batch_id"
                    " JOIN exam_plan p ON p.id = b.plan_id WHERE p.name LIKE '%演练%'"
                )
                for listed, statuses in await restored._all(
                    f"SELECT COUNT(*), COUNT(DISTINCT r.status) {drill} GROUP BY b.id"
                ):
                    assert (listed, statuses) == (STUDENTS, 1)
                # A record is confirmed only with both sides' sign-offs, and vice versa.
                for status, signoffs in await restored._all(
                    "SELECT r.status,"
                    " (SELECT COUNT(*) FROM signoff_record s WHERE s.record_id = r.id)"
                    f" {drill}"
                ):
                    assert (status == "确认签发") == (signoffs == 2), (status, signoffs)
            finally:
                await restored.close()


async def test_a_postgresql_archive_restores_by_hand_with_pg_restore(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """docs/postgresql.md's path without Qianfa: tar, pg_restore, the key and head installed."""
    postgres = request.getfixturevalue("postgres")
    with fresh_database(postgres) as source, fresh_database(postgres) as target:
        home = tmp_path / "home"
        assert qianfa(home, "init", "--demo", env=_env(source)).code == 0
        made = qianfa(home, "db", "backup", "--json", env=_env(source)).json()
        unpacked = tmp_path / "unpacked"
        with tarfile.open(made["out"]) as tar:
            tar.extractall(unpacked, filter="data")
        subprocess.run(
            [
                "pg_restore",
                "--exit-on-error",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",
                "-d",
                target,
                str(unpacked / "qianfa.dump"),
            ],
            check=True,
            capture_output=True,
        )
        restored = tmp_path / "restored"
        write_initial_config(restored)
        for name in ("audit.key", "audit.head"):
            shutil.copy(unpacked / name, restored / name)
            (restored / name).chmod(0o600)
        audit = qianfa(restored, "audit", "verify", "--json", env=_env(target))
        assert audit.code == 0, audit.stderr
        assert audit.json()["entries"] == made["audit_entries"]
        assert _counts(target, list(made["counts"])) == made["counts"]
