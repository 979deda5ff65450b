"""Store queries of the chat bot: conversation state, taps, broadcasts, student-info problems."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from issuance.core.messaging import BroadcastInfo
from issuance.core.records import Problem
from issuance.store.base import BaseStore
from issuance.store.driver import Row

_PROBLEM_SQL = """
    SELECT ip.id, ip.record_id, ip.field, ip.note, ip.deadline, r.cert_no, s.id AS student_id,
           s.name AS student_name, s.id_number, s.student_type, er.site_id, ip.created_by
    FROM info_problem ip JOIN record r ON r.id = ip.record_id
    JOIN exam_result er ON er.id = r.result_id JOIN student s ON s.id = er.student_id
"""


def _problem(row: Row) -> Problem:
    return Problem(**dict(row))


class ChatQueries(BaseStore):
    """What the bot keeps between messages, in our database (never in pickles)."""

    async def set_chat_state(
        self, channel: str, account: str, kind: str, data: dict[str, Any]
    ) -> None:
        await self._execute(
            "INSERT INTO chat_state (channel, account, kind, data, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, account, kind)"
            " DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            (channel, account, kind, json.dumps(data, ensure_ascii=False), self.now_iso()),
        )

    async def chat_state(self, channel: str, account: str, kind: str) -> dict[str, Any] | None:
        row = await self._one(
            "SELECT data FROM chat_state WHERE channel = ? AND account = ? AND kind = ?",
            (channel, account, kind),
        )
        return json.loads(row["data"]) if row else None

    async def take_chat_state(self, channel: str, account: str, kind: str) -> dict[str, Any] | None:
        """The state, removed: whoever takes it acts on it, exactly once."""
        async with self.transaction():
            cursor = await self._db.execute(
                "DELETE FROM chat_state WHERE channel = ? AND account = ? AND kind = ?"
                " RETURNING data",
                (channel, account, kind),
            )
            row = await cursor.fetchone()
        return json.loads(row["data"]) if row else None

    async def claim_tap(self, chat: str, message_id: int, data: str) -> bool:
        """True the first time this button on this message is acted on, False ever after."""
        cursor = await self._execute(
            "INSERT INTO chat_tap (chat, message_id, data, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (chat, message_id, data, self.now_iso()),
        )
        return cursor.rowcount == 1

    # Broadcasts

    async def create_broadcast(
        self, plan_id: int, person_id: int, schools: int, not_bound: Sequence[str]
    ) -> int:
        return await self._insert(
            "INSERT INTO broadcast (plan_id, person_id, schools, not_bound, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (
                plan_id,
                person_id,
                schools,
                json.dumps(list(not_bound), ensure_ascii=False),
                self.now_iso(),
            ),
        )

    async def broadcast(self, broadcast_id: int) -> BroadcastInfo | None:
        row = await self._one(
            "SELECT id, plan_id, person_id, schools, not_bound, progress_chat, progress_message,"
            " finished_at FROM broadcast WHERE id = ?",
            (broadcast_id,),
        )
        if row is None:
            return None
        data = dict(row)
        data["not_bound"] = json.loads(data["not_bound"])
        return BroadcastInfo(**data)

    async def set_broadcast_progress(self, broadcast_id: int, chat: str, message_id: int) -> None:
        await self._execute(
            "UPDATE broadcast SET progress_chat = ?, progress_message = ? WHERE id = ?",
            (chat, message_id, broadcast_id),
        )

    async def finish_broadcast(self, broadcast_id: int) -> bool:
        """Mark it finished; False if it already was (the final report goes out once)."""
        cursor = await self._execute(
            "UPDATE broadcast SET finished_at = ? WHERE id = ? AND finished_at IS NULL",
            (self.now_iso(), broadcast_id),
        )
        return cursor.rowcount == 1

    async def open_broadcasts(self) -> list[int]:
        rows = await self._all("SELECT id FROM broadcast WHERE finished_at IS NULL ORDER BY id")
        return [row[0] for row in rows]

    async def outbox_people(self, broadcast_id: int, status: str) -> list[str]:
        """Names of the people whose broadcast row ended in `status`."""
        rows = await self._all(
            "SELECT p.name FROM outbox o JOIN person p ON p.id = o.person_id"
            " WHERE o.broadcast_id = ? AND o.status = ? ORDER BY o.id",
            (broadcast_id, status),
        )
        return [row[0] for row in rows]

    # Student-info problems (完善学生信息)

    async def add_problems(
        self, rows: Sequence[tuple[int, str, str, str]], created_by: int
    ) -> list[int]:
        """Insert (record id, field, note, deadline) rows; returns their ids."""
        ids = []
        async with self.transaction():
            for record_id, field, note, deadline in rows:
                ids.append(
                    await self._insert(
                        "INSERT INTO info_problem (record_id, field, note, deadline, created_by,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                        (record_id, field, note, deadline, created_by, self.now_iso()),
                    )
                )
        return ids

    async def problems(
        self, site_id: int | None = None, ids: Sequence[int] | None = None, open_only: bool = True
    ) -> list[Problem]:
        conditions, params = [], []
        if open_only:
            conditions.append("ip.resolved_at IS NULL")
        if site_id is not None:
            conditions.append("er.site_id = ?")
            params.append(site_id)
        if ids is not None:
            conditions.append(f"ip.id IN ({','.join('?' * len(ids)) or 'NULL'})")
            params.extend(ids)
        where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
        rows = await self._all(f"{_PROBLEM_SQL}{where} ORDER BY ip.id", params)
        return [_problem(row) for row in rows]

    async def resolve_problems(
        self, fixes: Sequence[tuple[int, int, str, str]], person_id: int
    ) -> None:
        """Apply (problem id, student id, field, value) fixes, closing the problems; all or none."""
        columns = {"name": "name", "id_number": "id_number", "student_type": "student_type"}
        async with self.transaction():
            for problem_id, student_id, field, value in fixes:
                await self._db.execute(
                    f"UPDATE student SET {columns[field]} = ? WHERE id = ?", (value, student_id)
                )
                await self._db.execute(
                    "UPDATE info_problem SET resolved_at = ?, resolved_by = ? WHERE id = ?",
                    (self.now_iso(), person_id, problem_id),
                )

    async def id_number_taken(self, id_number: str, student_id: int) -> bool:
        row = await self._one(
            "SELECT 1 FROM student WHERE id_number = ? AND id <> ?", (id_number, student_id)
        )
        return row is not None

    async def heads_of(self, org_ids: Sequence[int]) -> dict[int, int]:
        """org id -> person id of its responsible person (负责人)."""
        rows = await self._all_in(
            "SELECT org_id, id FROM person WHERE role = '负责人' AND org_id IN ({marks})", org_ids
        )
        return {row[0]: row[1] for row in rows}

    async def issuer_plans(self, issuer_id: int) -> list[tuple[int, str, int]]:
        """(plan id, plan name, number of batches) of the plans with pending lists."""
        rows = await self._all(
            "SELECT pl.id, pl.name, COUNT(b.id) FROM batch b"
            " JOIN exam_plan pl ON pl.id = b.plan_id JOIN program pr ON pr.id = pl.program_id"
            " WHERE pr.issuer_id = ? GROUP BY pl.id, pl.name ORDER BY pl.id DESC",
            (issuer_id,),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def stamp_versions(self, org_id: int) -> int:
        row = await self._one("SELECT COUNT(*) FROM stamp WHERE org_id = ?", (org_id,))
        return int(row[0]) if row else 0
