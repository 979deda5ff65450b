"""The command line's --help: Chinese first, English second, for every command and option."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from qianfa.cli import build_parser, main

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def test_every_help_text_starts_in_chinese_and_carries_english() -> None:
    parsers = list(_parsers(build_parser()))
    assert len(parsers) >= 15
    for parser in parsers:
        texts = [a.help for a in parser._actions if a.help and a.help != argparse.SUPPRESS]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                texts += [c.help for c in action._choices_actions if c.help]
        assert texts, parser.prog
        for text in texts:
            assert CHINESE.match(text), (parser.prog, text)
            assert re.search(r" · [A-Za-z]", text), (parser.prog, text)
        assert parser.format_help().startswith("用法 usage: "), parser.prog


@pytest.mark.parametrize("args", [["--help"], ["export", "records", "--help"]])
def test_help_prints_chinese_sections(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "选项 · options" in out and "显示本帮助并退出" in out


def test_usage_errors_say_error_in_chinese_first(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["status", "--bogus"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert (
        "错误：无法识别的参数：--bogus" in err and "error: unrecognized arguments: --bogus" in err
    )
