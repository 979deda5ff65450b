"""Running the real `qianfa` command line in a subprocess, and reading its home's database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COUNTED = ("org", "person", "program", "exam_plan", "student", "exam_result", "record", "audit")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def qianfa(home: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "qianfa", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def table_counts(home: Path) -> dict[str, int]:
    with sqlite3.connect(home / "qianfa.db") as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}


def sql(home: Path, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(home / "qianfa.db", isolation_level=None)
    try:
        return db.execute(statement, params).fetchall()
    finally:
        db.close()
