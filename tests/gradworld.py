"""The graduation demo in a real SQLite file: a province, Fuzhou (final), Quanzhou (not final),
one school of each level with its 经办人 and 校领导, the departments' people, one term's
graduates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.telegram.app import running
from bot.telegram.context import BotApp
from issuance.core.people import Person
from issuance.core.settings import Secret, Settings, load_settings, write_initial_config
from issuance.graduation import demo
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock
from issuance.store import Store
from issuance.xcert.service import Issuance
from tests.botworld import limits_for
from tests.fakebot import FakeBotApi, Sent, User

PROVINCE_RUN, UNDER_FINAL_CITY, UNDER_CITY = (school[0] for school in demo.SCHOOLS)


@dataclass
class GradWorld:
    """The store, the use cases, and everybody by a short name."""

    home: Path
    store: Store
    grad: Graduation
    stock: Stock
    people: dict[str, Person]

    def __getitem__(self, name: str) -> Person:
        return self.people[name]


# Short names: the schools' clerks and leaders by school, the departments' people by place.
NAMES = {
    "13900000001": "province",
    "13900000002": "keeper",
    "13900000003": "distributor",
    "13900000004": "fuzhou",
    "13900000005": "quanzhou",
    "13900000011": "clerk_province_run",
    "13900000012": "leader_province_run",
    "13900000021": "clerk_fuzhou",
    "13900000022": "leader_fuzhou",
    "13900000031": "clerk_quanzhou",
    "13900000032": "leader_quanzhou",
}


@asynccontextmanager
async def grad_world(home: Path) -> AsyncIterator[GradWorld]:
    # A home as `qianfa init` makes it, so the command line can be run on it too.
    write_initial_config(home)
    settings = load_settings(home)
    store = await Store.open(settings.database_path)
    try:
        await demo.load(Issuance(store, settings))
        people = {}
        for phone, name in NAMES.items():
            person = await store.person_by_ref(phone)
            assert person is not None
            people[name] = person
        yield GradWorld(home, store, Graduation(store, settings), Stock(store, settings), people)
    finally:
        await store.close()


@dataclass
class GradBot:
    """The graduation demo with everybody bound to a fake Telegram user, and the bot to run."""

    api: FakeBotApi
    settings: Settings
    world: GradWorld
    users: dict[str, User]

    @asynccontextmanager
    async def bot(self) -> AsyncIterator[BotApp]:
        async with running(self.settings, self.world.store, limits=limits_for(self.api)) as app:
            yield app

    async def say(self, who: str, message: str) -> Sent:
        self.api.send_text(self.users[who], message)
        return await self.api.next_message(self.users[who].id)

    async def tap(self, who: str, message: Sent, button: str) -> Sent:
        self.api.tap(self.users[who], message, button)
        return await self.api.next_message(self.users[who].id)

    async def alert(self, who: str, message: Sent, button: str) -> str:
        """The user taps; the text of the bot's callback answer."""
        before = len(self.api.calls_to("answerCallbackQuery"))
        self.api.tap(self.users[who], message, button)
        await self.api.wait_for(
            lambda c: (
                c.method == "answerCallbackQuery"
                and len(self.api.calls_to("answerCallbackQuery")) > before
            )
        )
        answers = self.api.calls_to("answerCallbackQuery")[before:]
        return " ".join(str(c.params.get("text", "")) for c in answers)

    async def notice(self, who: str) -> Sent:
        """The next message the outbox delivers to this person."""
        return await self.api.next_message(self.users[who].id)


@asynccontextmanager
async def grad_bot(home: Path, api: FakeBotApi) -> AsyncIterator[GradBot]:
    settings = Settings(
        home=home,
        telegram_token=Secret(api.token),
        telegram_base_url=api.base_url,
        telegram_base_file_url=api.base_file_url,
    )
    store = await Store.open(settings.database_path)
    try:
        issuance = Issuance(store, settings)
        invites, _ = await demo.load(issuance)
        people: dict[str, Person] = {}
        users: dict[str, User] = {}
        for index, invite in enumerate(invites):
            name = NAMES[invite.person.phone]
            users[name] = User(5000 + index, invite.person.name)
            people[name] = invite.person
            await issuance.bind(invite.code, "telegram", str(users[name].id), "zh")
        world = GradWorld(home, store, Graduation(store, settings), Stock(store, settings), people)
        yield GradBot(api, settings, world, users)
    finally:
        await store.close()
