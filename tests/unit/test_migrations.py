"""Migrations come per dialect from one list of versions; a missing twin or a stray file stops."""

from __future__ import annotations

from pathlib import Path

import pytest

from issuance.store.base import DIALECTS, migrations


def _write(root: Path, dialect: str, name: str) -> None:
    (root / dialect).mkdir(parents=True, exist_ok=True)
    (root / dialect / name).write_text(f"-- {dialect} {name}\n", encoding="utf-8")


def test_the_shipped_dialects_have_the_same_versions() -> None:
    versions = {d: [n for n, _, _ in migrations(d)] for d in DIALECTS}
    assert versions["sqlite"] == versions["postgresql"] == sorted(versions["sqlite"])
    assert versions["sqlite"][:7] == [1, 2, 3, 4, 5, 6, 7]


def test_each_dialect_reads_its_own_folder(tmp_path: Path) -> None:
    for dialect in DIALECTS:
        _write(tmp_path, dialect, "0001_core.sql")
        _write(tmp_path, dialect, "0050_more.sql")
    found = migrations("postgresql", tmp_path)
    assert [(n, name) for n, name, _ in found] == [(1, "0001_core.sql"), (50, "0050_more.sql")]
    assert found[1][2] == "-- postgresql 0050_more.sql\n"


def test_a_version_missing_in_one_dialect_is_an_error(tmp_path: Path) -> None:
    for dialect in DIALECTS:
        _write(tmp_path, dialect, "0001_core.sql")
    _write(tmp_path, "sqlite", "0008_new_feature.sql")
    with pytest.raises(RuntimeError, match="differ between dialects"):
        migrations("sqlite", tmp_path)


def test_a_migration_outside_the_dialect_folders_is_an_error(tmp_path: Path) -> None:
    for dialect in DIALECTS:
        _write(tmp_path, dialect, "0001_core.sql")
    (tmp_path / "0009_other_branch.sql").write_text("CREATE TABLE x (id INTEGER);")
    with pytest.raises(RuntimeError, match="belong in migrations/sqlite/"):
        migrations("sqlite", tmp_path)


def test_two_migrations_with_one_number_are_an_error(tmp_path: Path) -> None:
    for dialect in DIALECTS:
        _write(tmp_path, dialect, "0001_core.sql")
        _write(tmp_path, dialect, "0001_again.sql")
    with pytest.raises(RuntimeError, match="share a number"):
        migrations("postgresql", tmp_path)
