"""Resident ID-card numbers (居民身份证号码, GB 11643-1999): validation and masking."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from operator import mul

from issuance.core.errors import Invalid

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# The weighted sum of 17 zeros' code points: the digits' sum from their bytes without int().
_ZEROS = ord("0") * sum(_WEIGHTS)
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# A birth before this year is not in the future: only later ones are compared with today.
_SURELY_PAST = 2026


def check_character(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != len(_WEIGHTS):
        raise ValueError("check_character needs the first 17 digits")
    if first17.isascii():
        return _CHECK[(sum(map(mul, first17.encode(), _WEIGHTS)) - _ZEROS) % 11]
    return _CHECK[sum(map(mul, map(int, first17), _WEIGHTS)) % 11]


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
    if born.year < 1900 or (born.year >= _SURELY_PAST and born > date.today()):
        raise Invalid("id.birth_date")
    if check_character(value[:17]) != value[17]:
        raise Invalid("id.check_digit")
    return IdNumber(value)


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
