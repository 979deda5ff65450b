"""What WeCom handlers work with: the services, and one turn of one member's conversation."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from bot.wecom.api import Sent, WeComClient
from bot.wecom.cards import button_cards
from issuance.chat.screens import Screen
from issuance.chat.session import Session, Tap
from issuance.chat.signing_step import SigningStep
from issuance.core.catalog import t
from issuance.core.messaging import Inbound
from issuance.core.people import Channel
from issuance.core.ratelimit import RateLimiter
from issuance.core.settings import Settings
from issuance.store import Store
from issuance.xcert.service import Issuance

CHANNEL = Channel.WECOM
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
    verify_limiter: RateLimiter = field(
        default_factory=lambda: RateLimiter(VERIFY_PER_MINUTE, burst=VERIFY_PER_MINUTE)
    )

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
    def session(self) -> Session:
        """This member, as the desks see it."""
        services = self.services
        return Session(
            services.store,
            services.settings,
            CHANNEL,
            self.account,
            "wecom",
            services.verify_limiter,
            services.signing,
        )

    @property
    def client(self) -> WeComClient:
        return self.services.client

    def text(self, key: str, **params: Any) -> str:
        return t(key, self.locale, **params)

    async def load_locale(self) -> None:
        self.locale = await self.session.locale()

    def tap(self, what: str) -> Tap:
        """This click of this card, as the key that lets it act once. The card's task id goes
        into the tap's data (WeCom cards have no small message number)."""
        task = str(self.fields.get("TaskId", ""))
        return Tap(f"{CHANNEL}:{self.account}", 0, f"{task}|{what}")

    async def show(self, screen: Screen) -> None:
        """A channel-neutral screen: its text, then its buttons as cards (six a card)."""
        shown = screen.render(self.locale)
        await self.say(shown.text)
        for card in button_cards(shown.buttons, new_task, self.locale):
            await self.card(card)

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
