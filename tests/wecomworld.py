"""A demo world on WeCom alone: the web part serving /wecom/callback on loopback, the channel
running against the fake WeCom server, no Telegram token anywhere."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bot.wecom import callback
from bot.wecom.app import running
from bot.wecom.context import Services
from bot.wecom.pace import Limits
from issuance.chat.signing_step import SigningStep
from issuance.core.people import Invite
from issuance.core.settings import Secret, Settings
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.service import Issuance
from tests.botworld import Signing
from tests.fakewecom import (
    AES_KEY,
    AGENT_ID,
    CORP_ID,
    PATIENCE,
    SECRET,
    TOKEN,
    FakeWeCom,
    Message,
)
from tests.serving import InThread, loopback_socket, served
from web.app import build_app

EVALUATOR = "WangJianGuo"
HEAD = "LiMingHua"
STAFF = "ZhaoXiaoYan"
STRANGER = "LuRen"
MEMBERS = (EVALUATOR, HEAD, STAFF, STRANGER)


def wecom_settings(home: Path, fake: FakeWeCom, **overrides: Any) -> Settings:
    """Settings with WeCom configured against the fake server and no Telegram token."""
    values: dict[str, Any] = {
        "home": home,
        "secret_key": Secret("test-secret-key-test-secret-key-0123"),
        "wecom_corp_id": CORP_ID,
        "wecom_agent_id": AGENT_ID,
        "wecom_secret": Secret(SECRET),
        "wecom_token": Secret(TOKEN),
        "wecom_encoding_aes_key": Secret(AES_KEY),
        "wecom_base_url": fake.url,
    }
    return Settings(**(values | overrides))


@dataclass
class World:
    """The fake WeCom, the store and use cases, the running channel, the invites."""

    fake: FakeWeCom
    settings: Settings
    store: Store
    issuance: Issuance
    invites: list[Invite]
    signing: Signing
    base_url: str
    services: Services | None = None

    async def bind(self, userid: str, index: int) -> None:
        await self.issuance.bind(self.invites[index].code, "wecom", userid, None)

    async def say(self, userid: str, text: str, replies: int = 1) -> list[Message]:
        """The member sends `text`; the app's next `replies` messages to them."""
        before = len(self.fake.received(userid))
        response = await self.fake.say(userid, text)
        assert response.status_code == 200, response.text
        return await self.fake.next_messages(userid, before, replies)

    async def click(
        self, userid: str, message: Message, label: str, option: str | None = None, replies: int = 0
    ) -> list[Message]:
        """The member clicks a card button; the next `replies` new messages (card updates are
        read from `message` itself)."""
        before = len(self.fake.received(userid))
        updates = len(message.updates)
        response = await self.fake.click(userid, message, label, option)
        assert response.status_code == 200, response.text
        if replies:
            return await self.fake.next_messages(userid, before, replies)
        await self.fake.wait_for(lambda: True if len(message.updates) > updates else None)
        return []

    async def settled(self) -> dict[str, int]:
        """Wait until every stored callback was handled; the counts per status."""

        give_up = time.monotonic() + PATIENCE
        while True:
            counts = await self.store.inbound_counts()
            if not counts.get("pending") and not counts.get("handling"):
                return counts
            if time.monotonic() > give_up:
                raise AssertionError("callbacks still unhandled")
            await asyncio.sleep(0.01)


@asynccontextmanager
async def wecom_world(
    home: Path,
    fake: FakeWeCom,
    signing: SigningStep | None = None,
    limits: Limits | None = None,
    load: Callable[[Issuance], Awaitable[list[Invite]]] = demo.load,
    **overrides: Any,
) -> AsyncIterator[World]:
    """Demo data (`load`: the X-certificate demo unless given), the web part with
    /wecom/callback on a free port, the channel running."""
    sock, base_url = loopback_socket()
    overrides.setdefault("public_url", base_url)
    settings = wecom_settings(home, fake, **overrides)
    store = await Store.open(settings.database)
    issuance = Issuance(store, settings)
    invites = await load(issuance)
    fake.members.update(MEMBERS)
    fake.callback_url = base_url + callback.PATH
    doorbell = callback.Doorbell()
    app = build_app(settings, store, extra_routes=callback.routes(settings, doorbell))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    fake_signing = Signing(settings.public_url)
    world = World(fake, settings, store, issuance, invites, fake_signing, base_url)
    try:
        async with (
            served(server, sock),
            running(
                settings, store, signing or fake_signing, limits, doorbell=doorbell
            ) as services,
            httpx.AsyncClient(timeout=60) as http,
        ):
            world.services = services
            fake.http = http
            yield world
    finally:
        fake.http = None
        await store.close()


class WeComThread(InThread[World]):
    """`wecom_world` in a thread with its own event loop, for synchronous tests (the browser)."""

    def __init__(self, home: Path, fake: FakeWeCom, **options: Any) -> None:
        super().__init__(lambda: wecom_world(home, fake, **options), "WeCom world")

    @property
    def world(self) -> World | None:
        return self.value
