"""Safe upgrades: a season's database built by the previous release (tests/fixtures/upgrade/, made
by scripts/make-upgrade-fixture from its tag) opened by this release on both databases, and a
migration failing half-way leaving the database as it was."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from issuance.core.settings import Settings, write_initial_config
from issuance.store import Store
from issuance.store.base import migrations
from issuance.xcert import demo
from issuance.xcert.service import Issuance
from tests.cli import qianfa
from tests.databases import fresh_database, raw

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upgrade"
RELEASES = sorted(p.name for p in FIXTURES.iterdir())
# Tables of an older release whose rows this one keeps under another name.
RENAMED = {"signoff": "signoff_record"}


def _env(database: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "QIANFA_DATABASE_URL"}
    if database:
        env["QIANFA_DATABASE_URL"] = database
    return env


@contextmanager
def _old_database(
    request: pytest.FixtureRequest, release: str, dialect: str, home: Path
) -> Iterator[str]:
    """The release's season loaded as that release left it: "" (the home's file) or a URL."""
    fixture = FIXTURES / release / dialect
    sql = gzip.decompress((fixture / "dump.sql.gz").read_bytes())
    write_initial_config(home)
    for name in ("audit.key", "audit.head"):
        shutil.copy(fixture / name, home / name)
        (home / name).chmod(0o600)
    if dialect == "sqlite":
        with sqlite3.connect(home / "qianfa.db") as db:
            db.executescript(sql.decode("utf-8"))
        yield ""
        return
    with fresh_database(request.getfixturevalue("postgres")) as url:
        subprocess.run(
            ["psql", "--quiet", "-v", "ON_ERROR_STOP=1", "--dbname", url],
            input=sql,
            check=True,
            capture_output=True,
        )
        yield url


@pytest.mark.parametrize("release", RELEASES)
async def test_a_season_of_the_previous_release_opens_migrates_and_reads_the_same(
    request: pytest.FixtureRequest, database: str, release: str, tmp_path: Path
) -> None:
    dialect = "postgresql" if database else "sqlite"
    season = json.loads((FIXTURES / release / dialect / "season.json").read_text("utf-8"))
    latest = max(number for number, _, _ in migrations(dialect))
    assert season["schema"] < latest  # a real upgrade: this release adds migrations
    home = tmp_path / "home"
    with _old_database(request, release, dialect, home) as url:
        env = _env(url)
        audit = qianfa(home, "audit", "verify", "--json", env=env)
        assert audit.code == 0, audit.stderr
        # the first open seals the old database's final rows as they are: one more entry
        assert audit.json()["entries"] == season["counts"]["audit"] + 1
        location = url or home / "qianfa.db"
        with raw(location) as execute:
            assert execute("SELECT MAX(version) FROM schema_version")[0][0] == latest
            (last,) = execute("SELECT action FROM audit ORDER BY id DESC LIMIT 1")[0]
            assert last == "final.baseline"
            for table, count in season["counts"].items():
                expected = count + 1 if table == "audit" else count
                # 0230: the history's rows per record and act live on in signoff_record.
                table = RENAMED.get(table, table)
                assert execute(f"SELECT COUNT(*) FROM {table}")[0][0] == expected, table
        # Every read of the season as the old release showed it.
        assert qianfa(home, "status", "--json", env=env).json() == season["status"]
        grad_status = qianfa(home, "grad", "status", "--json", env=env).json()
        # this release counts 作废 too (0 in a season without a voided graduation certificate)
        assert grad_status.pop("作废", 0) == 0
        assert grad_status == season["grad_status"]
        cert_no, id_number = season["valid"]
        assert qianfa(home, "verify", cert_no, id_number, env=env).code == 0
        voided = qianfa(home, "verify", season["void"], id_number, env=env)
        assert voided.code == 1
        # And the season goes on: a new act on the upgraded database verifies.
        with raw(location) as execute:
            ((other,),) = execute(
                "SELECT cert_no FROM record WHERE status = '确认签发' AND void_at IS NULL"
                " ORDER BY id DESC LIMIT 1"
            )
        assert qianfa(home, "void", other, "--reason", "升级后", env=env).code == 0
        assert qianfa(home, "audit", "verify", env=env).code == 0


BROKEN = """
CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
INSERT INTO upgrade_probe (id, note) VALUES (1, 'half-way');
UPDATE person SET name = name || '（改）';
ALTER TABLE record ADD COLUMN upgrade_flag INTEGER;
INSERT INTO upgrade_probe (id, note) VALUES (1, 'the same id again: fails here');
"""


async def test_a_migration_failing_half_way_leaves_the_database_as_it_was(
    tmp_path: Path, database: str
) -> None:
    store = await Store.open(database or tmp_path / "qianfa.db")
    try:
        await demo.load(Issuance(store, Settings(home=tmp_path)))
        before_version = await store.schema_version()
        names = [row[0] for row in await store._all("SELECT name FROM person ORDER BY id")]
        assert names
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            await store.driver.apply_migration(before_version + 1, BROKEN)
        assert await store.schema_version() == before_version
        assert [row[0] for row in await store._all("SELECT name FROM person ORDER BY id")] == names
        with pytest.raises(Exception, match=r"(?i)no such table|does not exist"):
            await store._all("SELECT * FROM upgrade_probe")
        with pytest.raises(Exception, match=r"(?i)no such column|does not exist"):
            await store._all("SELECT upgrade_flag FROM record")
        # The store still works, and the next (sound) run of the migration applies it.
        await store.driver.apply_migration(before_version + 1, BROKEN.rsplit("INSERT", 1)[0])
        assert await store.schema_version() == before_version + 1
    finally:
        await store.close()
