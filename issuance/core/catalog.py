"""Message catalog: every user-facing text, Simplified Chinese first, English second.

Texts live in `messages/*.toml`, one file per feature, each with a `[zh]` and an `[en]` table of
`key = "text with {placeholders}"`. A key missing in English falls back to Chinese.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LOCALE = "zh"
LOCALES = ("zh", "en")


@cache
def _texts() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {locale: {} for locale in LOCALES}
    folder = resources.files("issuance.core") / "messages"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for locale in LOCALES:
            for key, text in data.get(locale, {}).items():
                if key in merged[locale]:
                    raise ValueError(f"duplicate catalog key {key!r} in {entry.name}")
                merged[locale][key] = text
    return merged


def locale_for(language_code: str | None) -> str:
    """Pick a catalog locale from a client language code such as 'en-US' or 'zh-hans'."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def t(key: str, locale: str = DEFAULT_LOCALE, **params: Any) -> str:
    """Text for `key` in `locale`, formatted with `params`."""
    texts = _texts()
    text = texts.get(locale, {}).get(key) or texts[DEFAULT_LOCALE].get(key)
    if text is None:
        raise KeyError(f"no catalog text for {key!r}")
    return text.format(**params) if params else text


def has(key: str) -> bool:
    """Whether the catalog knows `key` (in Chinese, the reference locale)."""
    return key in _texts()[DEFAULT_LOCALE]
