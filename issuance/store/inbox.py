"""Store queries for chat updates passed from web processes to the bot process holding the lease."""

from __future__ import annotations

import json
from typing import Any

from issuance.store.base import BaseStore


class InboxQueries(BaseStore):
    """Received chat updates, each taken once, in the order received."""

    async def receive_update(self, channel: str, key: str, data: dict[str, Any]) -> bool:
        """Keep an update for the bot; False if this update was received before."""
        cursor = await self._execute(
            "INSERT INTO chat_inbox (channel, update_key, data, received_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, update_key) DO NOTHING",
            (channel, key, json.dumps(data, ensure_ascii=False), self.now_iso()),
        )
        return cursor.rowcount == 1

    async def take_updates(self, channel: str, limit: int) -> list[dict[str, Any]]:
        """The oldest updates not taken yet, marked taken (call while holding the inbox lease)."""
        async with self.transaction():
            rows = await self._all(
                "SELECT id, data FROM chat_inbox WHERE channel = ? AND taken_at IS NULL"
                f" ORDER BY id LIMIT ?{self.driver.skip_locked}",
                (channel, limit),
            )
            await self._db.executemany(
                "UPDATE chat_inbox SET taken_at = ? WHERE id = ?",
                [(self.now_iso(), row[0]) for row in rows],
            )
        return [json.loads(row[1]) for row in rows]
