"""The X-certificate sign-off written out by hand: what each party may do in each status.

Shared by the pure engine tests (tests/unit/test_signoff.py), the use cases on in-memory ports
(tests/unit/test_signoff_acts.py) and on the store (tests/integration/test_signoff_store.py), so
all are held to the same table rather than to the engine's own logic.
"""

from __future__ import annotations

from issuance.core.chain import Act
from issuance.core.errors import Conflict, DomainError, Forbidden

E = "培训评价组织"
S = "考核站点"
E_PENDING, E_REFUSED = "培训评价组织待签发", "培训评价组织拒绝签发"
S_PENDING, S_REFUSED = "考核站点待签发", "考核站点拒绝签发"
DONE = "确认签发"
STATUSES = (E_PENDING, E_REFUSED, S_PENDING, S_REFUSED, DONE)
PARTIES = (E, S)
ORDERS = ((E, S), (S, E))

# (order, status, act, party) -> new status. Everything not listed is forbidden.
ALLOWED: dict[tuple[tuple[str, str], str, Act, str], str] = {
    # Evaluation organization first (the platform's default).
    ((E, S), E_PENDING, Act.CONFIRM, E): S_PENDING,
    ((E, S), E_PENDING, Act.REFUSE, E): E_REFUSED,
    ((E, S), S_PENDING, Act.CONFIRM, S): DONE,
    ((E, S), S_PENDING, Act.REFUSE, S): S_REFUSED,
    ((E, S), E_REFUSED, Act.RESUBMIT, E): E_PENDING,
    ((E, S), S_REFUSED, Act.RESUBMIT, E): E_PENDING,
    # School first.
    ((S, E), S_PENDING, Act.CONFIRM, S): E_PENDING,
    ((S, E), S_PENDING, Act.REFUSE, S): S_REFUSED,
    ((S, E), E_PENDING, Act.CONFIRM, E): DONE,
    ((S, E), E_PENDING, Act.REFUSE, E): E_REFUSED,
    ((S, E), E_REFUSED, Act.RESUBMIT, E): S_PENDING,
    ((S, E), S_REFUSED, Act.RESUBMIT, E): S_PENDING,
}


def expected_error(status: str, act: Act, party: str) -> type[DomainError]:
    """Forbidden when the party may never do this (only the evaluator resubmits), else Conflict."""
    if status != DONE and act is Act.RESUBMIT and party != E:
        return Forbidden
    return Conflict


def all_cases() -> list[tuple[tuple[str, str], str, Act, str]]:
    return [
        (order, status, act, party)
        for order in ORDERS
        for status in STATUSES
        for act in Act
        for party in PARTIES
    ]


def path_to(order: tuple[str, str], status: str) -> list[tuple[Act, str]]:
    """The acts that bring a fresh record to `status` under `order`."""
    first, second = order
    return {
        f"{first}待签发": [],
        f"{first}拒绝签发": [(Act.REFUSE, first)],
        f"{second}待签发": [(Act.CONFIRM, first)],
        f"{second}拒绝签发": [(Act.CONFIRM, first), (Act.REFUSE, second)],
        DONE: [(Act.CONFIRM, first), (Act.CONFIRM, second)],
    }[status]
