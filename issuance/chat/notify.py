"""One way to notify a person: pick their channel and language, queue the outbox row.

Every notice the bot, web part and worker send goes through here, rendered in the language of
the account it goes to; a channel's sender delivers the rows of its channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


async def send_all(store: OutboxQueue, notices: Sequence[Notice], broadcast_id: int | None) -> None:
    """Queue many notices in one transaction (a broadcast); dedup keys are not used here."""
    accounts = await store.chat_accounts([n.person_id for n in notices])
    rows = [(n.person_id, *_row(n, accounts.get(n.person_id))) for n in notices]
    await store.enqueue_many(rows, broadcast_id)


async def reachable(store: OutboxQueue, person_ids: Sequence[int]) -> set[int]:
    """Who of these people has an account a notice can reach."""
    return set(await store.chat_accounts(person_ids))


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
