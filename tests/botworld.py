"""A demo world for bot conversations: demo data, bound users, the bot running on the fake API."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import segno

from bot.telegram.app import running
from bot.telegram.context import BotApp
from bot.telegram.pace import Limits
from issuance.chat.notify import Notice, send
from issuance.chat.screens import Plain
from issuance.core.people import Invite, Person
from issuance.core.settings import Secret, Settings
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.importing import ResultRow
from issuance.xcert.service import Issuance
from tests.fakebot import FakeBotApi, Sent, User

EVALUATOR = User(2001, "王建国")
HEAD = User(2002, "李明华")
STAFF = User(2003, "赵晓燕")
STRANGER = User(2999, "路人")
OTHER_HEAD = User(3001, "周校长")
ENGLISH = User(2002, "Li", language_code="en")
# Telegram's one message a second per chat, against a fake that enforces no flood limits, proves
# nothing and cost a conversation test a second per message. The pacing itself is proved where
# the fake enforces Telegram's limits (`rate_limits`, tests/integration/bot/test_outbox.py).
UNLIMITED = Limits(per_chat_interval=0.0)


def limits_for(api: FakeBotApi) -> Limits:
    """Telegram's pacing when the fake enforces its flood limits, else no per-chat wait."""
    return Limits() if api.rate_limits is not None else UNLIMITED


@dataclass
class SigningCall:
    """One start_signing call the bot made, and the chat message to edit once signed."""

    actor: Person
    record_ids: list[int]
    chat_ref: dict[str, Any]


@dataclass
class FakeLink:
    request_id: int
    url: str
    expires_at: str
    qr_png: bytes


@dataclass
class Signing:
    """Stands in for the web part's start_signing; `complete` does what its POST /sign does."""

    public_url: str
    calls: list[SigningCall] = field(default_factory=list)

    async def __call__(
        self,
        issuance: Issuance,
        actor: Person,
        record_ids: Sequence[int],
        chat_ref: dict[str, Any] | None = None,
    ) -> FakeLink:
        assert chat_ref is not None
        self.calls.append(SigningCall(actor, list(record_ids), chat_ref))
        url = f"{self.public_url}/sign/request-{len(self.calls)}"
        out = io.BytesIO()
        segno.make(url).save(out, kind="png", scale=4)
        return FakeLink(len(self.calls), url, "2030-01-01T00:00:00+08:00", out.getvalue())

    async def complete(self, issuance: Issuance, call: SigningCall) -> None:
        """The signer signed on the page: confirm, then queue the edit of the chat message."""
        png = b"\x89PNG signature"
        signature = await issuance.store.add_signature(
            call.actor.id, png, hashlib.sha256(png).hexdigest(), "[]"
        )
        records = await issuance.confirm(call.actor, call.record_ids, signature)
        done = Plain(f"已确认签发 {len(records)} 条记录。")
        await send(issuance.store, Notice(call.actor.id, done, edit=call.chat_ref))


@dataclass
class World:
    api: FakeBotApi
    settings: Settings
    store: Store
    issuance: Issuance
    invites: list[Invite]
    signing: Signing

    @asynccontextmanager
    async def bot(self) -> AsyncIterator[BotApp]:
        limits = limits_for(self.api)
        async with running(self.settings, self.store, self.signing, limits) as app:
            yield app

    async def bind(self, user: User, index: int) -> None:
        await self.issuance.bind(self.invites[index].code, "telegram", str(user.id), "zh")

    async def say(self, user: User, text: str) -> Sent:
        """The user sends text; the bot's next message in that chat."""
        self.api.send_text(user, text)
        return await self.api.next_message(user.id)

    async def tap(self, user: User, message: Sent, button: str) -> Sent:
        self.api.tap(user, message, button)
        return await self.api.next_message(user.id)

    async def answer_to_tap(self, user: User, message: Sent, button: str) -> str:
        """The user taps; the text of the bot's callback answer (a toast or alert)."""
        before = len(self.api.calls_to("answerCallbackQuery"))
        self.api.tap(user, message, button)
        call = await self.api.wait_for(
            lambda c: (
                c.method == "answerCallbackQuery"
                and len(self.api.calls_to("answerCallbackQuery")) > before
            )
        )
        answers = self.api.calls_to("answerCallbackQuery")[before:]
        return " ".join(str(c.params.get("text", "")) for c in answers) or str(call.params)

    async def another_school(self, code: str, name: str, head_phone: str, students: int) -> int:
        """A second school with its head and `students` passed results in the demo plan."""
        await self.store.insert_orgs([(code, name, "试点院校", "210200", None)])
        org = (await self.store.orgs_by_code([code]))[code]
        await self.store.insert_people([(f"{name}负责人", head_phone, org.id, "负责人", None)])
        issuer = (await self.store.orgs_by_code([demo.ISSUER[0]]))[demo.ISSUER[0]]
        numbers = [_id(int(head_phone[-4:]) * 100 + n) for n in range(students)]
        await self.store.import_results(
            [
                ResultRow(
                    f"学生{n}",
                    number,
                    "院校学生",
                    org.id,
                    demo.PROGRAM,
                    "初级",
                    issuer.id,
                    demo.PLAN,
                    org.id,
                    1,
                )
                for n, number in enumerate(numbers)
            ]
        )
        (batch,) = await self.issuance.create_lists(demo.PLAN, code)
        return batch.id


def _id(serial: int) -> str:
    from issuance.core.idcard import check_character

    first17 = f"110101{20010101 + serial % 27:08d}{serial % 1000:03d}"
    first17 = f"110101200101{serial % 28 + 1:02d}{serial % 1000:03d}"
    return first17 + check_character(first17)


async def make_world(home: Path, api: FakeBotApi, database: str = "") -> World:
    settings = Settings(
        home=home,
        database_url=database,
        telegram_token=Secret(api.token),
        telegram_base_url=api.base_url,
        telegram_base_file_url=api.base_file_url,
        public_url="http://127.0.0.1:8080",
    )
    store = await Store.open(settings.database)
    issuance = Issuance(store, settings)
    invites = await demo.load(issuance)
    return World(api, settings, store, issuance, invites, Signing(settings.public_url))
