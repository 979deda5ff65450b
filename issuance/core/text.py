"""Free text typed by people (names, reasons): no invisible or control characters, bounded."""

from __future__ import annotations

import unicodedata

from issuance.core.errors import Invalid

# Cc: controls (NUL, bell, newlines); Cf: format characters (zero-width space and joiners,
# bidi overrides such as U+202E, BOM); Cs, Co: surrogates and private use; Zl, Zp: separators.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
NAME_MAX = 50
REASON_MAX = 500


def has_bad_characters(text: str) -> bool:
    """Whether `text` holds a character that is invisible, reorders text, or controls a terminal."""
    # Every bad category is one `str.isprintable` refuses (Other and Separator), so printable
    # text, nearly all of it, is settled at C speed; only the rest is looked at per character.
    if text.isprintable():
        return False
    return any(unicodedata.category(char) in _BAD_CATEGORIES for char in text)


def checked_text(text: str, limit: int, bad_key: str, long_key: str) -> str:
    """`text` stripped, or Invalid(bad_key) / Invalid(long_key, limit=...)."""
    text = text.strip()
    if has_bad_characters(text):
        raise Invalid(bad_key)
    if len(text) > limit:
        raise Invalid(long_key, limit=limit)
    return text
