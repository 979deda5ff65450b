"""A live web part for tests: the demo data in a real SQLite file, uvicorn on a loopback port."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn

from issuance.core.people import Invite
from issuance.core.settings import Secret, Settings
from issuance.store import SHANGHAI, Store
from issuance.xcert import demo
from issuance.xcert.service import Issuance
from tests.serving import InThread, loopback_socket, served
from web.app import build_app

HEAD_PHONE = "13800000002"
EVALUATOR_PHONE = "13800000001"
BOT_TOKEN = "123456:TEST-not-a-real-token"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class LiveThread(InThread["Live"]):
    """`live_app` in a thread with its own event loop, for synchronous tests (the browser)."""

    def __init__(self, home: Path, **overrides: Any) -> None:
        super().__init__(lambda: live_app(home, **overrides), "live app")

    @property
    def live(self) -> Live | None:
        return self.value


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 6, 30, 9, 0, tzinfo=SHANGHAI)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@dataclass
class Live:
    """The running app and what tests reach behind it."""

    base_url: str
    store: Store
    issuance: Issuance
    settings: Settings
    clock: Clock
    invites: list[Invite]


def settings_for(home: Path, **overrides: Any) -> Settings:
    """Test settings: fixed secrets, a fake bot token (nothing ever contacts Telegram)."""
    base = Settings(
        home=home,
        secret_key=Secret("test-secret-key-test-secret-key-0123"),
        telegram_token=Secret(BOT_TOKEN),
    )
    return replace(base, **overrides)


@asynccontextmanager
async def live_app(home: Path, **overrides: Any) -> AsyncIterator[Live]:
    """Demo data loaded, the app served by uvicorn in this event loop on a free loopback port."""
    sock, base_url = loopback_socket()
    overrides.setdefault("public_url", base_url)
    settings = settings_for(home, **overrides)
    clock = Clock()
    store = await Store.open(settings.database, clock=clock)
    issuance = Issuance(store, settings)
    invites = await demo.load(issuance)
    config = uvicorn.Config(build_app(settings, store), lifespan="off", log_level="warning")
    try:
        async with served(uvicorn.Server(config), sock):
            yield Live(base_url, store, issuance, settings, clock, invites)
    finally:
        await store.close()


def csrf_of(page: httpx.Response) -> str:
    """The CSRF form token in a page."""
    match = _CSRF.search(page.text)
    assert match, "page has no CSRF field"
    return match.group(1)


def signature_fields(seed: int = 7) -> dict[str, str]:
    """A handwriting-like signature as the pad posts it: PNG data URL and strokes JSON."""
    png, strokes = demo.signature_png(seed)
    return {
        "signature": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "strokes": strokes,
    }


def init_data(user_id: int, auth_date: int, bot_token: str = BOT_TOKEN) -> str:
    """Telegram Mini App initData for `user_id`, hashed by Telegram's published rule."""
    fields = {
        "auth_date": str(auth_date),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "测试"}, separators=(",", ":")),
    }
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)
