"""One desk per action: the workflows import no desk, the channels reach the store only through
the desks, and the entry points import neither each other nor in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The modules a channel answers members with (the senders and the inbox plumbing aside).
CONVERSATIONS = [
    *sorted((ROOT / "bot/telegram/handlers").glob("*.py")),
    *(
        ROOT / "bot/wecom" / f"{name}.py"
        for name in (
            "conversation",
            "signoff",
            "completion",
            "stamp",
            "graduation",
            "gradchat",
            "handout",
        )
    ),
]


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules_under(*parts: str) -> dict[str, Path]:
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): path
        for part in parts
        for path in (ROOT / part).rglob("*.py")
    }


def test_no_workflow_imports_a_desk() -> None:
    workflows = modules_under("issuance/xcert", "issuance/graduation")
    assert "issuance.xcert.service" in workflows
    offenders = {
        name: sorted(m for m in imports_of(path) if m.endswith("_desk"))
        for name, path in workflows.items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_desks_live_in_the_chat_layer() -> None:
    desks = sorted(p.name for p in ROOT.glob("issuance/**/*desk*.py"))
    assert desks == sorted(p.name for p in (ROOT / "issuance/chat").glob("*_desk.py"))
    assert len(desks) >= 6


def test_no_conversation_module_calls_the_store() -> None:
    assert len(CONVERSATIONS) > 20 and all(path.exists() for path in CONVERSATIONS)
    offenders = []
    for path in CONVERSATIONS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "store":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_channels_import_no_entry_point() -> None:
    channels = modules_under("bot/telegram", "bot/wecom")
    offenders = {
        name: sorted(m for m in imports_of(path) if m.split(".")[0] in ("web", "qianfa", "worker"))
        for name, path in channels.items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_wecom_imports_nothing_of_telegram() -> None:
    wecom = modules_under("bot/wecom")
    offenders = {
        name: sorted(m for m in imports_of(path) if m.startswith("bot.telegram"))
        for name, path in wecom.items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_worker_and_the_bot_start_without_the_command_line() -> None:
    for main in ("worker/__main__.py", "bot/__main__.py"):
        found = imports_of(ROOT / main)
        assert not {m for m in found if m.split(".")[0] in ("qianfa", "web")}, main


def test_the_command_line_modules_import_in_one_direction() -> None:
    cli = modules_under("qianfa")
    graph = {
        name: {m for m in imports_of(path) if m in cli and m != name} for name, path in cli.items()
    }
    assert "qianfa.grad_cli" in graph["qianfa.cli"]

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph[start] - seen:
            seen.add(step)
            if step == goal or reaches(step, goal, seen):
                return True
        return False

    circles = [name for name in graph if reaches(name, name, set())]
    assert circles == []
