"""A fake Telegram Bot API on loopback: the real python-telegram-bot HTTP stack talks to it."""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
import itertools
import json
import math
import re
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Bot
from telegram.ext import Application, ApplicationBuilder
from uvicorn.protocols.http.h11_impl import H11Protocol

from tests.serving import loopback_socket, served_in_thread

# How long a test waits for the bot before failing: a safety net against hanging, never a timing
# assertion (waits end as soon as the bot acted), so long enough for a loaded CI machine.
PATIENCE = 30.0

JSON = dict[str, Any]
T = TypeVar("T")

# Form fields that stay strings; every other form value is JSON-decoded as Telegram does.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "file_id",
        "language_code",
        "action",
        "photo",
        "document",
        "inline_message_id",
        "ip_address",
    }
)
_SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_TOKEN = re.compile(r"<(/?)([A-Za-z][\w-]*)(?:\s[^<>]*)?>|<")
_COMMAND = re.compile(r"(?<!\S)/\w{1,32}(?:@\w+)?", re.ASCII)
_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_PHOTO_SIDES = (90, 320, 800, 1280)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    502: "Bad Gateway",
}


class _ApiError(Exception):
    """An error answer exactly as the Bot API sends it."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> JSON:
        """The JSON body Telegram answers with."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(frozen=True)
class User:
    """A Telegram user chatting with the bot in a private chat (chat id == user id)."""

    id: int
    first_name: str = "测试用户"
    language_code: str = "zh-hans"
    username: str | None = None

    def to_dict(self) -> JSON:
        """Bot API User object."""
        data: JSON = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            data["username"] = self.username
        return data

    def chat(self) -> JSON:
        """Bot API Chat object of the private chat with this user."""
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass(frozen=True)
class Upload:
    """A file's bytes as uploaded by the bot (multipart) or by a user."""

    data: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class Button:
    """One inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Sent:
    """A bot message as the chat shows it now: latest text, caption and buttons after edits."""

    chat_id: int
    message_id: int
    raw: JSON
    file: Upload | None = None
    deleted: bool = False

    @property
    def text(self) -> str | None:
        """Text as displayed (HTML tags removed)."""
        return self.raw.get("text")

    @property
    def caption(self) -> str | None:
        """Caption of a photo or document as displayed."""
        return self.raw.get("caption")

    @property
    def edited(self) -> bool:
        """Whether the bot edited the message since sending it."""
        return "edit_date" in self.raw

    @property
    def buttons(self) -> list[list[Button]]:
        """Inline keyboard rows."""
        rows = self.raw.get("reply_markup", {}).get("inline_keyboard", [])
        return [
            [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row] for row in rows
        ]

    def button(self, label: str) -> Button:
        """The button with this text or callback data."""
        flat = [b for row in self.buttons for b in row]
        for button in flat:
            if label in (button.callback_data, button.text):
                return button
        raise KeyError(f"no button {label!r} on message {self.message_id}: {flat}")


@dataclass(frozen=True)
class Call:
    """One request the bot made, its decoded parameters and the answer it got."""

    method: str
    params: JSON
    files: dict[str, Upload]
    status: int
    result: Any
    description: str | None

    @property
    def ok(self) -> bool:
        """Whether Telegram accepted the call."""
        return self.status == 200


@dataclass(frozen=True)
class RateLimits:
    """Telegram's flood limits on sent messages; answers 429 with retry_after when exceeded."""

    per_second: int = 30
    per_chat_interval: float = 1.0
    retry_after: float | None = None


@dataclass
class Stats:
    """Counters that let a test prove nothing was lost and nothing duplicated."""

    retry_after: int = 0
    forbidden: int = 0
    outage: int = 0
    accepted: Counter[int] = field(default_factory=Counter)


