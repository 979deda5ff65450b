"""Layering: the core imports no framework; button data is made only by the chat layer; the
command line starts without the heavy libraries only some commands need."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import issuance

FRAMEWORKS = ("telegram", "starlette", "uvicorn", "apscheduler")
# Each takes a good part of a second to import; every `qianfa` start (and every test running
# one) would pay for them.
HEAVY = ("matplotlib", "numpy", "openpyxl")


def test_no_issuance_module_imports_a_framework() -> None:
    modules = sorted(m.name for m in pkgutil.walk_packages(issuance.__path__, "issuance."))
    assert "issuance.chat.actions" in modules and "issuance.xcert.service" in modules
    # A fresh interpreter: this test process has imported the frameworks for other tests.
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FRAMEWORKS!r})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_the_command_line_starts_without_chart_and_workbook_libraries() -> None:
    probe = (
        "import sys, qianfa.cli\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_button_data_is_built_only_in_the_chat_layer() -> None:
    root = Path(__file__).resolve().parents[2]
    literal = re.compile(r"""callback_data["']?\s*[:=]\s*[fr]?["']""")
    sources = [
        path
        for part in ("issuance", "bot", "web", "worker", "qianfa")
        for path in (root / part).rglob("*.py")
        if "issuance/chat/" not in path.as_posix()
    ]
    assert len(sources) > 50
    offenders = [str(p.relative_to(root)) for p in sources if literal.search(p.read_text())]
    assert offenders == []


def test_every_package_of_the_tree_is_listed_for_the_wheel() -> None:
    root = Path(__file__).resolve().parents[2]
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(root).parts)
        for part in ("issuance", "bot", "web", "worker", "qianfa")
        for init in (root / part).rglob("__init__.py")
    }
    assert found | {"issuance.config"} == listed
