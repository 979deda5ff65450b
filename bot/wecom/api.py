"""A small client of WeCom's server API (gettoken, message/send, media, template cards).

Field names and error codes as WeCom documents them. JSON goes out as UTF-8 (never \\uXXXX
escapes, which count against the size limits). The access token is cached and refreshed before
it expires and whenever WeCom says it is invalid or expired; WeCom being busy (-1) and network
errors are retried a few times with backoff; rate-limit answers pause the shared Pace.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bot.wecom.pace import Pace
from issuance import telemetry

log = logging.getLogger(__name__)

TEXT_LIMIT = 2048  # bytes of text/markdown content; WeCom truncates longer ones
IMAGE_LIMIT = 10 * 1024 * 1024
FILE_LIMIT = 20 * 1024 * 1024
MIN_MEDIA = 6  # WeCom refuses media of 5 bytes or less
BUSY = -1
TOKEN_INVALID = frozenset({40014, 42001})  # invalid / expired access_token
RATE_LIMITED = frozenset({45009, 45033})  # over the call frequency / too many concurrent calls
UNREACHABLE = 81013  # user not in the app's visible range (left, or removed from the app)
TOKEN_MARGIN = 300.0  # refresh this many seconds before WeCom's expiry
RETRIES = 3


class WeComError(Exception):
    """WeCom answered with a non-zero errcode (or could not be reached: errcode None)."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def rate_limited(self) -> bool:
        return self.errcode in RATE_LIMITED

    @property
    def transient(self) -> bool:
        """Worth trying again later: network, busy, rate limits."""
        return self.errcode is None or self.errcode == BUSY or self.rate_limited

    @property
    def unreachable(self) -> bool:
        return self.errcode == UNREACHABLE


@dataclass(frozen=True)
class Sent:
    """WeCom's answer to message/send: its msgid, and the response_code of an interactive card."""

    msgid: str
    response_code: str | None


