"""A graduate's (毕业生) fields as every way in checks them: the graduates import and 毕业证修改.

Each check returns the value to store (digits normalized, trimmed) or raises Invalid with a
catalog key the import reports against its cell and 毕业证修改 answers with.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from issuance.core.catalog import DEFAULT_LOCALE, t
from issuance.core.errors import Invalid
from issuance.core.idcard import parse_id_number
from issuance.core.text import NAME_MAX, has_bad_characters

STUDY_MODES = ("全日制", "非全日制")
MAJOR_MAX = 50
# The oldest term a graduate on file may have; the newest is next year's.
FIRST_YEAR = 1950
MAX_YEARS = 10
_MONTH = re.compile(r"^(\d{4})[-./年]?(\d{1,2})(?:[-./月].*)?$")
_YEARS = re.compile(r"^(\d+(?:\.\d+)?)\s*年?$")


def ascii_digits(raw: str) -> str:
    """`raw` with every decimal digit (full-width ２, Arabic-Indic ٢, …) as its ASCII digit."""
    if raw.isascii():
        return raw
    return "".join(
        str(unicodedata.decimal(char)) if char.isdecimal() and not char.isascii() else char
        for char in raw
    )


def month(raw: str) -> str | None:
    """YYYYMM from 201506, 2015-06, 2015.6 or 2015-06-01 (any digits); None if not a month."""
    match = _MONTH.match(ascii_digits(raw.strip()))
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{match.group(1)}{int(match.group(2)):02d}"


def checked_month(raw: str, today: date | None = None) -> str:
    """入学时间 or 毕业时间: a month between 1950 and next year."""
    value = month(raw)
    if value is None:
        raise Invalid("grad.import.month")
    last = (today or date.today()).year + 1
    if not FIRST_YEAR <= int(value[:4]) <= last:
        raise Invalid("grad.field.month_range", first=FIRST_YEAR, last=last)
    return value


def checked_years(raw: str) -> str:
    """学制: a number of years, more than 0 and at most 10."""
    found = _YEARS.match(ascii_digits(raw.strip()))
    if found is None:
        raise Invalid("grad.import.years")
    if not 0 < float(found.group(1)) <= MAX_YEARS:
        raise Invalid("grad.field.years_range", limit=MAX_YEARS)
    return found.group(1)


def checked_plain(raw: str, limit: int) -> str:
    """Visible text of at most `limit` characters."""
    value = raw.strip()
    if has_bad_characters(value):
        raise Invalid("import.bad_text")
    if len(value) > limit:
        raise Invalid("import.too_long", limit=limit)
    if not value:
        raise Invalid("import.required")
    return value


def checked_name(raw: str) -> str:
    """姓名: visible text, at most 50 characters."""
    return checked_plain(raw, NAME_MAX)


def checked_major(raw: str) -> str:
    """专业名称: visible text, at most 50 characters."""
    return checked_plain(raw, MAJOR_MAX)


def checked_study_mode(raw: str) -> str:
    value = raw.strip()
    if value not in STUDY_MODES:
        raise Invalid("import.one_of", allowed=" | ".join(STUDY_MODES))
    return value


def checked_id_number(raw: str) -> str:
    return parse_id_number(raw).value


def check_dates(id_number: str, enrolled: str, graduated: str) -> None:
    """Enrolled after birth and before graduating (both YYYYMM)."""
    born = parse_id_number(id_number).birth_date
    if enrolled < f"{born.year:04d}{born.month:02d}":
        raise Invalid("grad.field.enrolled_before_birth")
    if enrolled >= graduated:
        raise Invalid("grad.import.graduated_before_enrolled")


# 毕业证修改's fields and their checks.
FIELD_CHECKS = {
    "name": checked_name,
    "id_number": checked_id_number,
    "enrolled": checked_month,
    "years": checked_years,
    "study_mode": checked_study_mode,
    "major": checked_major,
}
FIELD_NAMES = {
    "name": "姓名",
    "id_number": "身份证号",
    "enrolled": "入学时间",
    "years": "学制",
    "study_mode": "学习方式",
    "major": "专业名称",
}


class FieldInvalid(Invalid):
    """A field's value refused, naming the field and saying why in the reader's language."""

    def __init__(self, field: str, why: Invalid) -> None:
        super().__init__("grad.field.invalid", field=FIELD_NAMES.get(field, field))
        self.why = why

    def message(self, locale: str = DEFAULT_LOCALE) -> str:
        return t(self.key, locale, why=self.why.message(locale), **self.params)


def checked_field(field: str, raw: str) -> str:
    """One amendable field checked as the import checks it; FieldInvalid names it."""
    try:
        return FIELD_CHECKS[field](raw)
    except Invalid as why:
        raise FieldInvalid(field, why) from None
