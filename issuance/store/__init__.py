"""The store: one aiosqlite adapter behind task-named methods (SQL kept portable to PostgreSQL)."""

from issuance.store.base import SHANGHAI, system_clock
from issuance.store.core import CoreQueries, PlanInfo, RecordChange, RecordFilter


class Store(CoreQueries):
    """Every query the core, bot, web part and worker need, in one adapter."""


__all__ = ["SHANGHAI", "PlanInfo", "RecordChange", "RecordFilter", "Store", "system_clock"]
