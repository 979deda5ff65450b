"""A live web part for tests: the demo data in a real SQLite file, uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import uvicorn

from issuance.core.settings import Secret, Settings
from issuance.store import SHANGHAI, Store
from issuance.xcert import demo
from issuance.xcert.service import Invite, Issuance
from web.app import build_app

HEAD_PHONE = "13800000002"
EVALUATOR_PHONE = "13800000001"
BOT_TOKEN = "123456:TEST-not-a-real-token"
T = TypeVar("T")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class LiveThread:
    """`live_app` in a thread with its own event loop, for synchronous tests (the browser)."""

    def __init__(self, home: Path, **overrides: Any) -> None:
        self._home = home
        self._overrides = overrides
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.live: Live | None = None

    def __enter__(self) -> LiveThread:
        self._thread.start()
        if not self._ready.wait(timeout=60) or self._error is not None:
            raise RuntimeError("live app did not start") from self._error
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with live_app(self._home, **self._overrides) as live:
                self.live = live
                self._ready.set()
                await self._stop.wait()
        except BaseException as error:
            self._error = error
            self._ready.set()
            raise

    def call(self, work: Callable[[Live], Awaitable[T]]) -> T:
        """Run `work(live)` in the app's event loop and return its result."""
        assert self._loop is not None and self.live is not None
        return asyncio.run_coroutine_threadsafe(work(self.live), self._loop).result(timeout=60)


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
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    overrides.setdefault("public_url", f"http://127.0.0.1:{port}")
    settings = settings_for(home, **overrides)
    clock = Clock()
    store = await Store.open(settings.database, clock=clock)
    issuance = Issuance(store, settings)
    invites = await demo.load(issuance)
    config = uvicorn.Config(build_app(settings, store), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield Live(f"http://127.0.0.1:{port}", store, issuance, settings, clock, invites)
    finally:
        server.should_exit = True
        await task
        sock.close()
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
