"""GET/POST /wecom/callback: WeCom's URL verification, and messages and events to store.

Every request must carry WeCom's signature over our token, and decrypt to our CorpID; its
timestamp must be recent. A POST is stored and answered at once (WeCom waits five seconds at
most, then retries); the handler picks it up from the database. A retried or replayed callback
finds its message key or its timestamp + nonce taken and is answered without being stored again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import xml.etree.ElementTree as ET
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.wecom import bind_page, oauth
from bot.wecom.api import WeComClient
from bot.wecom.crypto import CallbackRejected, WeComCrypto
from issuance.core.settings import Settings
from issuance.store import Store

log = logging.getLogger(__name__)

PATH = "/wecom/callback"
MAX_AGE = 300.0  # seconds a callback's timestamp may lie from our clock
MAX_BODY = 256 * 1024


class Doorbell:
    """Rung when a callback was stored, so a handler in this process looks at once (handlers
    in other processes find it at their next poll)."""

    def __init__(self) -> None:
        self._listeners: list[asyncio.Event] = []

    def listen(self, event: asyncio.Event) -> None:
        self._listeners.append(event)

    def forget(self, event: asyncio.Event) -> None:
        self._listeners.remove(event)

    def ring(self) -> None:
        for event in self._listeners:
            event.set()


def fields_of(data: bytes) -> dict[str, Any]:
    """An XML document's elements as a dict: text for leaves, dicts (lists when repeated) else."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise CallbackRejected("xml")  # no entities, no expansion bombs
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise CallbackRejected("xml") from None
    value = _value(root)
    return value if isinstance(value, dict) else {}


def _value(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    result: dict[str, Any] = {}
    for child in children:
        value = _value(child)
        if child.tag in result:
            previous = result[child.tag]
            result[child.tag] = (
                [*previous, value] if isinstance(previous, list) else [previous, value]
            )
        else:
            result[child.tag] = value
    return result


async def _capped_body(request: Request) -> bytes:
    """The request body, read no further than MAX_BODY (WeCom's callbacks are small)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise CallbackRejected("size")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise CallbackRejected("size")
    return bytes(body)


def message_key(fields: dict[str, Any]) -> str:
    """What identifies a callback across WeCom's retries: MsgId, or the event's own fields."""
    if fields.get("MsgId"):
        return f"msg:{fields['MsgId']}"
    parts = [fields.get(k, "") for k in ("FromUserName", "CreateTime", "Event", "EventKey")]
    return "event:" + ":".join(str(p) for p in [*parts, fields.get("ResponseCode", "")])


class Callback:
    """The two handlers over one app's crypto and settings."""

    def __init__(self, settings: Settings, doorbell: Doorbell) -> None:
        self.crypto = WeComCrypto(
            str(settings.wecom_token),
            str(settings.wecom_encoding_aes_key),
            settings.wecom_corp_id,
        )
        self.agent_id = str(settings.wecom_agent_id)
        self.doorbell = doorbell

    def _check_time(self, timestamp: str) -> None:
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE:
            raise CallbackRejected("stale")

    async def verify_url(self, request: Request) -> Response:
        """URL verification: decrypt echostr and send it back."""
        q = request.query_params
        try:
            self._check_time(q.get("timestamp", ""))
            echo = self.crypto.open(
                q.get("msg_signature", ""), q["timestamp"], q.get("nonce", ""), q.get("echostr", "")
            )
        except CallbackRejected as error:
            log.warning("wecom: URL verification refused (%s)", error)
            return Response(status_code=403)
        return PlainTextResponse(echo.decode("utf-8", "replace"))

    async def receive(self, request: Request) -> Response:
        """A message or event: check, decrypt, store once, answer empty."""
        q = request.query_params
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        try:
            body = await _capped_body(request)
            self._check_time(timestamp)
            outer = fields_of(body)
            plain = self.crypto.open(
                q.get("msg_signature", ""), timestamp, nonce, str(outer.get("Encrypt", ""))
            )
            fields = fields_of(plain)
            if str(fields.get("AgentID", self.agent_id)) != self.agent_id:
                raise CallbackRejected("agent")
            account = str(fields.get("FromUserName", ""))
            if not account:
                raise CallbackRejected("sender")
        except CallbackRejected as error:
            log.warning("wecom: callback refused (%s)", error)
            return Response(status_code=403)
        kind = str(fields.get("MsgType", ""))
        if kind == "event":
            kind = f"event:{fields.get('Event', '')}"
        store: Store = request.app.state.store
        stored = await store.store_inbound(
            message_key(fields), f"{timestamp}:{nonce}", account, kind, fields
        )
        if stored is None:
            log.info("wecom: callback seen before (%s); not stored again", kind)
        else:
            self.doorbell.ring()
        return PlainTextResponse("")


def routes(
    settings: Settings, doorbell: Doorbell, client: WeComClient | None = None
) -> list[BaseRoute]:
    """The callback routes and the signing-link route, or none when WeCom is not configured;
    `client` (made here unless given) asks WeCom who opened a signing link."""
    if not settings.wecom_enabled:
        return []
    callback = Callback(settings, doorbell)
    opened_by = client or WeComClient(
        settings.wecom_api_url,
        settings.wecom_corp_id,
        str(settings.wecom_secret),
        settings.wecom_agent_id,
    )
    return [
        Route(PATH, callback.verify_url, methods=["GET"]),
        Route(PATH, callback.receive, methods=["POST"]),
        *oauth.routes(settings, opened_by),
        *bind_page.routes(settings, opened_by),
    ]
