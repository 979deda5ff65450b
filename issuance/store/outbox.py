"""Store queries for the outbox (notifications to chat accounts) and named leases."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from issuance.core.messaging import ChatAccount, OutboxItem
from issuance.core.notices import Notice
from issuance.core.people import DEFAULT_CHANNEL
from issuance.store.base import SHANGHAI, BaseStore
from issuance.store.driver import Driver


def _channel(notice: Notice, account: ChatAccount | None) -> str:
    """The channel a notice goes out on: an edited message's own, else the person's account's."""
    if notice.edit is not None:
        # the message lives on the channel it was sent on, whichever the person uses now
        return str(notice.edit.get("channel") or DEFAULT_CHANNEL)
    return account.channel if account else DEFAULT_CHANNEL


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="milliseconds")


class OutboxQueries(BaseStore):
    """Enqueue, claim (with a lease) and settle outbox rows; senders listening in this process
    are woken once a transaction that added rows has committed (others find them by polling)."""

    def __init__(self, driver: Driver, clock: Callable[[], datetime]) -> None:
        super().__init__(driver, clock)
        self._outbox_listeners: list[asyncio.Event] = []

    def listen_outbox(self, event: asyncio.Event) -> None:
        """Set `event` after each commit that added outbox rows."""
        self._outbox_listeners.append(event)

    def forget_outbox(self, event: asyncio.Event) -> None:
        self._outbox_listeners.remove(event)

    async def _outbox_committed(self) -> None:
        for event in self._outbox_listeners:
            event.set()

    async def append_notice(self, notice: Notice, broadcast_id: int | None = None) -> int | None:
        """Add a typed notice in the caller's transaction, to be rendered when it is sent; None
        when its `dedup_key` was enqueued before."""
        async with self.transaction():
            account = (await self.chat_accounts([notice.person_id])).get(notice.person_id)
            return await self.enqueue(
                notice.person_id,
                "message" if notice.edit is None else "edit",
                notice.payload(),
                dedup_key=notice.dedup_key,
                not_before=notice.not_before,
                broadcast_id=broadcast_id,
                channel=_channel(notice, account),
            )

    async def append_notices(self, notices: Sequence[Notice], broadcast_id: int | None) -> None:
        """Add many notices in one statement (a broadcast); dedup keys are not used here."""
        async with self.transaction():
            accounts = await self.chat_accounts([n.person_id for n in notices])
            rows = [
                (
                    n.person_id,
                    _channel(n, accounts.get(n.person_id)),
                    "message" if n.edit is None else "edit",
                    n.payload(),
                )
                for n in notices
            ]
            await self.enqueue_many(rows, broadcast_id)

    async def enqueue(
        self,
        person_id: int,
        kind: str,
        payload: dict[str, Any],
        dedup_key: str | None = None,
        not_before: datetime | None = None,
        broadcast_id: int | None = None,
        channel: str = DEFAULT_CHANNEL,
    ) -> int | None:
        """Add a notification; None when `dedup_key` was enqueued before (sent once, ever)."""
        async with self.transaction():
            cursor = await self._db.execute(
                "INSERT INTO outbox (person_id, channel, kind, payload, dedup_key, broadcast_id,"
                " not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
                (
                    person_id,
                    channel,
                    kind,
                    _json(payload),
                    dedup_key,
                    broadcast_id,
                    _iso(not_before or self.now()),
                    _iso(self.now()),
                ),
            )
            row = await cursor.fetchone()
            self.after_commit(self._outbox_committed)
        return int(row[0]) if row else None

    async def enqueue_many(
        self, rows: Sequence[tuple[int, str, str, dict[str, Any]]], broadcast_id: int | None
    ) -> None:
        """Enqueue (person id, channel, kind, payload) rows in one transaction."""
        now = _iso(self.now())
        async with self.transaction():
            await self._execute_many(
                "INSERT INTO outbox (person_id, channel, kind, payload, broadcast_id, not_before,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (person, channel, kind, _json(payload), broadcast_id, now, now)
                    for person, channel, kind, payload in rows
                ],
            )
            self.after_commit(self._outbox_committed)

    async def claim_outbox(
        self, limit: int, lease: timedelta, channel: str = DEFAULT_CHANNEL
    ) -> list[OutboxItem]:
        """Due rows of `channel`, leased to the caller: a crashed sender's rows come back when
        leases end."""
        now = _iso(self.now())
        async with self.transaction():
            rows = await self._all(
                "SELECT id, person_id, kind, payload, attempts, broadcast_id FROM outbox"
                " WHERE channel = ? AND ((status = 'pending' AND not_before <= ?)"
                " OR (status = 'sending' AND lease_until <= ?))"
                f" ORDER BY not_before, id LIMIT ?{self.driver.skip_locked}",
                (channel, now, now, limit),
            )
            await self._db.executemany(
                "UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1"
                " WHERE id = ?",
                [(_iso(self.now() + lease), row["id"]) for row in rows],
            )
        return [
            OutboxItem(
                row["id"],
                row["person_id"],
                row["kind"],
                json.loads(row["payload"]),
                row["attempts"] + 1,
                row["broadcast_id"],
            )
            for row in rows
        ]

    async def outbox_sent(self, item_id: int, message_ref: str | None) -> None:
        await self._execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, message_ref = ?, lease_until = NULL"
            " WHERE id = ?",
            (_iso(self.now()), message_ref, item_id),
        )

    async def outbox_retry(self, item_id: int, not_before: datetime, error: str) -> None:
        await self._execute(
            "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ?,"
            " lease_until = NULL WHERE id = ?",
            (_iso(not_before), error[:500], item_id),
        )

    async def outbox_settle(self, item_id: int, status: str, error: str) -> None:
        """Give up on a row: 'failed' (permanent error) or 'unreachable' (user blocked us)."""
        await self._execute(
            "UPDATE outbox SET status = ?, last_error = ?, lease_until = NULL WHERE id = ?",
            (status, error[:500], item_id),
        )

    async def outbox_counts(self, broadcast_id: int) -> dict[str, int]:
        rows = await self._all(
            "SELECT status, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,),
        )
        return {row[0]: row[1] for row in rows}

    async def mark_unreachable(self, person_id: int, channel: str) -> None:
        await self._execute(
            "UPDATE chat_account SET unreachable_at = ? WHERE person_id = ? AND channel = ?",
            (_iso(self.now()), person_id, channel),
        )

    async def take_lease(self, name: str, holder: str, duration: timedelta) -> bool:
        """Hold lease `name` for `duration` if free, expired or already ours."""
        now = self.now()
        cursor = await self._execute(
            "INSERT INTO lease (name, holder, until) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until"
            " WHERE lease.holder = excluded.holder OR lease.until <= ?",
            (name, holder, _iso(now + duration), _iso(now)),
        )
        return cursor.rowcount == 1

    async def release_lease(self, name: str, holder: str) -> None:
        await self._execute("DELETE FROM lease WHERE name = ? AND holder = ?", (name, holder))

    async def chat_accounts(self, person_ids: Sequence[int]) -> dict[int, ChatAccount]:
        """person id -> the account a notice reaches them on: reachable, the latest bound."""
        if not person_ids:
            return {}
        rows = await self._all_in(
            "SELECT person_id, channel, account, language FROM chat_account"
            " WHERE unreachable_at IS NULL AND person_id IN ({marks}) ORDER BY bound_at, channel",
            person_ids,
        )
        return {row[0]: ChatAccount(row[0], row[1], row[2], row[3]) for row in rows}
