"""Queue a message the chat layer has already composed (a broadcast's final report) for a
person's channel, rendered in their language now; and the locale a person reads.

Use cases do not come here: they append typed notices (`issuance.core.notices`), which
`issuance.chat.notices` renders when the sender takes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from issuance.chat.screens import Part, Rows, Screen, Text
from issuance.core.catalog import locale_for
from issuance.core.messaging import ChatAccount
from issuance.core.people import DEFAULT_CHANNEL
from issuance.core.ports import OutboxQueue


@dataclass(frozen=True)
class Notice:
    """A message for one person; `edit` names an earlier message of theirs to replace instead."""

    person_id: int
    body: Part
    actions: Rows = ()
    dedup_key: str | None = None
    not_before: datetime | None = None
    edit: Mapping[str, Any] | None = field(default=None)


async def notify(
    store: OutboxQueue,
    person_id: int,
    key: str,
    params: Mapping[str, object] | None = None,
    actions: Rows = (),
    **options: Any,
) -> int | None:
    """Queue catalog text `key` (with `params`) and its buttons for the person; the row id, or
    None when `dedup_key` was queued before. Options: dedup_key, not_before, edit."""
    return await send(store, Notice(person_id, Text(key, params or {}), actions, **options))


async def send(store: OutboxQueue, notice: Notice, broadcast_id: int | None = None) -> int | None:
    """Queue one notice (see `notify`)."""
    account = (await store.chat_accounts([notice.person_id])).get(notice.person_id)
    channel, kind, payload = _row(notice, account)
    return await store.enqueue(
        notice.person_id,
        kind,
        payload,
        dedup_key=notice.dedup_key,
        not_before=notice.not_before,
        broadcast_id=broadcast_id,
        channel=channel,
    )


async def locale_of(store: OutboxQueue, person_id: int) -> str:
    """The catalog locale of the account the person is notified on (Chinese when unknown)."""
    account = (await store.chat_accounts([person_id])).get(person_id)
    return locale_for(account.language if account else None)


def _row(notice: Notice, account: ChatAccount | None) -> tuple[str, str, dict[str, Any]]:
    """(channel, kind, payload) of the outbox row for `notice`."""
    locale = locale_for(account.language if account else None)
    shown = Screen(notice.body, notice.actions).render(locale)
    payload: dict[str, Any] = {"text": shown.text}
    if shown.buttons:
        payload["buttons"] = shown.buttons
    if notice.edit is not None:
        payload.update(chat_id=notice.edit["chat_id"], message_id=notice.edit["message_id"])
        # the message lives on the channel it was sent on, whichever the person uses now
        channel = str(notice.edit.get("channel") or DEFAULT_CHANNEL)
        return channel, "edit", payload
    return (account.channel if account else DEFAULT_CHANNEL), "message", payload
