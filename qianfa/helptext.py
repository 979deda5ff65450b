"""The command line's help: Chinese first, English second, texts from the catalog."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from issuance.core.catalog import t


def help_text(key: str, **params: Any) -> str:
    """A help text: Chinese first, then English."""
    return f"{t(key, **params)} · {t(key, 'en', **params)}"


class _HelpFormatter(argparse.HelpFormatter):
    """Usage line prefixed in Chinese first."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        label = f"{t('help.usage')} {t('help.usage', 'en')}: "
        super().add_usage(usage, actions, groups, prefix if prefix is not None else label)


class Parser(argparse.ArgumentParser):
    """argparse with Chinese-first section titles, -h text and usage errors."""

    def __init__(
        self,
        *,
        add_help: bool = True,
        parents: Sequence[argparse.ArgumentParser] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(add_help=False, **kwargs)
        # Titles first, so the parents' options join the same (Chinese-first) section.
        self._positionals.title = help_text("help.positionals")
        self._optionals.title = help_text("help.options")
        if add_help:
            self.add_argument(
                "-h",
                "--help",
                action="help",
                default=argparse.SUPPRESS,
                help=help_text("help.help"),
            )
        for parent in parents:
            self._add_container_actions(parent)
            self._defaults.update(parent._defaults)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {t('help.error')} {t('help.error', 'en')}: {message}\n")


# Filters of `export records`: option, Chinese and English names.
EXPORT_FILTERS = (
    ("name", "学生姓名", "student name"),
    ("id-number", "身份证号", "ID number"),
    ("student-type", "学生类型", "student type"),
    ("school", "所属院校", "school"),
    ("cert-no", "证书编号", "certificate number"),
    ("program", "证书名称", "program"),
    ("issuer", "颁证机构", "issuer"),
    ("plan", "考试计划", "exam plan"),
    ("site", "考核站点", "assessment site"),
    ("status", "证书状态", "status"),
)
