"""The store: task-named methods behind the core's ports, on SQLite or PostgreSQL."""

from typing import TYPE_CHECKING

from issuance.core import ports
from issuance.store.base import SHANGHAI, system_clock
from issuance.store.chat import BroadcastInfo, ChatQueries, Problem
from issuance.store.core import CoreQueries, PlanInfo, RecordChange, RecordFilter
from issuance.store.final_digest import FinalDigestQueries
from issuance.store.grad_outputs import GradOutputQueries
from issuance.store.graduation import GraduationQueries
from issuance.store.handout import HandoutQueries
from issuance.store.inbox import InboxQueries
from issuance.store.outbox import ChatAccount, OutboxItem, OutboxQueries
from issuance.store.qualification import QualificationQueries
from issuance.store.rerendering import RerenderQueries
from issuance.store.signing import SigningQueries, StoredSigningRequest
from issuance.store.wecom import Inbound, WeComQueries
from issuance.store.work import (
    BatchCertificate,
    CertificateClaim,
    CertificateFile,
    ProblemGroup,
    WaitingBatch,
    WorkQueries,
)


class Store(
    CoreQueries,
    OutboxQueries,
    ChatQueries,
    SigningQueries,
    WorkQueries,
    InboxQueries,
    RerenderQueries,
    GraduationQueries,
    GradOutputQueries,
    QualificationQueries,
    WeComQueries,
    HandoutQueries,
    FinalDigestQueries,
):
    """Every query the core, bot, web part and worker need, in one adapter."""


__all__ = [
    "SHANGHAI",
    "BatchCertificate",
    "BroadcastInfo",
    "CertificateClaim",
    "CertificateFile",
    "ChatAccount",
    "ChatQueries",
    "Inbound",
    "OutboxItem",
    "PlanInfo",
    "Problem",
    "ProblemGroup",
    "RecordChange",
    "RecordFilter",
    "Store",
    "StoredSigningRequest",
    "WaitingBatch",
    "WeComQueries",
    "system_clock",
]


if TYPE_CHECKING:
    # mypy proves here that the one adapter implements every port.
    def _provides_every_port(
        store: Store,
    ) -> tuple[
        ports.PeopleStore,
        ports.ResultStore,
        ports.RecordStore,
        ports.SignoffStore,
        ports.AuditStore,
        ports.SigningStore,
        ports.ChatStore,
        ports.OutboxStore,
        ports.CertificateWorkStore,
        ports.InboxStore,
    ]:
        return (store, store, store, store, store, store, store, store, store, store)
