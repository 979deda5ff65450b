"""A fake WeCom (企业微信) server on loopback: its API for our client, its callbacks to our app.

The API side answers gettoken, message/send, media/upload, media/get,
message/update_template_card, menu/create and OAuth2's auth/getuserinfo (snsapi_base codes, and
snsapi_privateinfo codes with a user_ticket when the member consented) and auth/getuserdetail
(the member's mobile number, from `mobiles`) with WeCom's documented JSON and error codes, and
keeps WeCom's rules: a member gets at most 30 messages a minute (the rest are silently dropped,
as WeCom does), text over 2048 bytes is truncated, a response_code works once, tokens expire.
Faults and rate limits can be injected. The callback side encrypts and signs messages and card
clicks the way WeCom does and posts them to our callback URL over real HTTP.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.wecom.crypto import WeComCrypto
from tests.serving import loopback_socket, served_in_thread

# How long a test waits for the app before failing: a safety net against hanging, never a timing
# assertion (waits end as soon as the app acted), so long enough for a loaded CI machine.
PATIENCE = 30.0

JSON = dict[str, Any]
T = TypeVar("T")
CORP_ID = "wwfake0000000000a1"
AGENT_ID = 1000002
SECRET = "fake-app-secret-0123456789abcdefghijklmnop"
TOKEN = "QianfaCallbackToken1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TEXT_LIMIT = 2048
PER_USER_MINUTE = 30


@dataclass
class Message:
    """One message WeCom accepted for a member."""

    touser: str
    msgtype: str
    content: JSON
    msgid: str
    response_code: str | None
    at: float
    updates: list[JSON] = field(default_factory=list)

    @property
    def text(self) -> str:
        """What a member reads: text, markdown, a text card, or a template card's texts."""
        c = self.content
        if self.msgtype in ("text", "markdown"):
            return str(c.get("content", ""))
        if self.msgtype == "textcard":
            return f"{c.get('title', '')}\n{c.get('description', '')}\n{c.get('url', '')}"
        if self.msgtype == "template_card":
            card = self.card
            parts = [
                card.get("main_title", {}).get("title", ""),
                card.get("main_title", {}).get("desc", ""),
                *(
                    f"{h.get('keyname', '')} {h.get('value', '')}"
                    for h in card.get("horizontal_content_list", [])
                ),
                card.get("sub_title_text", ""),
            ]
            return "\n".join(p for p in parts if p)
        return ""

    @property
    def card(self) -> JSON:
        """The template card as it reads now (after any full-card update)."""
        for update in reversed(self.updates):
            if "template_card" in update:
                return dict(update["template_card"])
        return dict(self.content)

    @property
    def buttons(self) -> dict[str, str]:
        """Button label -> key, of the card as it reads now."""
        return {b["text"]: b["key"] for b in self.card.get("button_list", [])}

    @property
    def replaced(self) -> str | None:
        """The label every button was replaced by (update with button.replace_name), if any."""
        for update in reversed(self.updates):
            if "button" in update:
                return str(update["button"].get("replace_name"))
        return None

    @property
    def options(self) -> dict[str, str]:
        """Drop-down option text -> id of the card's button_selection."""
        selection = self.card.get("button_selection") or {}
        return {o["text"]: o["id"] for o in selection.get("option_list", [])}


@dataclass
class Stats:
    dropped: int = 0  # over the per-member minute limit: WeCom drops them silently
    truncated: int = 0
    escaped: int = 0  # JSON bodies with \\uXXXX escapes
    tokens_issued: int = 0
    rate_limited: int = 0