@dataclass(frozen=True)
class _File:
    """A file the server can serve through getFile and the download URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None


class _Changes:
    """Wakes coroutines on any event loop when the fake's state changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def notify(self) -> None:
        """Wake every waiter, whichever thread and loop it runs on."""
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that test's loop is already closed
                with self._lock:
                    self._waiters.discard((loop, event))

    async def wait_until(self, probe: Callable[[], T | None], timeout: float) -> T:
        """Return probe()'s first truthy result; TimeoutError after timeout seconds."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    waiter[1].clear()
                    if result := probe():
                        return result
                    await waiter[1].wait()
        finally:
            with self._lock:
                self._waiters.discard(waiter)


def _decode(name: str, value: str) -> Any:
    """A form value as Telegram reads it: JSON unless the field is a plain string."""
    if name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def _html_to_text(source: str) -> str:
    """The text Telegram displays for parse_mode=HTML; 400 where Telegram refuses to parse."""
    open_tags: list[str] = []
    parts, pos = [], 0
    for match in _HTML_TOKEN.finditer(source):
        parts.append(source[pos : match.start()])
        pos = match.end()
        offset = len(source[: match.start()].encode())
        closing, name = match.group(1), (match.group(2) or "").lower()
        if name not in _HTML_TAGS:
            raise _ApiError(
                400,
                "Bad Request: can't parse entities: Unsupported start tag "
                f'"{name}" at byte offset {offset}',
            )
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            raise _ApiError(
                400,
                "Bad Request: can't parse entities: Unmatched end tag at byte "
                f'offset {offset}, found "</{name}>"',
            )
    if open_tags:
        raise _ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag "
            f'corresponding to start tag "{open_tags[-1]}"',
        )
    parts.append(source[pos:])
    return html.unescape("".join(parts))


def _photo_renditions(data: bytes) -> list[tuple[bytes, int, int]]:
    """Telegram's compressed photo: JPEGs with longest side 90/320/800/1280, largest last."""
    try:
        with Image.open(io.BytesIO(data)) as original:
            image = original.convert("RGB")
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValueError("not an image Telegram could compress") from exc
    renditions = []
    for side in sorted({min(limit, max(image.size)) for limit in _PHOTO_SIDES}):
        copy = image.copy()
        copy.thumbnail((side, side))
        out = io.BytesIO()
        copy.save(out, "JPEG", quality=87)
        renditions.append((out.getvalue(), copy.width, copy.height))
    return renditions


