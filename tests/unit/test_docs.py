"""The README stands alone in a clone: its links point inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_links_stay_inside_the_repository() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in text
    targets = re.findall(r"\]\(([^)#\s]+)\)", text) + re.findall(r'src="([^"]+)"', text)
    local = [t for t in targets if "://" not in t]
    assert "docs/interfaces.md" in local
    for target in local:
        assert (REPO / target).resolve().is_relative_to(REPO), target
        assert (REPO / target).exists(), target


def test_interfaces_doc_lists_the_import_columns_and_commands() -> None:
    text = (REPO / "docs" / "interfaces.md").read_text(encoding="utf-8")
    for needle in ("## Import columns", "学生姓名 (name)", "qianfa rerender", "## Bot", "## Web"):
        assert needle in text, needle


def test_readme_says_how_to_reach_the_qianfa_command() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "./scripts/qianfa" in text and ".venv/bin/activate" in text
