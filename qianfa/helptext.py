"""The command line's help: Chinese first, English second, texts from the catalog."""

from __future__ import annotations

import argparse
import math
import re
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
        self.exit(
            2,
            f"{self.prog}: {t('help.error')}：{usage_error(message)}\n"
            f"{t('help.error', 'en')}: {message}\n",
        )


# argparse's own messages (English) and what they say in Chinese.
_USAGE_ERRORS = (
    (r"the following arguments are required: (.+)", "help.err.required"),
    (r"one of the arguments (.+) is required", "help.err.one_of"),
    (r"unrecognized arguments: (.+)", "help.err.unrecognized"),
    (r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)", "help.err.choice"),
    (r"argument (\S+): invalid \w+ value: (.+)", "help.err.value"),
    (r"argument (\S+): expected .*argument", "help.err.expected"),
    (r"argument (\S+): not allowed with argument (.+)", "help.err.together"),
    (r"ambiguous option: (\S+) could match (.+)", "help.err.ambiguous"),
    (r"argument (\S+): (.+)", "help.err.argument"),
)


def usage_error(message: str) -> str:
    """argparse's English error message, in Chinese (the message itself if not known)."""
    for pattern, key in _USAGE_ERRORS:
        found = re.fullmatch(pattern, message, re.DOTALL)
        if found:
            return t(key, **{f"a{i}": v for i, v in enumerate(found.groups(), start=1)})
    return message


# Ids are 64-bit integers in both databases.
_MAX_ID = 2**63 - 1


def record_id(raw: str) -> int:
    """An id on the command line: a whole number the databases can hold, else a usage error."""
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= _MAX_ID:
        raise argparse.ArgumentTypeError(t("help.err.id", value=raw[:40]))
    return int(value)


def finite_number(raw: str) -> float:
    """A number on the command line: finite (no nan, inf), else a usage error."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(t("help.err.number", value=raw[:40]))
    return value


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