def fit(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` UTF-8 bytes, split at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line.encode()) > limit:  # one line too long on its own: cut by characters
            cut = len(line.encode()[:limit].decode("utf-8", "ignore"))
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:]
        if len((current + line).encode()) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current or not pieces:
        pieces.append(current)
    return [p.rstrip("\n") for p in pieces]


def dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WeComClient:
    """One self-built app's API: `corp_id` + `secret` for tokens, `agent_id` for messages."""

    def __init__(
        self,
        base_url: str,
        corp_id: str,
        secret: str,
        agent_id: int,
        pace: Pace | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self._secret = secret
        self.agent_id = agent_id
        self.pace = pace or Pace()
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        self._owns_http = http is None
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    # Access token

    async def access_token(self, stale: str | None = None) -> str:
        """The cached token; a new one when it is near expiry or `stale` was refused."""
        async with self._token_lock:
            if self._token and self._token != stale and time.monotonic() < self._token_until:
                return self._token
            data = await self._request(
                "GET",
                "/cgi-bin/gettoken",
                params={"corpid": self.corp_id, "corpsecret": self._secret},
            )
            self._token = str(data["access_token"])
            lifetime = float(data.get("expires_in", 7200))
            self._token_until = time.monotonic() + max(lifetime - TOKEN_MARGIN, lifetime / 2)
            return self._token

    # Calls

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        raw: bool = False,
    ) -> Any:
        """One API call with the access token, refreshing it once if WeCom refuses it."""
        token = await self.access_token()
        for attempt in range(2):
            try:
                return await self._request(
                    method, path, body, {**(params or {}), "access_token": token}, files, raw
                )
            except WeComError as error:
                if error.errcode not in TOKEN_INVALID or attempt:
                    raise
                log.info("wecom: access token refused (%s); getting a new one", error.errcode)
                token = await self.access_token(stale=token)
        raise AssertionError("unreachable")

    async def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        raw: bool = False,
    ) -> Any:
        """The HTTP exchange, retried on network errors and errcode -1 (WeCom busy)."""
        url = self.base_url + path
        for attempt in range(RETRIES + 1):
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=params,
                    content=dumps(body) if body is not None else None,
                    files=files,
                    headers={"Content-Type": "application/json; charset=utf-8"}
                    if body is not None
                    else None,
                )
                if response.status_code >= 500:
                    raise WeComError(None, f"HTTP {response.status_code}")
                if raw and not response.headers.get("content-type", "").startswith(
                    ("application/json", "text/plain")
                ):
                    return response.content
                data = response.json()
                code = int(data.get("errcode", 0))
                if code:
                    raise WeComError(code, str(data.get("errmsg", "")))
                return data
            except (httpx.TransportError, ValueError) as error:
                failure = WeComError(None, f"{type(error).__name__}: {error}")
            except WeComError as error:
                if error.errcode is not None and error.errcode != BUSY:
                    if error.rate_limited:
                        telemetry.RATE_LIMITED.labels("wecom", str(error.errcode)).inc()
                        self.pace.pause()
                    raise
                failure = error
            if attempt == RETRIES:
                raise failure
            await asyncio.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    # Messages

    async def send(
        self,
        touser: str,
        msgtype: str,
        content: dict[str, Any],
        options: dict[str, Any] | None = None,
    ) -> Sent:
        """message/send to one member, paced; an unknown or departed member raises 81013.
        `options` are further documented fields (e.g. enable_duplicate_check)."""
        sending = await self.pace.slot(touser)
        body = {"touser": touser, "msgtype": msgtype, "agentid": self.agent_id, msgtype: content}
        try:
            data = await self.call("POST", "/cgi-bin/message/send", body | (options or {}))
        finally:
            sending.done()
        if touser in str(data.get("invaliduser", "")).split("|"):
            raise WeComError(UNREACHABLE, "invaliduser")
        return Sent(str(data.get("msgid", "")), data.get("response_code"))

    async def send_text(self, touser: str, text: str) -> Sent:
        """A text message; longer than WeCom's 2048 bytes goes as several."""
        sent = None
        for piece in fit(text):
            sent = await self.send(touser, "text", {"content": piece})
        assert sent is not None
        return sent

    async def send_media(self, touser: str, kind: str, filename: str, data: bytes) -> Sent:
        """Upload `data` as an image or file, then send it."""
        media_id = await self.upload(kind, filename, data)
        return await self.send(touser, kind, {"media_id": media_id})

    async def upload(self, kind: str, filename: str, data: bytes) -> str:
        """media/upload (type image or file): the temporary media_id, valid three days."""
        limit = IMAGE_LIMIT if kind == "image" else FILE_LIMIT
        if not MIN_MEDIA <= len(data) <= limit:
            raise WeComError(40009 if kind == "image" else 40006, f"{kind} size {len(data)}")
        mime = "image/png" if kind == "image" else "application/octet-stream"
        result = await self.call(
            "POST",
            "/cgi-bin/media/upload",
            params={"type": kind},
            files={"media": (filename, data, mime)},
        )
        return str(result["media_id"])

    async def media(self, media_id: str) -> bytes:
        """media/get: the bytes of a file or image a member sent us."""
        result = await self.call(
            "GET", "/cgi-bin/media/get", params={"media_id": media_id}, raw=True
        )
        if not isinstance(result, bytes):
            raise WeComError(None, "media/get answered JSON without an error")
        return result

    async def member_of(self, code: str) -> str:
        """auth/getuserinfo: the UserID of the member an OAuth2 code was issued to ("" for
        someone outside the corp)."""
        data = await self.call("GET", "/cgi-bin/auth/getuserinfo", params={"code": code})
        return str(data.get("userid") or data.get("UserId") or "")

    async def member_and_ticket(self, code: str) -> tuple[str, str]:
        """auth/getuserinfo of a code from an snsapi_privateinfo authorization: the member's
        UserID and the user_ticket to read their private details with ("" when not given)."""
        data = await self.call("GET", "/cgi-bin/auth/getuserinfo", params={"code": code})
        userid = str(data.get("userid") or data.get("UserId") or "")
        return userid, str(data.get("user_ticket") or "")

    async def mobile_of(self, user_ticket: str) -> str:
        """auth/getuserdetail: the mobile number the member consented to share ("" if none)."""
        data = await self.call("POST", "/cgi-bin/auth/getuserdetail", {"user_ticket": user_ticket})
        return str(data.get("mobile") or "")

    async def create_menu(self, buttons: list[dict[str, Any]]) -> None:
        """menu/create: the app's own menu (at most three buttons, five under each)."""
        await self.call(
            "POST",
            "/cgi-bin/menu/create",
            {"button": buttons},
            params={"agentid": str(self.agent_id)},
        )

    async def update_card(self, touser: str, response_code: str, change: dict[str, Any]) -> None:
        """message/update_template_card: `change` is {"button": {"replace_name": …}} or
        {"template_card": {…}}; each response_code works once."""
        await self.call(
            "POST",
            "/cgi-bin/message/update_template_card",
            {"userids": [touser], "agentid": self.agent_id, "response_code": response_code}
            | change,
        )
