"""Certificate numbers (证书编号): pattern formatting; allocation itself is atomic in the store."""

from __future__ import annotations

import re
from dataclasses import dataclass

from issuance.core.errors import Invalid

LEVEL_DIGITS = {"初级": 1, "中级": 2, "高级": 3}
_SEQ_FIELD = re.compile(r"\{seq(:[^}]*)?\}")


@dataclass(frozen=True)
class NumberPattern:
    """A pattern such as `156000310156100120{seq:05d}`; fields: program, year, level, seq."""

    pattern: str

    def __post_init__(self) -> None:
        if len(_SEQ_FIELD.findall(self.pattern)) != 1:
            raise Invalid("numbers.pattern_needs_seq", pattern=self.pattern)

    def scope(self, program_id: int, year: int, level: str) -> str:
        """The sequence a number is drawn from: the pattern with every field but seq filled in."""
        head = _SEQ_FIELD.sub("#", self.pattern)
        return f"{program_id}:" + head.format(
            program=program_id, year=year, level=LEVEL_DIGITS[level]
        )

    def format(self, program_id: int, year: int, level: str, seq: int) -> str:
        try:
            number = self.pattern.format(
                program=program_id, year=year, level=LEVEL_DIGITS[level], seq=seq
            )
        except (KeyError, ValueError, IndexError):
            raise Invalid("numbers.pattern_invalid", pattern=self.pattern) from None
        if not number.isdigit():
            raise Invalid("numbers.pattern_invalid", pattern=self.pattern)
        return number
