"""One account on one channel, as every desk sees it: who it is, what its chat remembers, which
taps it already acted on, and the use cases it reaches. Channel adapters build one per update
(Telegram) or callback (WeCom) and hand it to the desks; they never call the store themselves."""

from __future__ import annotations

from dataclasses import dataclass

from issuance.chat.conversation import Conversation
from issuance.chat.notify import locale_of
from issuance.chat.signing_step import SigningStep
from issuance.core.catalog import locale_for
from issuance.core.errors import Conflict, DomainError, Invalid
from issuance.core.people import Person
from issuance.core.ports import Ports
from issuance.core.ratelimit import RateLimiter
from issuance.core.settings import Settings
from issuance.graduation.printouts import Printouts
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock
from issuance.xcert.completion import Completion
from issuance.xcert.handout import Handout
from issuance.xcert.service import Issuance

# What the chat keeps once a member was told how to bind (WeCom reports every visit).
GREETED = "greeted"


@dataclass(frozen=True)
class Tap:
    """One tap of one button: the chat and message it was on and the button's data, the key
    that lets it act once."""

    chat: str
    message: int
    data: str


@dataclass(frozen=True)
class Session:
    """The account `account` on `channel`; `wording` prefixes the catalog keys a channel words
    its own way ("bot" for Telegram's /commands, "wecom" for WeCom's words)."""

    store: Ports
    settings: Settings
    channel: str
    account: str
    wording: str
    verify_limiter: RateLimiter
    signing: SigningStep | None = None

    def key(self, name: str) -> str:
        """The channel's own catalog key for `name` (e.g. "verify.ask")."""
        return f"{self.wording}.{name}"

    @property
    def conversation(self) -> Conversation:
        return Conversation(self.store, self.channel, self.account)

    @property
    def issuance(self) -> Issuance:
        return Issuance(self.store, self.settings)

    @property
    def completion(self) -> Completion:
        return Completion(self.issuance)

    @property
    def graduation(self) -> Graduation:
        return Graduation(self.store, self.settings)

    @property
    def stock(self) -> Stock:
        return Stock(self.store, self.settings)

    @property
    def handout(self) -> Handout:
        return Handout(self.store)

    @property
    def printouts(self) -> Printouts:
        return Printouts(self.graduation, self.store)

    async def actor(self) -> Person | None:
        """The person bound to this account, if any."""
        return await self.store.person_for_account(self.channel, self.account)

    async def need_actor(self) -> Person:
        """The bound person, or a DomainError telling how to bind."""
        person = await self.actor()
        if person is None:
            raise DomainError(self.key("not_bound"))
        return person

    async def locale(self, language: str | None = None) -> str:
        """The person's language where they chose one, else the channel's (`language`)."""
        person = await self.actor()
        if person is None:
            return locale_for(language)
        return await locale_of(self.store, person.id)

    async def claim(self, tap: Tap) -> None:
        """Act on this tap once: a second tap (or a replay) is refused."""
        if not await self.store.claim_tap(tap.chat, tap.message, tap.data):
            raise Conflict("bot.already_done")

    def throttle_verify(self) -> None:
        """Count one look-up; Invalid when the account made too many this minute."""
        if not self.verify_limiter.hit(f"{self.channel}:{self.account}").allowed:
            raise Invalid("bot.verify.throttled")

    async def first_visit(self) -> bool:
        """True the first time an unbound account is greeted (and never again)."""
        if await self.actor() is not None:
            return False
        if await self.store.chat_state(self.channel, self.account, GREETED) is not None:
            return False
        await self.conversation.keep(GREETED, {"greeted": True})
        return True

    async def unreachable(self) -> None:
        """The account left (unsubscribed): stop sending to it."""
        person = await self.actor()
        if person is not None:
            await self.store.mark_unreachable(person.id, self.channel)
