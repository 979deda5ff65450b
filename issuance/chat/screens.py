"""Screens: what a chat message shows (texts from the catalog, rows of buttons), for any channel.

A screen is built from core values by channel-neutral code and rendered in the reader's locale
as plain text plus rows of buttons; a channel adapter only turns those into its own widgets (an
inline keyboard, a template card) and taps back into typed actions (`issuance.chat.actions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from issuance.chat.actions import Action, pack
from issuance.core.catalog import t
from issuance.core.people import Person, Role
from issuance.graduation.chains import DEPARTMENT_ROLES, SCHOOL_ROLES


class Part(Protocol):
    """Anything that reads differently per locale: a catalog text, a span of time, a date."""

    def render(self, locale: str) -> str: ...


@dataclass(frozen=True)
class Text:
    """A catalog text: key and params; a param that is itself a Part is rendered alike."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, locale: str) -> str:
        values = {k: _rendered(v, locale) for k, v in self.params.items()}
        return t(self.key, locale, **values)


@dataclass(frozen=True)
class Plain:
    """Text shown as is in every locale (a name, a number, a plan)."""

    text: str

    def render(self, locale: str) -> str:
        return self.text


@dataclass(frozen=True)
class Lines:
    """Parts joined, one a line by default."""

    parts: Sequence[Part]
    separator: str = "\n"

    def render(self, locale: str) -> str:
        return self.separator.join(part.render(locale) for part in self.parts)


@dataclass(frozen=True)
class Link:
    """A button that opens a web page instead of acting in the chat."""

    url: str


@dataclass(frozen=True)
class Button:
    """A labelled action (or link)."""

    label: Part
    action: Action | Link


Rows = Sequence[Sequence[Button]]


@dataclass(frozen=True)
class Rendered:
    """A screen in one locale: the text, and buttons as {"text", "callback_data" | "url"}.

    The same shape is stored in outbox payloads, so a queued notice and a reply render alike.
    """

    text: str
    buttons: list[list[dict[str, str]]]


@dataclass(frozen=True)
class Screen:
    """What one message shows: a body and rows of buttons (empty rows are left out)."""

    body: Part
    rows: Rows = ()

    def render(self, locale: str) -> Rendered:
        return Rendered(self.body.render(locale), buttons(self.rows, locale))


def buttons(rows: Rows, locale: str) -> list[list[dict[str, str]]]:
    """Rows of buttons in `locale`, each packed for the wire."""
    return [[_button(b, locale) for b in row] for row in rows if row]


def _button(button: Button, locale: str) -> dict[str, str]:
    label = button.label.render(locale)
    if isinstance(button.action, Link):
        return {"text": label, "url": button.action.url}
    return {"text": label, "callback_data": pack(button.action)}


def _rendered(value: object, locale: str) -> object:
    render = getattr(value, "render", None)
    return render(locale) if callable(render) else value


# Which help text a person reads (`bot.help.*` on Telegram, `wecom.help.*` on WeCom), by role.
HELP_TOPICS: dict[str, str] = {
    Role.HEAD: "head",
    Role.STAFF: "staff",
    Role.SIGNER: "evaluator",
    **dict.fromkeys((*SCHOOL_ROLES, *DEPARTMENT_ROLES), "graduation"),
    **dict.fromkeys((Role.KEEPER, Role.DISTRIBUTOR), "stock"),
    Role.ADMIN: "admin",
}


def help_topic(person: Person | None) -> str:
    """The help topic of a person (guest for nobody, or a role with no topic of its own)."""
    return HELP_TOPICS.get(person.role, "guest") if person else "guest"