def _inline_markup(params: JSON) -> JSON | None:
    """The inline keyboard Telegram echoes in the message, validated like Telegram does."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise _ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
    return markup


class FakeBotApi:
    """One fake bot (one token): Telegram's side of every chat, driven by the test."""

    def __init__(self, server_url: str, bot_id: int) -> None:
        self.token = f"{bot_id}:FAKE-{uuid.uuid4().hex}"
        self.base_url = f"{server_url}/bot"
        self.base_file_url = f"{server_url}/file/bot"
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "签发测试机器人",
            "username": f"qianfa_test_{bot_id}_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.rate_limits: RateLimits | None = None
        self.stats = Stats()
        self.webhook: JSON | None = None
        self._lock = threading.RLock()
        self._changes = _Changes()
        self._closed = False
        self._calls: list[Call] = []
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._message_ids: Counter[int] = Counter()
        self._chats: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], Sent] = {}
        self._events: defaultdict[int, list[Sent]] = defaultdict(list)
        self._cursors: Counter[int] = Counter()
        self._files: dict[str, _File] = {}
        self._photos: dict[str, list[JSON]] = {}
        self._open_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._blocked: set[int] = set()
        self._outage_until: float | None = None
        self._outage_drops = False
        self._failures: defaultdict[str, deque[_ApiError]] = defaultdict(deque)
        self._recent_sends: deque[float] = deque()
        self._last_send: dict[int, float] = {}
        self._methods: dict[str, Callable[[JSON, dict[str, Upload]], Any]] = {
            "getme": lambda p, f: self.bot_user,
            "close": lambda p, f: True,
            "logout": lambda p, f: True,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
        }

    # ---- test side: wiring -------------------------------------------------------------------

    def bot(self) -> Bot:
        """A real PTB Bot pointed at this fake."""
        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url)

    def app_builder(self) -> ApplicationBuilder:
        """A PTB ApplicationBuilder pointed at this fake."""
        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    @asynccontextmanager
    async def polling(self, app: Application) -> AsyncIterator[Application]:
        """Run a PTB Application with long polling for the duration of the block."""
        async with app:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0)
            await app.start()
            try:
                yield app
            finally:
                await app.updater.stop()
                await app.stop()

    def close(self) -> None:
        """Stop answering long polls so nothing waits on this bot any more."""
        self._closed = True
        self._changes.notify()

    # ---- test side: what users do ------------------------------------------------------------

    def send_text(self, user: User, text: str) -> JSON:
        """The user sends text; /commands get bot_command entities as Telegram adds them."""
        entities = [
            {
                "type": "bot_command",
                "offset": _utf16_len(text[: m.start()]),
                "length": _utf16_len(m.group()),
            }
            for m in _COMMAND.finditer(text)
        ]
        return self._from_user(user, {"text": text, **({"entities": entities} if entities else {})})

    def send_command(self, user: User, command: str, *args: str) -> JSON:
        """The user sends /command with arguments."""
        return self.send_text(user, " ".join([f"/{command.lstrip('/')}", *args]))

    def send_document(
        self,
        user: User,
        data: bytes,
        file_name: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> JSON:
        """The user sends a file as a document (bytes kept as is)."""
        with self._lock:
            stored = self._store(data, "documents", file_name, mime_type)
            return self._from_user(
                user,
                {"document": self._document(stored), **({"caption": caption} if caption else {})},
            )

    def send_photo(self, user: User, data: bytes, caption: str | None = None) -> JSON:
        """The user sends an image as a photo: Telegram recompresses it into JPEG sizes."""
        with self._lock:
            photo = self._store_photo(data)
            return self._from_user(
                user, {"photo": photo, **({"caption": caption} if caption else {})}
            )

    def tap(self, user: User, message: Sent, callback_data: str) -> JSON:
        """The user taps a button (by callback data or label) on the message as it is now."""
        with self._lock:
            current = self._messages.get((message.chat_id, message.message_id))
            if current is None or current.deleted:
                raise ValueError(f"message {message.message_id} is gone")
            button = current.button(callback_data)
            if button.callback_data is None:
                raise ValueError(f"button {button.text!r} is not a callback button")
            query_id = str(next(self._ids))
            self._open_queries.add(query_id)
            return self._queue(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user.to_dict(),
                        "message": current.raw,
                        "chat_instance": str(message.chat_id),
                        "data": button.callback_data,
                    }
                }
            )

    async def post_webhook(
        self,
        update: JSON,
        url: str | None = None,
        secret_token: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """POST an update like Telegram (default: to the bot's webhook, with its secret)."""
        hook = self.webhook or {}
        url = url or hook.get("url")
        if not url:
            raise ValueError("no webhook URL: pass url= or let the bot call setWebhook")
        secret = secret_token if secret_token is not None else hook.get("secret_token")
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        if client is not None:
            return await client.post(url, json=update, headers=headers)
        async with httpx.AsyncClient(timeout=PATIENCE) as own:
            return await own.post(url, json=update, headers=headers)

    # ---- test side: faults -------------------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends to the chat answer 403."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """The user unblocks the bot."""
        with self._lock:
            self._blocked.discard(chat_id)

    def outage(self, seconds: float | None = None, drop: bool = False) -> None:
        """Telegram is down for seconds (None: until end_outage): 502 answers, or drop=True closes
        connections unanswered."""
        with self._lock:
            self._outage_until = math.inf if seconds is None else time.monotonic() + seconds
            self._outage_drops = drop

    def end_outage(self) -> None:
        """Telegram is back."""
        with self._lock:
            self._outage_until = None

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of method with this error instead of serving them."""
        text = description or _DEFAULT_DESCRIPTIONS.get(error_code, "Error")
        if error_code == 429:
            retry_after = retry_after or 1
            text = description or f"Too Many Requests: retry after {retry_after}"
        with self._lock:
            self._failures[method.lower()].extend(
                _ApiError(error_code, text, retry_after) for _ in range(times)
            )

    def drops_connections(self) -> bool:
        """Whether a drop-mode outage is on now (counted as an outage hit)."""
        with self._lock:
            if self._outage_drops and self._in_outage():
                self.stats.outage += 1
                return True
            return False

    # ---- test side: what the bot did ---------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every request the bot made, in order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The bot's requests to one method (case-insensitive), in order."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = PATIENCE) -> Call:
        """The first call (ever) matching predicate, waiting for it if needed."""

        def probe() -> Call | None:
            with self._lock:
                return next((c for c in self._calls if predicate(c)), None)

        return await self._wait(probe, timeout, "matching call")

    async def next_message(self, chat_id: int, timeout: float = PATIENCE) -> Sent:
        """The next message the bot sent or edited in the chat (each one returned once)."""

        def probe() -> Sent | None:
            with self._lock:
                events, seen = self._events[chat_id], self._cursors[chat_id]
                if seen < len(events):
                    self._cursors[chat_id] += 1
                    return events[seen]
                return None

        return await self._wait(probe, timeout, f"bot message in chat {chat_id}")

    def message(self, chat_id: int, message_id: int) -> Sent:
        """The latest state of one bot message."""
        with self._lock:
            return self._messages[(chat_id, message_id)]

    def messages(self, chat_id: int) -> list[Sent]:
        """The bot's messages still in the chat, latest state, oldest first."""
        with self._lock:
            return [
                m
                for (chat, _), m in sorted(self._messages.items())
                if chat == chat_id and not m.deleted
            ]

    def uploads(self, chat_id: int) -> list[Upload]:
        """Files (photos and documents) the bot sent to the chat, in order."""
        with self._lock:
            return [
                m.file
                for (chat, _), m in sorted(self._messages.items())
                if chat == chat_id and m.file is not None
            ]

    def commands(self, language_code: str = "", scope: JSON | None = None) -> list[JSON]:
        """The command list the bot registered for this scope and language."""
        with self._lock:
            return list(self._commands.get(self._commands_key(scope, language_code), []))

    # ---- server side -------------------------------------------------------------------------

    async def handle(self, method: str, params: JSON, files: dict[str, Upload]) -> tuple[int, JSON]:
        """Serve one Bot API request; returns the HTTP status and JSON body."""
        name = method.lower()
        result: Any = None
        try:
            with self._lock:
                self._check_faults(name)
            if name == "getupdates":
                result = await self._get_updates(params)
            else:
                handler = self._methods.get(name)
                if handler is None:
                    raise _ApiError(404, "Not Found")
                with self._lock:
                    result = handler(params, files)
        except _ApiError as error:
            status, body = error.code, error.body()
        else:
            status, body = 200, {"ok": True, "result": result}
        with self._lock:
            self._calls.append(Call(method, params, files, status, result, body.get("description")))
        self._changes.notify()
        return status, body

    def download(self, file_path: str) -> _File | None:
        """The file served at file_path, or None; 502 during an outage."""
        with self._lock:
            if self._in_outage():
                self.stats.outage += 1
                raise _ApiError(502, "Bad Gateway")
            return next((f for f in self._files.values() if f.file_path == file_path), None)

    async def _wait(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        """Wait for probe with a timeout message that shows what the bot did instead."""
        try:
            return await self._changes.wait_until(probe, timeout)
        except TimeoutError:
            done = [
                f"{c.method}({c.params}) -> {c.status}"
                for c in self.calls
                if c.method.lower() != "getupdates"
            ]
            raise TimeoutError(f"no {what} within {timeout}s; bot calls: {done[-20:]}") from None

    def _in_outage(self) -> bool:
        """Whether an outage window is open now."""
        return self._outage_until is not None and time.monotonic() < self._outage_until

    def _check_faults(self, name: str) -> None:
        """Outage and scripted failures, which apply before any method logic."""
        if self._in_outage():
            self.stats.outage += 1
            raise _ApiError(502, "Bad Gateway")
        if self._failures[name]:
            error = self._failures[name].popleft()
            if error.code == 429:
                self.stats.retry_after += 1
            raise error

    def _admit(self, chat_id: int) -> None:
        """Refuse a message as Telegram does: blocked chat (403), flood limits (429)."""
        if chat_id in self._blocked:
            self.stats.forbidden += 1
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        limits = self.rate_limits
        if limits is None:
            return
        now = time.monotonic()
        while self._recent_sends and now - self._recent_sends[0] >= 1:
            self._recent_sends.popleft()
        wait = 0.0
        if len(self._recent_sends) >= limits.per_second:
            wait = 1 - (now - self._recent_sends[0])
        if chat_id in self._last_send:
            wait = max(wait, limits.per_chat_interval - (now - self._last_send[chat_id]))
        if wait > 0:
            self.stats.retry_after += 1
            seconds = limits.retry_after or max(1, math.ceil(wait))
            raise _ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        self._recent_sends.append(now)
        self._last_send[chat_id] = now

    async def _get_updates(self, params: JSON) -> list[JSON]:
        """Long polling: confirm updates below offset, wait up to timeout for new ones."""
        with self._lock:
            if self.webhook:
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is "
                    "active; use deleteWebhook to delete the webhook first",
                )
            offset = params.get("offset") or 0
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = params.get("limit") or 100

        def probe() -> tuple[list[JSON]] | None:
            with self._lock:
                pending = self._updates[:limit]
            return (pending,) if pending or self._closed else None

        try:
            (updates,) = await self._changes.wait_until(probe, float(params.get("timeout") or 0))
        except TimeoutError:
            return []
        return updates

    def _queue(self, update: JSON) -> JSON:
        """Give an update an id and queue it for getUpdates (not while a webhook is set)."""
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            if not self.webhook:
                self._updates.append(update)
        self._changes.notify()
        return update

    def _from_user(self, user: User, content: JSON) -> JSON:
        """Queue a message update from the user in the private chat."""
        with self._lock:
            self._chats[user.id] = user.chat()
            self._message_ids[user.id] += 1
            message = {
                "message_id": self._message_ids[user.id],
                "from": user.to_dict(),
                "chat": user.chat(),
                "date": int(time.time()),
                **content,
            }
            return self._queue({"message": message})

    def _chat(self, chat_id: int) -> JSON:
        """The Chat object for a chat id."""
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id < 0:
            return {
                "id": chat_id,
                "type": "supergroup" if chat_id < -(10**12) else "group",
                "title": f"chat {chat_id}",
            }
        return {"id": chat_id, "type": "private", "first_name": f"user {chat_id}"}

    def _chat_id(self, params: JSON) -> int:
        """The chat_id parameter as Telegram resolves it."""
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
            chat_id = int(chat_id)
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _rendered(self, params: JSON, name: str, limit: int) -> str | None:
        """A text or caption parameter as displayed, checked against Telegram's limits."""
        source = params.get(name)
        if source is None or source == "":
            if name == "text":
                raise _ApiError(400, "Bad Request: message text is empty")
            return None
        text = _html_to_text(str(source)) if params.get("parse_mode") == "HTML" else str(source)
        if _utf16_len(text) > limit:
            raise _ApiError(400, f"Bad Request: message {'caption ' * (name != 'text')}is too long")
        return text

    def _post(self, chat_id: int, content: JSON, file: Upload | None = None) -> JSON:
        """Record a message the bot sent and return it as a Bot API Message."""
        self._message_ids[chat_id] += 1
        raw = {
            "message_id": self._message_ids[chat_id],
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v is not None},
        }
        self.stats.accepted[chat_id] += 1
        return self._update_message(Sent(chat_id, raw["message_id"], raw, file))

    def _update_message(self, sent: Sent) -> JSON:
        """Store a message's new state and log it for next_message."""
        self._messages[(sent.chat_id, sent.message_id)] = sent
        self._events[sent.chat_id].append(sent)
        return sent.raw

    def _target(self, params: JSON, verb: str) -> Sent:
        """The bot message an edit or delete refers to."""
        if "inline_message_id" in params:
            raise _ApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat_id = self._chat_id(params)
        if chat_id in self._blocked:
            self.stats.forbidden += 1
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        sent = self._messages.get((chat_id, params.get("message_id")))  # type: ignore[arg-type]
        if sent is None or sent.deleted:
            raise _ApiError(400, f"Bad Request: message to {verb} not found")
        return sent

    def _edit(self, sent: Sent, changes: JSON, params: JSON) -> JSON:
        """Apply an edit (None removes a field); 400 'message is not modified' like Telegram."""
        raw = {k: v for k, v in sent.raw.items() if k not in ("reply_markup", "edit_date")}
        for key, value in changes.items():
            if value is None:
                raw.pop(key, None)
            else:
                raw[key] = value
        if (markup := _inline_markup(params)) is not None:
            raw["reply_markup"] = markup
        old = {k: v for k, v in sent.raw.items() if k != "edit_date"}
        if raw == old:
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current "
                "content and reply markup of the message",
            )
        raw["edit_date"] = int(time.time())
        return self._update_message(replace(sent, raw=raw))

    def _store(
        self, data: bytes, folder: str, file_name: str | None, mime_type: str | None
    ) -> _File:
        """Keep a file so getFile and the download URL can serve it."""
        number = next(self._ids)
        suffix = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "jpg"
        stored = _File(
            f"FAKE-{folder}-{number}-{uuid.uuid4().hex[:8]}",
            hashlib.sha256(data).hexdigest()[:16],
            f"{folder}/file_{number}.{suffix}",
            data,
            file_name,
            mime_type,
        )
        self._files[stored.file_id] = stored
        return stored

    def _store_photo(self, data: bytes) -> list[JSON]:
        """Store a photo's compressed sizes; returns the Bot API PhotoSize array."""
        sizes: list[JSON] = []
        for jpeg, width, height in _photo_renditions(data):
            stored = self._store(jpeg, "photos", None, "image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(jpeg),
                    "width": width,
                    "height": height,
                }
            )
        for size in sizes:
            self._photos[size["file_id"]] = sizes
        return sizes

    @staticmethod
    def _document(stored: _File) -> JSON:
        """Bot API Document object."""
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.data),
        }

    def _input_file(self, params: JSON, files: dict[str, Upload], name: str) -> Upload | _File:
        """The file a send method refers to: multipart upload, attach:// or a known file_id."""
        value = params.get(name)
        if name in files:
            return files[name]
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            return files[value[9:]]
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    @staticmethod
    def _commands_key(scope: JSON | None, language_code: str) -> tuple[str, str]:
        """Storage key of a command list."""
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    # ---- Bot API methods (called with the lock held) -----------------------------------------

    def _set_webhook(self, params: JSON, files: dict[str, Upload]) -> bool:
        """setWebhook: remember the URL and secret."""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = dict(params) if params.get("url") else None
        return True

    def _delete_webhook(self, params: JSON, files: dict[str, Upload]) -> bool:
        """deleteWebhook, optionally dropping pending updates."""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    def _get_webhook_info(self, params: JSON, files: dict[str, Upload]) -> JSON:
        """getWebhookInfo."""
        hook = self.webhook or {}
        return {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _set_my_commands(self, params: JSON, files: dict[str, Upload]) -> bool:
        """setMyCommands with Telegram's validation of names and descriptions."""
        commands = params.get("commands") or []
        for command in commands:
            if not _BOT_COMMAND.fullmatch(command.get("command", "")):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise _ApiError(400, "Bad Request: command description must be non-empty")
        key = self._commands_key(params.get("scope"), params.get("language_code", ""))
        self._commands[key] = list(commands)
        return True

    def _get_my_commands(self, params: JSON, files: dict[str, Upload]) -> list[JSON]:
        """getMyCommands."""
        key = self._commands_key(params.get("scope"), params.get("language_code", ""))
        return self._commands.get(key, [])

    def _delete_my_commands(self, params: JSON, files: dict[str, Upload]) -> bool:
        """deleteMyCommands."""
        self._commands.pop(
            self._commands_key(params.get("scope"), params.get("language_code", "")), None
        )
        return True

    def _send_message(self, params: JSON, files: dict[str, Upload]) -> JSON:
        """sendMessage."""
        chat_id = self._chat_id(params)
        content = {
            "text": self._rendered(params, "text", 4096),
            "reply_markup": _inline_markup(params),
        }
        self._admit(chat_id)
        return self._post(chat_id, content)

    def _send_document(self, params: JSON, files: dict[str, Upload]) -> JSON:
        """sendDocument: keep the uploaded bytes and file name."""
        chat_id = self._chat_id(params)
        source = self._input_file(params, files, "document")
        caption = self._rendered(params, "caption", 1024)
        markup = _inline_markup(params)
        self._admit(chat_id)
        if isinstance(source, Upload):
            source = self._store(source.data, "documents", source.file_name, source.mime_type)
        upload = Upload(source.data, source.file_name, source.mime_type)
        return self._post(
            chat_id,
            {"document": self._document(source), "caption": caption, "reply_markup": markup},
            upload,
        )

    def _send_photo(self, params: JSON, files: dict[str, Upload]) -> JSON:
        """sendPhoto: keep the uploaded bytes, answer with compressed photo sizes."""
        chat_id = self._chat_id(params)
        source = self._input_file(params, files, "photo")
        caption = self._rendered(params, "caption", 1024)
        markup = _inline_markup(params)
        if isinstance(source, Upload):
            try:
                photo = self._store_photo(source.data)
            except ValueError:
                raise _ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None
            upload = source
        elif source.file_id in self._photos:
            photo = self._photos[source.file_id]
            upload = Upload(source.data, None, source.mime_type)
        else:
            raise _ApiError(400, "Bad Request: type of file mismatch")
        self._admit(chat_id)
        return self._post(
            chat_id, {"photo": photo, "caption": caption, "reply_markup": markup}, upload
        )

    def _edit_message_text(self, params: JSON, files: dict[str, Upload]) -> JSON:
        """editMessageText."""
        sent = self._target(params, "edit")
        if "text" not in sent.raw:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        return self._edit(sent, {"text": self._rendered(params, "text", 4096)}, params)

    def _edit_message_caption(self, params: JSON, files: dict[str, Upload]) -> JSON:
        """editMessageCaption."""
        sent = self._target(params, "edit")
        if sent.file is None:
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        return self._edit(sent, {"caption": self._rendered(params, "caption", 1024)}, params)

    def _edit_message_reply_markup(self, params: JSON, files: dict[str, Upload]) -> JSON:
        """editMessageReplyMarkup."""
        return self._edit(self._target(params, "edit"), {}, params)

    def _delete_message(self, params: JSON, files: dict[str, Upload]) -> bool:
        """deleteMessage."""
        sent = self._target(params, "delete")
        self._messages[(sent.chat_id, sent.message_id)] = replace(sent, deleted=True)
        return True

    def _answer_callback_query(self, params: JSON, files: dict[str, Upload]) -> bool:
        """answerCallbackQuery: each query can be answered once."""
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.discard(query_id)
        return True

    def _send_chat_action(self, params: JSON, files: dict[str, Upload]) -> bool:
        """sendChatAction."""
        chat_id = self._chat_id(params)
        if chat_id in self._blocked:
            self.stats.forbidden += 1
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return True

    def _get_file(self, params: JSON, files: dict[str, Upload]) -> JSON:
        """getFile."""
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


async def _read_params(request: Request) -> tuple[JSON, dict[str, Upload]]:
    """Bot API parameters from the query string and a JSON, urlencoded or multipart body."""
    params: JSON = {k: _decode(k, v) for k, v in request.query_params.items()}
    files: dict[str, Upload] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        params.update(json.loads(await request.body() or b"{}"))
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        async with request.form() as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[key] = Upload(await value.read(), value.filename, value.content_type)
                else:
                    params[key] = _decode(key, value)
    return params, files


def _error(code: int, description: str) -> JSONResponse:
    """A Bot API error response."""
    return JSONResponse(_ApiError(code, description).body(), status_code=code)


class FakeBotServer:
    """A loopback HTTP server speaking the Bot API for any number of fake bots, in a thread."""

    def __init__(self) -> None:
        self._socket, self.url = loopback_socket()
        self._bots: dict[str, FakeBotApi] = {}
        self._bot_ids = itertools.count(7_000_000_001)
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{file_path:path}", self._download, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http=self._protocol(),
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)

    @contextmanager
    def running(self) -> Iterator[FakeBotServer]:
        """Serve until the block ends."""
        with served_in_thread(self._server, self._socket, "fake Bot API server"):
            try:
                yield self
            finally:
                for bot in list(self._bots.values()):
                    bot.close()

    def new_bot(self) -> FakeBotApi:
        """A fresh fake bot with its own token and empty state."""
        bot = FakeBotApi(self.url, next(self._bot_ids))
        self._bots[bot.token] = bot
        return bot

    def remove(self, bot: FakeBotApi) -> None:
        """Forget a bot: its token answers 401 Unauthorized from now on."""
        bot.close()
        self._bots.pop(bot.token, None)

    def _protocol(self) -> type[H11Protocol]:
        """uvicorn's HTTP protocol, aborting connections during a drop-mode outage."""
        server = self

        class DroppingProtocol(H11Protocol):
            def data_received(self, data: bytes) -> None:
                """Abort instead of answering while any bot's outage drops connections."""
                if any(bot.drops_connections() for bot in list(server._bots.values())):
                    if self.transport is not None:
                        self.transport.abort()
                    return
                super().data_received(data)

        return DroppingProtocol

    async def _api(self, request: Request) -> Response:
        """POST|GET /bot{token}/{method}."""
        bot = self._bots.get(request.path_params["token"])
        if bot is None:
            return _error(401, "Unauthorized")
        params, files = await _read_params(request)
        status, body = await bot.handle(request.path_params["method"], params, files)
        return JSONResponse(body, status_code=status)

    async def _download(self, request: Request) -> Response:
        """GET /file/bot{token}/{file_path}."""
        bot = self._bots.get(request.path_params["token"])
        if bot is None:
            return _error(401, "Unauthorized")
        try:
            stored = bot.download(request.path_params["file_path"])
        except _ApiError as error:
            return JSONResponse(error.body(), status_code=error.code)
        if stored is None:
            return _error(404, "Not Found")
        return Response(stored.data, media_type=stored.mime_type or "application/octet-stream")
