"""What a chat remembers between messages, in the store so it survives a restart.

The answer the chat waits for (a refusal reason, a corrected field, certificate numbers), the
records ticked for a batch act, a draft awaiting consent: one `Conversation` per channel account.
`issuance.chat.answers` maps an awaited answer's name to the desk that takes the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from issuance.core.ports import ChatStateRepository

AWAIT = "await"
SELECTION = "selection"


@dataclass(frozen=True)
class Awaited:
    """The answer a chat was waiting for: its name and what the question carried."""

    name: str
    data: dict[str, Any]


class Conversation:
    """The stored state of one account on one channel."""

    def __init__(self, store: ChatStateRepository, channel: str, account: str) -> None:
        self.store = store
        self.channel = channel
        self.account = account

    async def expect(self, name: str, **data: Any) -> None:
        """Wait for the next text as the answer `name`, replacing any earlier question."""
        await self.store.set_chat_state(self.channel, self.account, AWAIT, {"name": name, **data})

    async def take_awaited(self) -> Awaited | None:
        """The awaited answer, forgotten (so an answer acts once)."""
        state = await self.store.take_chat_state(self.channel, self.account, AWAIT)
        if state is None or "name" not in state:
            return None
        name = state.pop("name")
        return Awaited(str(name), state)

    async def selection(self, batch_id: int) -> set[int]:
        """Records ticked in this batch."""
        state = await self.store.chat_state(self.channel, self.account, SELECTION) or {}
        return set(state.get("ids", [])) if state.get("batch") == batch_id else set()

    async def select(self, batch_id: int, ids: set[int]) -> None:
        await self.store.set_chat_state(
            self.channel, self.account, SELECTION, {"batch": batch_id, "ids": sorted(ids)}
        )

    async def keep(self, kind: str, data: dict[str, Any]) -> None:
        """Keep a draft (e.g. a checked stamp awaiting consent) under `kind`."""
        await self.store.set_chat_state(self.channel, self.account, kind, data)

    async def take(self, kind: str) -> dict[str, Any] | None:
        """The draft under `kind`, forgotten."""
        return await self.store.take_chat_state(self.channel, self.account, kind)
