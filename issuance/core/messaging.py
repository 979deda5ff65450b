"""Chat values as the store returns them: accounts, outbox items, broadcasts, WeCom callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OutboxItem:
    """One notification to send: `kind` message/edit/photo/document, `payload` as JSON data."""

    id: int
    person_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    broadcast_id: int | None


@dataclass(frozen=True)
class ChatAccount:
    """Where a person is reached: a channel, the account there, its language if known."""

    person_id: int
    channel: str
    account: str
    language: str | None


@dataclass(frozen=True)
class BroadcastInfo:
    """One broadcast: who sent it, where its progress message is, who could not be reached."""

    id: int
    plan_id: int
    person_id: int
    schools: int
    not_bound: list[str]
    progress_chat: str | None
    progress_message: int | None
    finished_at: str | None


@dataclass(frozen=True)
class Inbound:
    """One decrypted WeCom callback: who sent it, its MsgType (or event), its XML fields."""

    id: int
    account: str
    kind: str
    body: dict[str, Any]
    attempts: int
