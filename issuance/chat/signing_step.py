"""The online signature step (在线手写签名), provided by the web part's `issuance.xcert.signing`.

The bot calls it through `SigningStep` only, so the web part plugs in (or a test double does).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from issuance.core.people import Person
from issuance.xcert.service import Issuance


class Link(Protocol):
    """What the signing step hands back: the page to sign on and its QR code."""

    @property
    def url(self) -> str: ...

    @property
    def qr_png(self) -> bytes: ...


SigningStep = Callable[[Issuance, Person, Sequence[int], dict[str, Any] | None], Awaitable[Link]]


def default_step() -> SigningStep | None:
    """The web part's `start_signing`, or None when this build has no signing module."""
    try:
        from issuance.xcert.signing import start_signing
    except ImportError:
        return None
    return start_signing
