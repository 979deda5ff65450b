"""Store queries of the WeCom channel: callbacks stored on arrival, then claimed and handled;
the plans an evaluator can still generate pending lists for (from a chat)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from issuance.core.messaging import Inbound
from issuance.store.base import SHANGHAI, BaseStore


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="milliseconds")


class WeComQueries(BaseStore):
    """The inbound table: store once, claim with a lease, settle."""

    async def store_inbound(
        self, msg_key: str, stamp: str, account: str, kind: str, body: dict[str, Any]
    ) -> int | None:
        """Keep a callback; None when its message or its timestamp + nonce came before."""
        async with self.transaction():
            cursor = await self._db.execute(
                "INSERT INTO wecom_inbound (msg_key, stamp, account, kind, body, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (
                    msg_key,
                    stamp,
                    account,
                    kind,
                    json.dumps(body, ensure_ascii=False),
                    self.now_iso(),
                ),
            )
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def claim_inbound(
        self, limit: int, lease: timedelta, busy: Collection[str] = ()
    ) -> list[Inbound]:
        """Due callbacks in arrival order, leased; none of an account still being handled."""
        now = _iso(self.now())
        skip = list(busy)
        marks = ",".join("?" * len(skip))
        async with self.transaction():
            rows = await self._all(
                "SELECT id, account, kind, body, attempts FROM wecom_inbound"
                " WHERE (status = 'pending' OR (status = 'handling' AND lease_until <= ?))"
                + (f" AND account NOT IN ({marks})" if skip else "")
                + f" ORDER BY id LIMIT ?{self.driver.skip_locked}",
                (now, *skip, limit),
            )
            await self._db.executemany(
                "UPDATE wecom_inbound SET status = 'handling', lease_until = ?,"
                " attempts = attempts + 1 WHERE id = ?",
                [(_iso(self.now() + lease), row["id"]) for row in rows],
            )
        return [
            Inbound(
                row["id"], row["account"], row["kind"], json.loads(row["body"]), row["attempts"] + 1
            )
            for row in rows
        ]

    async def inbound_settle(self, item_id: int, error: str | None = None) -> None:
        """Handled ('done'), or given up on with the error that stopped it ('failed')."""
        await self._execute(
            "UPDATE wecom_inbound SET status = ?, last_error = ?, lease_until = NULL,"
            " handled_at = ? WHERE id = ?",
            (
                "failed" if error else "done",
                error[:500] if error else None,
                self.now_iso(),
                item_id,
            ),
        )

    async def inbound_release(self, item_id: int, error: str) -> None:
        """Not handled this time (WeCom unreachable): back in line for another try."""
        await self._execute(
            "UPDATE wecom_inbound SET status = 'pending', last_error = ?, lease_until = NULL"
            " WHERE id = ?",
            (error[:500], item_id),
        )

    async def prune_inbound(self, before: datetime) -> int:
        """Forget settled callbacks received before `before` (long past any retry or replay
        window); returns how many."""
        cursor = await self._execute(
            "DELETE FROM wecom_inbound WHERE status IN ('done', 'failed') AND received_at < ?",
            (before.astimezone(SHANGHAI).isoformat(timespec="seconds"),),
        )
        return cursor.rowcount

    async def plans_with_unlisted(self, issuer_id: int) -> list[tuple[int, str, int]]:
        """(plan id, name, passed results without a record) of the issuer's plans, newest first."""
        rows = await self._all(
            "SELECT pl.id, pl.name, COUNT(er.id) FROM exam_plan pl"
            " JOIN program pr ON pr.id = pl.program_id"
            " JOIN exam_result er ON er.plan_id = pl.id AND er.passed = 1"
            " LEFT JOIN record r ON r.result_id = er.id"
            " WHERE pr.issuer_id = ? AND r.id IS NULL"
            " GROUP BY pl.id, pl.name ORDER BY pl.id DESC",
            (issuer_id,),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def inbound_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT status, COUNT(*) FROM wecom_inbound GROUP BY status")
        return {row[0]: row[1] for row in rows}
