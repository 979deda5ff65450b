"""The store: task-named methods behind the core's ports, on SQLite or PostgreSQL."""

from typing import TYPE_CHECKING

from issuance.core import ports
from issuance.store.accounts import AccountQueries
from issuance.store.base import SHANGHAI, system_clock
from issuance.store.chat import ChatQueries
from issuance.store.chat_views import ChatViewQueries
from issuance.store.core import CoreQueries
from issuance.store.final_digest import FinalDigestQueries
from issuance.store.grad_outputs import GradOutputQueries
from issuance.store.graduation import GraduationQueries
from issuance.store.handout import HandoutQueries
from issuance.store.inbox import InboxQueries
from issuance.store.outbox import OutboxQueries
from issuance.store.qualification import QualificationQueries
from issuance.store.rerendering import RerenderQueries
from issuance.store.signing import SigningQueries
from issuance.store.uploads import UploadQueries
from issuance.store.wecom import WeComQueries
from issuance.store.work import WorkQueries


class Store(
    CoreQueries,
    OutboxQueries,
    ChatQueries,
    SigningQueries,
    UploadQueries,
    WorkQueries,
    InboxQueries,
    RerenderQueries,
    GraduationQueries,
    GradOutputQueries,
    QualificationQueries,
    WeComQueries,
    HandoutQueries,
    FinalDigestQueries,
    AccountQueries,
    ChatViewQueries,
):
    """Every query the core, bot, web part and worker need, in one adapter."""


__all__ = [
    "SHANGHAI",
    "ChatQueries",
    "Store",
    "WeComQueries",
    "system_clock",
]


if TYPE_CHECKING:
    # mypy proves here that the one adapter implements every port (Ports joins them all).
    def _provides_every_port(store: Store) -> ports.Ports:
        return store
