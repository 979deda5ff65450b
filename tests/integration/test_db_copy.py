"""`qianfa db copy` between SQLite and PostgreSQL and `qianfa db backup`: every row arrives, the
audit chain verifies on the copy, and a refused copy changes nothing on either side."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from issuance.core.settings import load_settings, write_initial_config
from issuance.store import Store
from tests.cli import COUNTED, qianfa
from tests.databases import fresh_database, raw, table_counts
from tests.season import play_season


def _env(database: str = "") -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "QIANFA_DATABASE_URL"}
    if database:
        env["QIANFA_DATABASE_URL"] = database
    return env


def _counts(location: Path | str) -> dict[str, int]:
    with raw(location) as execute:
        return {table: execute(f"SELECT COUNT(*) FROM {table}")[0][0] for table in COUNTED}


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "home"
    assert qianfa(home, "init", "--demo", env=_env()).code == 0
    return home


async def test_demo_goes_to_postgresql_and_back_with_a_verified_audit_chain(
    demo_home: Path, postgres: str, tmp_path: Path
) -> None:
    before = _counts(demo_home / "qianfa.db")
    with fresh_database(postgres) as url:
        run = qianfa(demo_home, "db", "copy", "--to", url, "--json", env=_env())
        assert run.code == 0, run.stderr
        assert run.json()["tables"]["record"] == 61 and run.json()["audit_entries"] >= 4
        assert _counts(url) == before
        # The same home (its audit anchor: key and head) with the copy as its database.
        pg_home = Path(shutil.copytree(demo_home, tmp_path / "pg-home"))
        audit = qianfa(pg_home, "audit", "verify", "--json", env=_env(url))
        assert audit.code == 0 and audit.json()["entries"] == run.json()["audit_entries"]
        # A new act on the copy continues the audit chain where the source ended.
        cert_no, id_number = _confirmed(url)
        assert qianfa(pg_home, "verify", cert_no, id_number, env=_env(url)).code == 0
        void = qianfa(pg_home, "void", cert_no, "--reason", "复制后作废", env=_env(url))
        assert void.code == 0, void.stderr
        audit = qianfa(pg_home, "audit", "verify", "--json", env=_env(url))
        assert audit.code == 0 and audit.json()["entries"] == run.json()["audit_entries"] + 1
        before["audit"] += 1

        back = tmp_path / "back.db"
        again = qianfa(pg_home, "db", "copy", "--to", str(back), env=_env(url))
        assert again.code == 0, again.stderr
        assert "哈希链校验通过" in again.stdout
    assert _counts(back) == before
    audit = qianfa(pg_home, "audit", "verify", env=_env(f"sqlite:///{back}"))
    assert audit.code == 0


def _confirmed(location: Path | str) -> tuple[str, str]:
    with raw(location) as execute:
        ((cert_no, id_number),) = execute(
            "SELECT r.cert_no, s.id_number FROM record r JOIN exam_result er ON er.id = r.result_id"
            " JOIN student s ON s.id = er.student_id WHERE r.status = '确认签发'"
            " ORDER BY r.id LIMIT 1"
        )
    return cert_no, id_number


async def test_a_copy_into_a_database_with_data_changes_nothing(
    demo_home: Path, postgres: str, tmp_path: Path
) -> None:
    with fresh_database(postgres) as url:
        assert qianfa(demo_home, "db", "copy", "--to", url, env=_env()).code == 0
        target_before = _counts(url)
        source_before = _counts(demo_home / "qianfa.db")
        second = qianfa(demo_home, "db", "copy", "--to", url, env=_env())
        assert second.code == 1
        assert "不是空的" in second.stderr and "not empty" in second.stderr
        assert _counts(url) == target_before
    assert _counts(demo_home / "qianfa.db") == source_before


async def test_a_copy_onto_itself_is_refused(demo_home: Path) -> None:
    run = qianfa(demo_home, "db", "copy", "--to", str(demo_home / "qianfa.db"), env=_env())
    assert run.code == 1 and "同一个数据库" in run.stderr


async def test_backups_of_sqlite_and_postgresql_hold_every_row(
    demo_home: Path, postgres: str, tmp_path: Path
) -> None:
    before = _counts(demo_home / "qianfa.db")
    out = tmp_path / "backup.db"
    run = qianfa(demo_home, "db", "backup", "--out", str(out), "--json", env=_env())
    assert run.code == 0 and run.json()["method"] == "sqlite"
    assert _counts(out) == before
    assert qianfa(demo_home, "db", "backup", "--out", str(out), env=_env()).code == 1  # kept

    with fresh_database(postgres) as url:
        assert qianfa(demo_home, "db", "copy", "--to", url, env=_env()).code == 0
        logical = tmp_path / "pg-backup.db"
        home = Path(shutil.copytree(demo_home, tmp_path / "h"))
        run = qianfa(home, "db", "backup", "--out", str(logical), "--json", env=_env(url))
        assert run.code == 0 and run.json()["method"] == "copy"
    assert _counts(logical) == before


async def test_a_whole_season_goes_there_and_back_from_either_database(
    database: str, postgres: str, tmp_path: Path
) -> None:
    # printed, voided and returned blanks, sealed and handed out certificates, an X hand-out,
    # held graduates released and a voided graduation certificate: every state a season reaches
    home = tmp_path / "home"
    write_initial_config(home)
    settings = replace(load_settings(home), database_url=database)
    store = await Store.open(settings.database)
    try:
        await play_season(store, settings)
    finally:
        await store.close()
    source = database or home / "qianfa.db"
    before = table_counts(source)
    assert before["grad_void"] == 1 and before["graduate_handout"] > 0
    assert before["record_handout"] == 2
    with fresh_database(postgres) as url:
        there: Path | str = tmp_path / "there.db" if database else url
        run = qianfa(home, "db", "copy", "--to", str(there), env=_env(database))
        assert run.code == 0, run.stderr
        assert table_counts(there) == before
        audit = qianfa(home, "audit", "verify", "--json", env=_env(str(there)))
        assert audit.code == 0, audit.stderr
        back = tmp_path / "back.db" if not database else None
        with fresh_database(postgres) as back_url:
            again: Path | str = back or back_url
            run = qianfa(home, "db", "copy", "--to", str(again), env=_env(str(there)))
            assert run.code == 0, run.stderr
            assert table_counts(again) == before
            audit = qianfa(home, "audit", "verify", "--json", env=_env(str(again)))
            assert audit.code == 0 and audit.json()["entries"] == before["audit"]
