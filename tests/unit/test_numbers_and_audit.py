"""Certificate-number patterns and the audit hash chain, without a database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from issuance.core.audit import GENESIS, AuditEntry, StoredEntry, entry_hash, first_broken
from issuance.core.errors import Invalid
from issuance.core.numbers import NumberPattern
from issuance.core.settings import Settings

DEFAULT = Settings.__dataclass_fields__["numbers_default_pattern"].default


def test_default_pattern_makes_23_digit_numbers() -> None:
    number = NumberPattern(DEFAULT).format(program_id=3, year=2025, level="中级", seq=45)
    assert number == "10000320252000000000045"
    assert len(number) == 23


def test_the_guide_pattern_reproduces_the_guide_number() -> None:
    pattern = NumberPattern("156000310156100120{seq:05d}")
    assert pattern.format(1, 2020, "初级", 45) == "15600031015610012000045"


def test_scope_separates_programs_years_and_levels_but_not_sequence() -> None:
    pattern = NumberPattern(DEFAULT)
    assert pattern.scope(1, 2025, "初级") != pattern.scope(2, 2025, "初级")
    assert pattern.scope(1, 2025, "初级") != pattern.scope(1, 2026, "初级")
    assert pattern.scope(1, 2025, "初级") != pattern.scope(1, 2025, "高级")
    assert pattern.scope(1, 2025, "初级") == pattern.scope(1, 2025, "初级")


@pytest.mark.parametrize("pattern", ["1234", "{seq}{seq}"])
def test_a_pattern_needs_exactly_one_seq(pattern: str) -> None:
    with pytest.raises(Invalid):
        NumberPattern(pattern)


@pytest.mark.parametrize("pattern", ["AB{seq:05d}", "{nope}{seq}"])
def test_a_pattern_must_make_digits_only(pattern: str) -> None:
    with pytest.raises(Invalid):
        NumberPattern(pattern).format(1, 2025, "初级", 1)


def _chain(count: int) -> list[StoredEntry]:
    entries, prev = [], GENESIS
    for index in range(1, count + 1):
        entry = AuditEntry(f"2025-06-30T10:00:0{index}+08:00", "person:1", "signoff.confirm", "r")
        digest = entry_hash(prev, entry)
        entries.append(StoredEntry(index, entry, prev, digest))
        prev = digest
    return entries


def test_an_intact_chain_has_no_broken_entry() -> None:
    assert first_broken(_chain(5)) is None
    assert first_broken([]) is None


def test_an_edited_field_breaks_that_entry() -> None:
    entries = _chain(5)
    entries[2] = replace(entries[2], entry=replace(entries[2].entry, reason="edited"))
    assert first_broken(entries) == (3, "entry content does not match its hash (entry was edited)")


def test_an_edit_with_a_recomputed_hash_breaks_the_next_entry() -> None:
    entries = _chain(5)
    edited = replace(entries[2].entry, actor="person:2")
    entries[2] = replace(entries[2], entry=edited, hash=entry_hash(entries[2].prev_hash, edited))
    broken = first_broken(entries)
    assert broken is not None and broken[0] == 4


def test_a_deleted_middle_entry_is_named() -> None:
    entries = _chain(5)
    del entries[2]
    assert first_broken(entries) == (4, "entry 3 is missing")


def test_a_deleted_first_entry_breaks_the_genesis_link() -> None:
    broken = first_broken(_chain(3)[1:])
    assert broken is not None and broken[0] == 2


def test_the_hash_covers_every_field() -> None:
    entry = AuditEntry("t", "a", "x", "s", "why", "sig")
    base = entry_hash(GENESIS, entry)
    for field in ("at", "actor", "action", "subject", "reason", "signature"):
        assert entry_hash(GENESIS, replace(entry, **{field: "other"})) != base
    assert entry_hash("1" * 64, entry) != base
