"""Layering: the core imports no framework; button data is made only by the chat layer; the
command line starts without the heavy libraries only some commands need; the two workflows do
not import each other nor anybody's private names; no function is longer than 60 lines."""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

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


ROOT = Path(__file__).resolve().parents[2]
# Function bodies longer than this read as several functions; split them.
MAX_FUNCTION_LINES = 60


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports (absolute names), at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(
    ("workflow", "other"),
    [("xcert", "graduation"), ("graduation", "xcert")],
)
def test_a_workflow_does_not_import_the_other(workflow: str, other: str) -> None:
    sources = sorted((ROOT / "issuance" / workflow).rglob("*.py"))
    assert len(sources) > 5
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources
        for name in sorted(_imported_modules(path))
        if name == f"issuance.{other}" or name.startswith(f"issuance.{other}.")
    ]
    assert offenders == []


def test_no_workflow_imports_a_private_name_of_another_package() -> None:
    offenders = []
    for path in sorted((ROOT / "issuance").rglob("*.py")):
        package = ".".join(path.relative_to(ROOT).parts[:2])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
                continue
            if node.module.startswith(package):
                continue
            offenders += [
                f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and alias.name != "__future__"
            ]
    assert offenders == []


def test_no_function_is_longer_than_60_lines() -> None:
    sources = [
        path
        for part in ("issuance", "bot", "web", "worker", "qianfa")
        for path in sorted((ROOT / part).rglob("*.py"))
    ]
    assert len(sources) > 50
    too_long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)"
        for path in sources
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (lines := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION_LINES
    ]
    assert too_long == []


# The layers, lowest first: a module imports only from its own layer unit or from a lower layer
# (units on the same rank never import each other: the two workflows, formats and the store, the
# two chat channels). README's architecture section draws the same picture.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("issuance.config",),
    ("issuance.core",),
    ("issuance.formats", "issuance.store"),
    ("issuance.importing", "issuance.telemetry"),
    ("issuance.xcert", "issuance.graduation"),
    ("issuance.uploads", "issuance.accounts"),
    ("issuance.chat",),
    ("bot.outbox",),
    ("bot.telegram", "bot.wecom"),
    ("bot.__main__", "web", "worker"),
    ("qianfa",),
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}
ROOT = Path(__file__).resolve().parents[2]


def _unit(module: str) -> str | None:
    """The layer unit a module belongs to (its longest listed prefix), None outside them."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        if ".".join(parts[:size]) in RANK:
            return ".".join(parts[:size])
    return None


def _module_graph() -> dict[str, set[str]]:
    """Every module of the tree and the tree's modules it imports (anywhere in its body)."""
    files = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for top in ("issuance", "bot", "web", "worker", "qianfa")
        for path in (ROOT / top).rglob("*.py")
    }
    files["issuance.config"] = ROOT / "config" / "__init__.py"
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                # `from issuance import uploads` imports the module issuance.uploads
                found |= {f"{node.module}.{a.name}" for a in node.names} & files.keys()
        graph[name] = {m for m in found if m in files and m != name}
    return graph


def test_every_module_imports_only_its_own_layer_unit_or_below() -> None:
    graph = _module_graph()
    assert {"issuance.chat.session", "bot.telegram.app", "qianfa.cli"} <= graph.keys()
    unplaced = sorted(m for m in graph if _unit(m) is None and m not in ("issuance", "bot"))
    assert unplaced == []
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if (mine := _unit(module)) is not None
        and (theirs := _unit(target)) is not None
        and mine != theirs
        and RANK[theirs] >= RANK[mine]
    )
    assert upward == []


def test_no_module_imports_in_a_circle() -> None:
    graph = _module_graph()
    # function-local imports count too: a circle postponed to call time is still a circle
    circles: list[str] = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []
