"""Domain errors: raised by the core with a catalog key, translated to text at the edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from issuance.core.catalog import DEFAULT_LOCALE, t


class DomainError(Exception):
    """A rule of the domain was broken; `key` names the catalog text that explains it."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, locale: str = DEFAULT_LOCALE) -> str:
        return t(self.key, locale, **self.params)

    def __str__(self) -> str:
        return self.message()


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class Forbidden(DomainError):
    """The asker may not do this."""


class Conflict(DomainError):
    """The state changed meanwhile: the act no longer applies."""


class Invalid(DomainError):
    """Input that fails validation."""


@asynccontextmanager
async def refusing(key: str) -> AsyncIterator[None]:
    """What the database refuses (a trigger, a unique key: an IntegrityError of either driver)
    becomes Conflict(key); wrap it around the whole transaction, which has rolled back by then."""
    try:
        yield
    except Exception as error:
        if any(kind.__name__ == "IntegrityError" for kind in type(error).__mro__):
            raise Conflict(key) from error
        raise
