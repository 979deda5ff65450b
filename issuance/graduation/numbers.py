"""The 19-digit graduation certificate number: formatting and explaining, from settings.

No official digit mapping is published, so the pattern and the level mappings are settings. The
pattern's fields: region, school_seq, school_level, year, class_level, major, serial; each with a
fixed width (`{serial:04d}`), so that a number can be read back part by part.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cached_property

from issuance.core.errors import Conflict, Invalid

FIELDS = ("region", "school_seq", "school_level", "year", "class_level", "major", "serial")
_WIDTH = re.compile(r"^0?(\d+)d$")


@dataclass(frozen=True)
class NumberParts:
    """The parts of one number, as values (levels by name)."""

    region: int
    school_seq: int
    school_level: str
    year: int
    class_level: str
    major: int
    serial: int


@dataclass(frozen=True)
class GraduationNumbers:
    """The pattern and its level mappings (name -> digit)."""

    pattern: str
    school_levels: dict[str, int]
    class_levels: dict[str, int]

    def __post_init__(self) -> None:
        widths = self.widths()
        if set(widths) != set(FIELDS):
            raise Invalid("grad.pattern_fields", pattern=self.pattern)

    @cached_property
    def _widths(self) -> dict[str, int]:
        return self.widths()

    def widths(self) -> dict[str, int]:
        """Each field's width, read from the pattern (Invalid unless each is fixed)."""
        found: dict[str, int] = {}
        for _, name, spec, _ in string.Formatter().parse(self.pattern):
            if name is None:
                continue
            match = _WIDTH.match(spec or "")
            if name not in FIELDS or match is None or name in found:
                raise Invalid("grad.pattern_fields", pattern=self.pattern)
            found[name] = int(match.group(1))
        return found

    def format(self, parts: NumberParts) -> str:
        """The number of `parts`; a part too long for its place is refused, never truncated."""
        values = {
            "region": parts.region,
            "school_seq": parts.school_seq,
            "school_level": self.school_levels[parts.school_level],
            "year": parts.year,
            "class_level": self.class_levels[parts.class_level],
            "major": parts.major,
            "serial": parts.serial,
        }
        for name, width in self._widths.items():
            if not 0 <= values[name] < 10**width:
                raise Conflict("grad.number_part_too_long", part=name, value=values[name])
        return self.pattern.format(**values)

    def explain(self, number: str) -> NumberParts:
        """Read a number back into its parts, or Invalid if it does not fit the pattern."""
        regex = ""
        for literal, name, spec, _ in string.Formatter().parse(self.pattern):
            regex += re.escape(literal)
            if name is not None:
                width = int(_WIDTH.match(spec or "").group(1))  # type: ignore[union-attr]
                regex += f"(?P<{name}>[0-9]{{{width}}})"
        match = re.fullmatch(regex, number.strip())
        if match is None:
            raise Invalid("grad.number_shape", pattern=self.pattern)
        digits = {name: int(value) for name, value in match.groupdict().items()}
        return NumberParts(
            region=digits["region"],
            school_seq=digits["school_seq"],
            school_level=_name_of(self.school_levels, digits["school_level"], "school_level"),
            year=digits["year"],
            class_level=_name_of(self.class_levels, digits["class_level"], "class_level"),
            major=digits["major"],
            serial=digits["serial"],
        )


def _name_of(mapping: dict[str, int], digit: int, part: str) -> str:
    for name, value in mapping.items():
        if value == digit:
            return name
    raise Invalid("grad.number_unknown_digit", part=part, digit=digit)


def parse_mapping(items: tuple[str, ...], names: tuple[str, ...], setting: str) -> dict[str, int]:
    """`("技师学院=1", …)` as a mapping; every name once, digits distinct."""
    mapping: dict[str, int] = {}
    for item in items:
        name, _, digit = item.partition("=")
        if not digit.strip().isdigit():
            raise Invalid("grad.mapping_invalid", setting=setting, item=item)
        mapping[name.strip()] = int(digit)
    if sorted(mapping) != sorted(names) or len(set(mapping.values())) != len(mapping):
        raise Invalid("grad.mapping_invalid", setting=setting, item=", ".join(items))
    return mapping
