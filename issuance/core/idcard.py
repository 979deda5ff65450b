"""Resident ID-card numbers (居民身份证号码, GB 11643-1999): validation and masking."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import repeat
from operator import eq, itemgetter

from issuance.core.errors import Invalid

_CHECK = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_STORED = re.compile(r"[0-9]{17}[0-9X]")
_EARLIEST_BIRTH = date(1900, 1, 1)
# A birth before this year is not in the future: only later ones are compared with today.
_SURELY_PAST = 2026


def check_character(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("check_character needs the first 17 digits")
    return _check(first17)


def _check(digits: str) -> str:
    # The digits' weights are 2**(17 - i) mod 11, and 13 = 2 (mod 11): their weighted sum is,
    # mod 11, twice the digits read as a base-13 number (which int() reads in C).
    return _CHECK[2 * int(digits, 13) % 11]


def check_characters(first17s: Iterable[str]) -> Iterator[str]:
    """The check character of each of many first 17 digits (checked ASCII digits already), as
    `check_character` computes it, at C speed (an import's chunk of ID numbers at once)."""
    sums = map(int, first17s, repeat(13))
    return map(_CHECK.__getitem__, map(_MOD_11, map(_TWICE, sums)))


_TWICE, _MOD_11 = (2).__mul__, (11).__rmod__


@dataclass(frozen=True)
class IdNumber:
    """A validated 18-character ID-card number, stored upper-case."""

    value: str

    @property
    def birth_date(self) -> date:
        return date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def is_male(self) -> bool:
        return int(self.value[16]) % 2 == 1

    @property
    def masked(self) -> str:
        return mask(self.value)


def parse_id_number(raw: str) -> IdNumber:
    """Validate `raw` (trimmed; lower-case x and full-width forms accepted) or raise Invalid."""
    # NFKC turns full-width digits (as Chinese input methods type them) into ASCII; any other
    # digit script stays non-ASCII and is refused, so the stored value is always ASCII.
    value = (raw if raw.isascii() else unicodedata.normalize("NFKC", raw)).strip().upper()
    if not _SHAPE.match(value):
        raise Invalid("id.shape")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise Invalid("id.birth_date") from None
    # Nobody born before 1900 sits a vocational exam; such a number is a typing error.
    if born < _EARLIEST_BIRTH or (born.year >= _SURELY_PAST and born > date.today()):
        raise Invalid("id.birth_date")
    if check_character(value[:17]) != value[17]:
        raise Invalid("id.check_digit")
    return IdNumber(value)


def is_stored_form(value: str, today: date) -> bool:
    """Whether `value` is a valid number exactly as stored (ASCII, upper-case X), as
    `parse_id_number` would return it: a file's usual cell, settled without building one."""
    if not _STORED.fullmatch(value) or _check(value[:17]) != value[17]:
        return False
    try:
        born = date.fromisoformat(value[6:14])
    except ValueError:
        return False
    return _EARLIEST_BIRTH <= born <= today


_STORED_LINES = re.compile(r"(?:[0-9]{17}[0-9X]\n)*")
_FIRST17: Callable[[str], str] = itemgetter(slice(0, 17))
_BIRTH: Callable[[str], str] = itemgetter(slice(6, 14))
_LAST: Callable[[str], str] = itemgetter(17)


def are_stored_forms(values: Sequence[str], today: date) -> bool:
    """Whether every one of `values` `is_stored_form` (a column of an import file's usual
    cells), settled in a few passes at C speed."""
    if not values:
        return True
    if {*map(type, values)} != {str} or not _STORED_LINES.fullmatch("\n".join(values) + "\n"):
        return False
    if not all(map(eq, check_characters(map(_FIRST17, values)), map(_LAST, values))):
        return False
    try:
        born = list(map(date.fromisoformat, map(_BIRTH, values)))
    except ValueError:
        return False
    return min(born) >= _EARLIEST_BIRTH and max(born) <= today


def mask(id_number: str) -> str:
    """Show the first six and last four characters only: 610114*****1011."""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return f"{id_number[:6]}*****{id_number[-4:]}"


def mask_name(name: str) -> str:
    """Keep the family name, hide the rest: 朱鹏飞 -> 朱**."""
    return name[:1] + "*" * (len(name) - 1) if name else name


_ID_LIKE = re.compile(r"[0-9０-９]{15}|[0-9０-９]{17}[0-9０-９XxＸｘ]")


def mask_ref(ref: str) -> str:
    """What someone typed to find a person, as it may be echoed: masked if it looks like an ID
    number (it may be one with a wrong check digit), else trimmed and cut to 40 characters."""
    value = ref.strip()
    return mask(value) if _ID_LIKE.fullmatch(value) else value[:40]
