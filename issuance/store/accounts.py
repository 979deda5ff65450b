"""Store queries of who is bound where (绑定情况): administrators bind people by phone number
(WeCom's OAuth mobile), list everyone's chat accounts, and unbind them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from issuance.core.errors import Conflict
from issuance.core.people import Binding, Person
from issuance.store.base import BaseStore
from issuance.store.core import _PERSON_SQL, _person

if TYPE_CHECKING:
    from issuance.core.audit import AuditEntry


class AccountQueries(BaseStore):
    """Task-named queries of chat accounts, for administrators."""

    if TYPE_CHECKING:

        async def append_audit(self, entry: AuditEntry) -> int: ...

        async def person_for_account(self, channel: str, account: str) -> Person | None: ...

    async def bindings(self) -> list[Binding]:
        """Every person with the channels they are bound on, by organization then person."""
        people = [_person(row) for row in await self._all(f"{_PERSON_SQL} ORDER BY o.code, p.id")]
        rows = await self._all("SELECT person_id, channel FROM chat_account ORDER BY channel")
        channels: dict[int, list[str]] = {}
        for row in rows:
            channels.setdefault(row["person_id"], []).append(row["channel"])
        return [Binding(p, tuple(channels.get(p.id, ()))) for p in people]

    async def bind_account(
        self, person_id: int, channel: str, account: str, language: str | None, audit: AuditEntry
    ) -> None:
        """Bind `account` to the person on `channel` (their earlier account there is dropped);
        an account already bound to somebody else is refused."""
        async with self.transaction():
            bound = await self.person_for_account(channel, account)
            if bound is not None and bound.id != person_id:
                raise Conflict("invite.account_taken", name=bound.name)
            await self._db.execute(
                "DELETE FROM chat_account WHERE person_id = ? AND channel = ?",
                (person_id, channel),
            )
            await self._db.execute(
                "INSERT INTO chat_account (channel, account, person_id, language, bound_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (channel, account, person_id, language, audit.at),
            )
            await self.append_audit(audit)

    async def unbind_accounts(self, person_id: int, audit: AuditEntry) -> list[str]:
        """Drop every chat account of the person, and their unused invites: the channels they
        were bound on (none: nothing happens, nothing is audited)."""
        async with self.transaction():
            rows = await self._all(
                "SELECT channel FROM chat_account WHERE person_id = ? ORDER BY channel",
                (person_id,),
            )
            await self._db.execute(
                "UPDATE invite SET used_at = ? WHERE person_id = ? AND used_at IS NULL",
                (audit.at, person_id),
            )
            if not rows:
                return []
            await self._db.execute("DELETE FROM chat_account WHERE person_id = ?", (person_id,))
            await self.append_audit(audit)
        return [row["channel"] for row in rows]
