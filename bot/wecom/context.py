"""What WeCom handlers work with: the services, and one turn of one member's conversation."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.wecom.api import Sent, WeComClient
from bot.wecom.cards import button_cards
from issuance.chat.conversation import Conversation
from issuance.chat.notify import locale_of
from issuance.chat.screens import Screen
from issuance.chat.signing_step import SigningStep
from issuance.core.catalog import t
from issuance.core.errors import Conflict, DomainError, Invalid
from issuance.core.people import Person
from issuance.core.settings import Settings
from issuance.store import Inbound, Store
from issuance.xcert.completion import Completion
from issuance.xcert.service import Issuance

CHANNEL = "wecom"
# 查验 look-ups per member: at most 5 a minute, so numbers cannot be guessed by brute force.
VERIFY_PER_MINUTE = 5
# Card task ids must be unique per app for ever: milliseconds since the epoch, then a counter.
_TASKS = itertools.count(int(time.time() * 1000) * 1000)


def new_task() -> int:
    """A fresh number for a template card's task_id (and its taps' exactly-once key)."""
    return next(_TASKS)


@dataclass
class Services:
    """The WeCom channel's long-lived parts."""

    settings: Settings
    store: Store
    client: WeComClient
    signing: SigningStep | None
    verify_times: dict[str, list[float]] = field(default_factory=dict)
    wake_sender: Callable[[], None] = lambda: None

    @property
    def issuance(self) -> Issuance:
        return Issuance(self.store, self.settings)


@dataclass
class Turn:
    """One callback from one member, and the means to answer them."""

    services: Services
    item: Inbound
    locale: str = "zh"

    @property
    def account(self) -> str:
        return self.item.account

    @property
    def fields(self) -> dict[str, Any]:
        return self.item.body

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def issuance(self) -> Issuance:
        return self.services.issuance

    @property
    def client(self) -> WeComClient:
        return self.services.client

    def text(self, key: str, **params: Any) -> str:
        return t(key, self.locale, **params)

    @property
    def conversation(self) -> Conversation:
        """What this member's chat remembers: the awaited answer, drafts."""
        return Conversation(self.store, CHANNEL, self.account)

    @property
    def completion(self) -> Completion:
        return Completion(self.issuance)

    async def load_locale(self) -> None:
        person = await self.store.person_for_account(CHANNEL, self.account)
        if person is not None:
            self.locale = await locale_of(self.store, person.id)

    def throttle_verify(self) -> None:
        """Count one look-up; Invalid when the member made too many this minute."""
        now = time.monotonic()
        times = self.services.verify_times
        recent = [at for at in times.get(self.account, []) if now - at < 60]
        if len(recent) >= VERIFY_PER_MINUTE:
            raise Invalid("bot.verify.throttled")
        times[self.account] = [*recent, now]

    async def claim(self, what: str) -> None:
        """Act on this click of this card once: a second click (or a replay) is refused. The
        card's task id goes into the tap's data (WeCom cards have no small message number)."""
        task = str(self.fields.get("TaskId", ""))
        if not await self.store.claim_tap(f"{CHANNEL}:{self.account}", 0, f"{task}|{what}"):
            raise Conflict("bot.already_done")

    async def show(self, screen: Screen) -> None:
        """A channel-neutral screen: its text, then its buttons as cards (six a card)."""
        shown = screen.render(self.locale)
        await self.say(shown.text)
        for card in button_cards(shown.buttons, new_task, self.locale):
            await self.card(card)

    async def actor(self) -> Person | None:
        """The person bound to this WeCom member, if any."""
        return await self.store.person_for_account(CHANNEL, self.account)

    async def need_actor(self) -> Person:
        person = await self.actor()
        if person is None:
            raise DomainError("wecom.not_bound")
        return person

    async def say(self, text: str) -> Sent:
        return await self.client.send_text(self.account, text)

    async def card(self, card: dict[str, Any]) -> Sent:
        return await self.client.send(self.account, "template_card", card)

    async def image(self, png: bytes, name: str = "qr.png") -> Sent:
        return await self.client.send_media(self.account, "image", name, png)

    async def file(self, data: bytes, name: str) -> Sent:
        return await self.client.send_media(self.account, "file", name, data)

    async def textcard(self, title: str, description: str, url: str, button: str) -> Sent:
        return await self.client.send(
            self.account,
            "textcard",
            {"title": title, "description": description, "url": url, "btntxt": button},
        )

    async def replace_buttons(self, label: str) -> None:
        """The clicked card's buttons now all read `label` (WeCom's way to show it was used)."""
        code = str(self.fields.get("ResponseCode") or "")
        if code:
            await self.client.update_card(self.account, code, {"button": {"replace_name": label}})

    async def update_card(self, card: dict[str, Any]) -> bool:
        """Show `card` in place of the clicked one; False when this turn came from no click."""
        code = str(self.fields.get("ResponseCode") or "")
        if not code:
            return False
        await self.client.update_card(self.account, code, {"template_card": card})
        return True
