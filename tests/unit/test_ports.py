"""The core and the store behind its ports: the core imports nothing above it, the store no
workflow, and no public store method hands out a driver row."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from issuance.core import ports
from issuance.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> dict[str, set[str]]:
    """Module path -> the `issuance.*` modules it imports (at any depth, TYPE_CHECKING too)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(ROOT))] = {n for n in names if n.startswith("issuance")}
    return found


def _outside(imports: dict[str, set[str]], allowed: tuple[str, ...]) -> dict[str, set[str]]:
    return {
        path: wrong
        for path, names in imports.items()
        if (wrong := {n for n in names if not n.startswith(allowed)})
    }


def test_the_core_imports_only_the_core_and_its_configuration() -> None:
    imports = _imports("issuance/core")
    assert "issuance/core/ports.py" in imports
    assert _outside(imports, ("issuance.core", "issuance.config")) == {}


def test_the_store_imports_no_workflow_and_no_chat() -> None:
    imports = _imports("issuance/store")
    assert "issuance/store/core.py" in imports
    allowed = ("issuance.core", "issuance.config", "issuance.formats", "issuance.store")
    assert _outside(imports, allowed) == {}


def test_no_public_store_method_returns_a_driver_row() -> None:
    methods = {
        name: method
        for name, method in inspect.getmembers(Store, inspect.isfunction)
        if not name.startswith("_")
    }
    assert len(methods) > 150
    returning_rows = {
        name
        for name, method in methods.items()
        if "Row" in str(inspect.signature(method).return_annotation).replace("GradeRow", "")
    }
    assert returning_rows == set()


def test_every_port_method_is_a_store_method() -> None:
    protocols = [
        value
        for value in vars(ports).values()
        if isinstance(value, type) and value.__module__ == ports.__name__
    ]
    assert len(protocols) > 10
    missing = {
        f"{protocol.__name__}.{name}"
        for protocol in protocols
        for name in vars(protocol)
        if not name.startswith("_") and not hasattr(Store, name)
    }
    assert missing == set()