class _Fault(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode, self.errmsg = errcode, errmsg


class FakeWeCom:
    """One corp with one self-built app; members are WeCom UserIDs in the app's range."""

    def __init__(self) -> None:
        self._socket, self.url = loopback_socket()
        self.crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
        self.callback_url = ""
        # The client posting callbacks, in the caller's event loop (set by whoever runs one).
        self.http: httpx.AsyncClient | None = None
        self.members: set[str] = set()
        self.messages: list[Message] = []
        self.media_store: dict[str, tuple[str, bytes, str]] = {}
        self.stats = Stats()
        self.token_lifetime = 7200
        self.per_user_minute = PER_USER_MINUTE
        self.minute = 60.0  # the per-member window (shorter in tests)
        self.calls: list[tuple[str, JSON]] = []
        self.menu: list[JSON] = []
        self._oauth: dict[str, str] = {}
        # snsapi_privateinfo: codes (member, consented?), user_tickets, and members' mobiles.
        self._private: dict[str, tuple[str, bool]] = {}
        self._tickets: dict[str, str] = {}
        self.mobiles: dict[str, str] = {}
        self._tokens: dict[str, float] = {}
        self._codes: dict[str, tuple[str, Message]] = {}
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._faults: dict[str, deque[tuple[int, str]]] = defaultdict(deque)
        self._drops: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._msg_ids = itertools.count(7_000_000_001)
        app = Starlette(
            routes=[
                Route("/cgi-bin/gettoken", self._gettoken, methods=["GET"]),
                Route("/cgi-bin/message/send", self._send, methods=["POST"]),
                Route("/cgi-bin/media/upload", self._upload, methods=["POST"]),
                Route("/cgi-bin/media/get", self._media_get, methods=["GET"]),
                Route("/cgi-bin/message/update_template_card", self._update_card, methods=["POST"]),
                Route("/cgi-bin/menu/create", self._menu_create, methods=["POST"]),
                Route("/cgi-bin/auth/getuserinfo", self._getuserinfo, methods=["GET"]),
                Route("/cgi-bin/auth/getuserdetail", self._getuserdetail, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", http=self._protocol()
        )
        self._server = uvicorn.Server(config)

    @contextmanager
    def running(self) -> Iterator[FakeWeCom]:
        with served_in_thread(self._server, self._socket, "fake WeCom server"):
            yield self

    # Faults

    def fail_next(self, path: str, errcode: int, times: int = 1, errmsg: str = "") -> None:
        """The next `times` calls to `path` (e.g. "message/send") answer `errcode`."""
        with self._lock:
            self._faults[path].extend([(errcode, errmsg or f"fake error {errcode}")] * times)

    def drop_next(self, path: str, times: int = 1) -> None:
        """The next `times` calls to `path` get no answer (the connection is cut)."""
        with self._lock:
            self._drops[path] += times

    def expire_tokens(self) -> None:
        """Every access token issued so far is expired (42001 from now on)."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def remove_member(self, userid: str) -> None:
        """The member left the corp (or the app's range): sends answer 81013."""
        self.members.discard(userid)

    # What members received

    def received(self, userid: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.touser == userid]

    async def wait_for(self, probe: Callable[[], T | None], timeout: float = PATIENCE) -> T:
        deadline = time.monotonic() + timeout
        while True:
            found = probe()
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("fake WeCom: nothing arrived in time")
            await asyncio.sleep(0.01)

    async def next_messages(self, userid: str, after: int, count: int = 1) -> list[Message]:
        """The member's messages after the first `after`, once `count` of them arrived."""

        def probe() -> list[Message] | None:
            got = self.received(userid)[after:]
            return got if len(got) >= count else None

        return await self.wait_for(probe)

    # Callbacks (WeCom -> our app)

    async def post_callback(
        self,
        fields: JSON,
        timestamp: int | None = None,
        nonce: str | None = None,
        crypto: WeComCrypto | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        """Encrypt, sign and POST one callback; the same timestamp + nonce replays a request."""
        crypto = crypto or self.crypto
        fields = {"ToUserName": CORP_ID, "AgentID": str(AGENT_ID), **fields}
        plain = "<xml>" + "".join(_xml(k, v) for k, v in fields.items()) + "</xml>"
        encrypted = crypto.encrypt(plain.encode("utf-8"))
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(10**9))
        params = {
            "msg_signature": signature or crypto.sign(stamp, nonce, encrypted),
            "timestamp": stamp,
            "nonce": nonce,
        }
        body = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
        )
        if self.http is not None:
            return await self.http.post(self.callback_url, params=params, content=body.encode())
        async with httpx.AsyncClient() as http:
            return await http.post(self.callback_url, params=params, content=body.encode())

    async def verify_url(self, echo: str = "4783912398759324") -> httpx.Response:
        """The GET WeCom sends when the admin saves the callback URL."""
        encrypted = self.crypto.encrypt(echo.encode())
        stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
        params = {
            "msg_signature": self.crypto.sign(stamp, nonce, encrypted),
            "timestamp": stamp,
            "nonce": nonce,
            "echostr": encrypted,
        }
        async with httpx.AsyncClient() as http:
            return await http.get(self.callback_url, params=params)

    def text_fields(self, userid: str, content: str) -> JSON:
        return {
            "FromUserName": userid,
            "CreateTime": str(int(time.time())),
            "MsgType": "text",
            "Content": content,
            "MsgId": str(next(self._msg_ids)),
        }

    async def say(self, userid: str, content: str) -> httpx.Response:
        """The member types `content` in the app's chat."""
        return await self.post_callback(self.text_fields(userid, content))

    def click_fields(
        self, userid: str, message: Message, label: str, option: str | None = None
    ) -> JSON:
        """The template_card_event WeCom sends when the member clicks button `label` (with
        drop-down `option` chosen); its ResponseCode may update the card once."""
        card = message.card
        key = message.buttons[label]
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = (userid, message)
        fields: JSON = {
            "FromUserName": userid,
            "CreateTime": str(int(time.time())),
            "MsgType": "event",
            "Event": "template_card_event",
            "EventKey": key,
            "TaskId": card.get("task_id", ""),
            "CardType": card.get("card_type", ""),
            "ResponseCode": code,
        }
        if option is not None:
            question = card["button_selection"]["question_key"]
            fields["SelectedItems"] = {
                "SelectedItem": {
                    "QuestionKey": question,
                    "OptionIds": {"OptionId": message.options[option]},
                }
            }
        return fields

    async def click(
        self, userid: str, message: Message, label: str, option: str | None = None
    ) -> httpx.Response:
        """The member clicks the card's button `label` (with drop-down `option` chosen)."""
        return await self.post_callback(self.click_fields(userid, message, label, option))

    async def send_image(self, userid: str, data: bytes) -> httpx.Response:
        """The member sends a picture; we get its MediaId to fetch it with media/get."""
        media_id = self._keep("image", "image.png", data)
        return await self.post_callback(
            {
                "FromUserName": userid,
                "CreateTime": str(int(time.time())),
                "MsgType": "image",
                "PicUrl": f"{self.url}/pic/{media_id}",
                "MediaId": media_id,
                "MsgId": str(next(self._msg_ids)),
            }
        )

    # API (our app -> WeCom)

    def _protocol(self) -> type[H11Protocol]:
        """uvicorn's HTTP protocol, cutting the connection of a request `drop_next` chose."""
        fake = self

        class DroppingProtocol(H11Protocol):
            def data_received(self, data: bytes) -> None:
                line = data.split(b"\r\n", 1)[0].decode("latin-1")
                path = (
                    line.split(" ")[1].split("?")[0].removeprefix("/cgi-bin/")
                    if " " in line
                    else ""
                )
                with fake._lock:
                    cut = fake._drops.get(path, 0) > 0
                    if cut:
                        fake._drops[path] -= 1
                if cut and self.transport is not None:
                    self.transport.abort()
                    return
                super().data_received(data)

        return DroppingProtocol

    def _check(self, request: Request, path: str) -> None:
        with self._lock:
            if self._faults[path]:
                raise _Fault(*self._faults[path].popleft())
        token = request.query_params.get("access_token", "")
        expires = self._tokens.get(token)
        if expires is None:
            raise _Fault(40014, "invalid access_token")
        if expires <= time.monotonic():
            raise _Fault(42001, "access_token expired")

    async def _gettoken(self, request: Request) -> Response:
        q = request.query_params
        if q.get("corpid") != CORP_ID:
            return _answer(40013, "invalid corpid")
        if q.get("corpsecret") != SECRET:
            return _answer(40001, "invalid credential")
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime
            self.stats.tokens_issued += 1
        return _answer(0, "ok", access_token=token, expires_in=self.token_lifetime)

    async def _json(self, request: Request) -> JSON:
        raw = await request.body()
        if b"\\u" in raw:
            self.stats.escaped += 1
        return dict(json.loads(raw.decode("utf-8")))

    async def _guarded(self, request: Request, path: str, work: Callable[[], Any]) -> Response:
        try:
            self._check(request, path)
            return await work()  # type: ignore[no-any-return]
        except _Fault as fault:
            return _answer(fault.errcode, fault.errmsg)

    async def _send(self, request: Request) -> Response:
        async def work() -> Response:
            body = await self._json(request)
            self.calls.append(("message/send", body))
            touser, msgtype = body.get("touser"), body.get("msgtype")
            if body.get("agentid") != AGENT_ID:
                return _answer(40056, "invalid agentid")
            if not isinstance(msgtype, str) or not isinstance(body.get(msgtype), dict):
                return _answer(40008, "invalid message type")
            if touser not in self.members:
                return _answer(81013, "user & party & tag all invalid")
            content = dict(body[msgtype])
            if msgtype in ("text", "markdown"):
                data = str(content.get("content", "")).encode()
                if not data:
                    return _answer(44004, "empty content")
                if len(data) > TEXT_LIMIT:
                    self.stats.truncated += 1
                    content["content"] = data[:TEXT_LIMIT].decode("utf-8", "ignore")
            if msgtype in ("image", "file") and content.get("media_id") not in self.media_store:
                return _answer(40007, "invalid media_id")
            if msgtype == "template_card":
                problem = _card_problem(content)
                if problem:
                    return _answer(40058, problem)
            now = time.monotonic()
            msgid = f"msg{next(self._ids)}"
            with self._lock:
                recent = self._recent[touser]
                while recent and now - recent[0] >= self.minute:
                    recent.popleft()
                recent.append(now)
                if len(recent) > self.per_user_minute:
                    self.stats.dropped += 1  # accepted, never delivered
                    return _answer(0, "ok", invaliduser="", msgid=msgid)
                code = secrets.token_hex(16) if msgtype == "template_card" else None
                message = Message(str(touser), msgtype, content, msgid, code, time.time())
                self.messages.append(message)
                if code:
                    self._codes[code] = (str(touser), message)
            extra = {"response_code": code} if code else {}
            return _answer(0, "ok", invaliduser="", msgid=msgid, **extra)

        return await self._guarded(request, "message/send", work)

    async def _upload(self, request: Request) -> Response:
        async def work() -> Response:
            kind = request.query_params.get("type")
            if kind not in ("image", "file", "voice", "video"):
                return _answer(40004, "invalid media type")
            async with request.form() as form:
                media = form.get("media")
                if not isinstance(media, UploadFile):
                    return _answer(41005, "media data missing")
                data = await media.read()
                name = media.filename or "file"
            if len(data) <= 5:
                return _answer(40006, "invalid media size")
            if kind == "image" and (len(data) > 10 * 1024 * 1024 or data[:4] != b"\x89PNG"):
                return _answer(40009, "invalid image")
            media_id = self._keep(kind, name, data)
            return _answer(0, "", type=kind, media_id=media_id, created_at=str(int(time.time())))

        return await self._guarded(request, "media/upload", work)

    def _keep(self, kind: str, name: str, data: bytes) -> str:
        media_id = f"media-{secrets.token_hex(12)}"
        with self._lock:
            self.media_store[media_id] = (kind, data, name)
        return media_id

    def media(self, message: Message) -> tuple[str, bytes]:
        """File name and bytes of an image or file message."""
        _, data, name = self.media_store[message.content["media_id"]]
        return name, data

    async def _media_get(self, request: Request) -> Response:
        async def work() -> Response:
            stored = self.media_store.get(request.query_params.get("media_id", ""))
            if stored is None:
                return _answer(40007, "invalid media_id")
            _, data, name = stored
            return Response(
                data,
                media_type="application/octet-stream",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

        return await self._guarded(request, "media/get", work)

    async def _update_card(self, request: Request) -> Response:
        async def work() -> Response:
            body = await self._json(request)
            self.calls.append(("message/update_template_card", body))
            code = body.get("response_code", "")
            with self._lock:
                entry = self._codes.pop(code, None)
            if entry is None:
                return _answer(40058, "invalid response_code (unknown or used)")
            userid, message = entry
            if body.get("userids") != [userid]:
                return _answer(40058, "userids do not match the response_code")
            change = {k: v for k, v in body.items() if k in ("button", "template_card")}
            if "template_card" in change:
                problem = _card_problem(change["template_card"])
                if problem:
                    return _answer(40058, problem)
            with self._lock:
                message.updates.append(change)
            return _answer(0, "ok")

        return await self._guarded(request, "message/update_template_card", work)

    async def _menu_create_work(self, request: Request) -> Response:
        if request.query_params.get("agentid") != str(AGENT_ID):
            return _answer(40056, "invalid agentid")
        buttons = (await self._json(request)).get("button") or []
        if not 1 <= len(buttons) <= 3 or any(len(b.get("sub_button", [])) > 5 for b in buttons):
            return _answer(40058, "at most 3 buttons, 5 under each")
        self.menu = list(buttons)
        return _answer(0, "ok")

    async def _menu_create(self, request: Request) -> Response:
        return await self._guarded(request, "menu/create", lambda: self._menu_create_work(request))

    def oauth_code(self, userid: str) -> str:
        """The code WeCom's authorize page hands the app for this member (usable once)."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._oauth[code] = userid
        return code

    def private_oauth_code(self, userid: str, consent: bool = True) -> str:
        """The code of an snsapi_privateinfo authorization (usable once); without the member's
        consent getuserinfo gives no user_ticket, as WeCom does."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._private[code] = (userid, consent)
        return code

    async def _getuserinfo(self, request: Request) -> Response:
        async def work() -> Response:
            code = request.query_params.get("code", "")
            with self._lock:
                private = self._private.pop(code, None)
                userid = self._oauth.pop(code, None)
            if private is not None:
                member, consent = private
                if not consent:
                    return _answer(0, "ok", userid=member)
                ticket = secrets.token_urlsafe(24)
                with self._lock:
                    self._tickets[ticket] = member
                return _answer(0, "ok", userid=member, user_ticket=ticket, expires_in=1800)
            if userid is None:
                return _answer(40029, "invalid code")
            return _answer(0, "ok", userid=userid, user_ticket="ticket")

        return await self._guarded(request, "auth/getuserinfo", work)

    async def _getuserdetail(self, request: Request) -> Response:
        """auth/getuserdetail: the member's private details for a user_ticket (used once)."""

        async def work() -> Response:
            ticket = str((await self._json(request)).get("user_ticket", ""))
            with self._lock:
                userid = self._tickets.pop(ticket, None)
            if userid is None:
                return _answer(40029, "invalid user_ticket")
            mobile = self.mobiles.get(userid, "")
            return _answer(0, "ok", userid=userid, mobile=mobile, gender="0", email="")

        return await self._guarded(request, "auth/getuserdetail", work)


def _card_problem(card: JSON) -> str | None:
    """WeCom's checks on a button_interaction card, as far as our cards use them."""
    if card.get("card_type") not in ("text_notice", "button_interaction"):
        return "unsupported card_type"
    task = str(card.get("task_id", ""))
    if card["card_type"] == "button_interaction":
        if not task or len(task) > 128:
            return "task_id required, at most 128 bytes"
        buttons = card.get("button_list") or []
        if not 1 <= len(buttons) <= 6:
            return "button_list must have 1 to 6 buttons"
        if any(len(str(b.get("key", "")).encode()) > 1024 for b in buttons):
            return "button key longer than 1024 bytes"
    if len(card.get("horizontal_content_list") or []) > 6:
        return "at most 6 horizontal_content_list items"
    selection = card.get("button_selection")
    if selection and not 1 <= len(selection.get("option_list", [])) <= 10:
        return "button_selection must have 1 to 10 options"
    if len(str(card.get("main_title", {}).get("title", ""))) > 36:
        return "main_title.title longer than 36 characters"
    return None


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_xml(k, v) for k, v in value.items()) + f"</{tag}>"
    return f"<{tag}><![CDATA[{value}]]></{tag}>"


def _answer(errcode: int, errmsg: str, **fields: Any) -> JSONResponse:
    return JSONResponse({"errcode": errcode, "errmsg": errmsg, **fields})
