"""The chat layer: button data packed and parsed in one place; screens rendered per locale."""

from __future__ import annotations

import dataclasses

import pytest

from issuance.chat import actions
from issuance.chat.actions import Action, Cancel, Confirm, FlagField, OpenBatch, pack, parse
from issuance.chat.screens import Button, Lines, Link, Plain, Screen, Text

LARGEST = 10**9 - 1


def _every_kind() -> list[type[Action]]:
    return [
        v
        for v in vars(actions).values()
        if isinstance(v, type) and issubclass(v, Action) and v is not Action
    ]


@pytest.mark.parametrize("kind", _every_kind(), ids=lambda k: k.__name__)
def test_every_action_packs_into_64_ascii_bytes_and_parses_back(kind: type[Action]) -> None:
    largest = kind(*[LARGEST for _ in dataclasses.fields(kind)])  # type: ignore[arg-type]
    data = pack(largest)
    assert data.isascii() and len(data.encode()) <= 64
    assert parse(data) == largest


def test_prefixes_are_the_ones_buttons_already_carry() -> None:
    assert pack(OpenBatch(batch=3, page=2)) == "b:3:2"
    assert pack(Confirm(record=15, version=4)) == "c:15:4"
    assert pack(Cancel()) == "x"
    assert parse("batch:7") == OpenBatch(batch=7, page=0)  # what the worker's nudges carried


@pytest.mark.parametrize(
    "data",
    ["", "zz:1", "b", "b:1:2:3", "b:-1:0", "b:1x:0", "c:1", "b:1234567890:0", "x:1", "b:１:0"],
)
def test_data_we_did_not_make_is_not_an_action(data: str) -> None:
    assert parse(data) is None


def test_only_ids_are_packed() -> None:
    with pytest.raises(ValueError):
        pack(OpenBatch(batch=10**9))
    with pytest.raises(ValueError):
        pack(FlagField(record=1, field="姓名"))  # type: ignore[arg-type]


def test_a_screen_renders_in_the_readers_language() -> None:
    screen = Screen(
        Lines([Text("bot.pending.title"), Plain("2020年7月考试计划")]),
        [
            [Button(Text("bot.broadcast.open"), Confirm(1, 2))],
            [],
            [Button(Plain("页"), Link("https://q.cn/s"))],
        ],
    )
    zh, en = screen.render("zh"), screen.render("en")
    assert zh.text.endswith("\n2020年7月考试计划") and en.text != zh.text
    assert zh.buttons == [
        [{"text": "查看待签发名单", "callback_data": "c:1:2"}],
        [{"text": "页", "url": "https://q.cn/s"}],
    ]
    assert (
        en.buttons[0][0]["callback_data"] == "c:1:2"
        and en.buttons[0][0]["text"] == "Open the pending list"
    )
