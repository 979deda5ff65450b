"""`qianfa doctor`: one line per check, Chinese first, exit 1 while any check fails."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli import qianfa


def _env(database: str = "", **more: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QIANFA_")}
    if database:
        env["QIANFA_DATABASE_URL"] = database
    return env | more


async def test_doctor_names_each_failing_check_and_passes_once_they_are_fixed(
    tmp_path: Path, database: str
) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init", env=_env(database)).code == 0
    first = qianfa(home, "doctor", env=_env(database))
    assert first.code == 1
    lines = first.stdout.splitlines()
    failed = [line for line in lines if line.startswith("✗")]
    # A fresh home: the public URL is the local default and no backup was taken yet.
    assert [line.split("：")[0] for line in failed] == [
        "✗ 公开地址 public URL",
        "✗ 最近备份 last backup",
    ]
    assert lines[-1].startswith("2 / 11 项检查未通过")
    assert all(line.startswith(("✓", "✗")) for line in lines[:-1])
    clock = next(line for line in lines if "时钟偏差" in line)
    assert ("SQLite" in clock) == (not database)

    fixed = _env(database, QIANFA_PUBLIC_URL="https://qianfa.example.cn")
    assert qianfa(home, "db", "backup", env=fixed).code == 0
    passed = qianfa(home, "doctor", "--json", env=fixed)
    assert passed.code == 0, passed.stdout
    assert passed.json()["ok"] is True and len(passed.json()["checks"]) == 11

    (home / "audit.key").chmod(0o644)
    weak = _env(
        database,
        QIANFA_PUBLIC_URL="https://qianfa.example.cn",
        QIANFA_SECRET_KEY="short",
    )
    run = qianfa(home, "doctor", "--json", env=weak)
    assert run.code == 1
    found = {c["check"]: c for c in run.json()["checks"]}
    assert not found["permissions"]["ok"] and "audit.key" in found["permissions"]["detail"]
    assert not found["secrets"]["ok"] and "secret_key" in found["secrets"]["detail"]
    assert found["audit_anchor"]["ok"] and found["migrations"]["ok"]


async def test_doctor_reports_a_missing_database_without_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init", env=_env()).code == 0
    (home / "qianfa.db").unlink()
    run = qianfa(home, "doctor", env=_env())
    assert run.code == 1 and "Traceback" not in run.stderr
    assert any(line.startswith("✗ 数据库 database") for line in run.stdout.splitlines())
