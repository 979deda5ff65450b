"""The domain's words are the database's words: the migrations' CHECK lists spell the enums."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from issuance.core.people import Channel
from issuance.core.vocabulary import BlankState, Delivery, GradStatus, XStatus
from issuance.xcert.statuses import X_STATUSES


def _check_list(dialect: str, migration: str, column: str) -> set[str]:
    sql = (files("issuance.store") / "migrations" / dialect / migration).read_text("utf-8")
    found = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", sql)
    assert found is not None
    return set(re.findall(r"'([^']*)'", found.group(1)))


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_graduation_statuses_are_the_ones_the_database_accepts(dialect: str) -> None:
    assert _check_list(dialect, "0021_graduation.sql", "status") == set(GradStatus)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_blank_states_are_the_ones_the_database_accepts(dialect: str) -> None:
    assert _check_list(dialect, "0022_blank_stock.sql", "state") == set(BlankState)


def test_the_x_chain_lists_every_sign_off_status_and_void_is_not_one() -> None:
    assert set(X_STATUSES) == set(XStatus) - {XStatus.VOID}


def test_wecom_is_a_channel_spelled_as_the_outbox_stores_it() -> None:
    assert Channel("wecom") is Channel.WECOM


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_hand_out_ways_are_the_ones_the_database_accepts(dialect: str) -> None:
    assert _check_list(dialect, "0070_handout.sql", "how") == set(Delivery)
