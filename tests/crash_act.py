"""Run one act in a process that is then killed with SIGKILL: `python -m tests.crash_act HOME
DATABASE WHEN`. WHEN is "after-commit" (the act committed, its notices not sent) or "in-act"
(killed inside the act's transaction, after its notices were appended)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from issuance.core.notices import Notice
from issuance.core.settings import Settings
from issuance.store import Store
from issuance.xcert.completion import Completion
from issuance.xcert.service import Issuance

EVALUATOR = "13800000001"
RECORDS = [20, 21]


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


async def main(home: str, database: str, when: str) -> None:
    settings = Settings(home=Path(home), database_url=database)
    store = await Store.open(settings.database)
    issuance = Issuance(store, settings)
    if when == "in-act":
        append = store.append_notice

        async def append_then_die(notice: Notice, broadcast_id: int | None = None) -> int | None:
            found = await append(notice, broadcast_id)
            _die()
            return found

        store.append_notice = append_then_die  # type: ignore[method-assign]
    evaluator = await store.person_by_ref(EVALUATOR)
    assert evaluator is not None
    await Completion(issuance).flag(evaluator, RECORDS, "name", "姓名有误 2030-12-01")
    print("committed")
    _die()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
