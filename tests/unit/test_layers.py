"""The core stays framework-free: no issuance module pulls in a chat, web or scheduler library."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import issuance

FRAMEWORKS = ("telegram", "starlette", "uvicorn", "apscheduler")


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
