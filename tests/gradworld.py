"""The graduation demo in a real SQLite file: a province, Fuzhou (final), Quanzhou (not final),
one school of each level with its 经办人 and 校领导, the departments' people, one term's
graduates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from issuance.core.people import Person
from issuance.core.settings import load_settings
from issuance.graduation import demo
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock
from issuance.store import Store
from issuance.xcert.service import Issuance

PROVINCE_RUN, UNDER_FINAL_CITY, UNDER_CITY = (school[0] for school in demo.SCHOOLS)


@dataclass
class GradWorld:
    """The store, the use cases, and everybody by a short name."""

    home: Path
    store: Store
    grad: Graduation
    stock: Stock
    people: dict[str, Person]

    def __getitem__(self, name: str) -> Person:
        return self.people[name]


# Short names: the schools' clerks and leaders by school, the departments' people by place.
NAMES = {
    "13900000001": "province",
    "13900000002": "keeper",
    "13900000003": "distributor",
    "13900000004": "fuzhou",
    "13900000005": "quanzhou",
    "13900000011": "clerk_province_run",
    "13900000012": "leader_province_run",
    "13900000021": "clerk_fuzhou",
    "13900000022": "leader_fuzhou",
    "13900000031": "clerk_quanzhou",
    "13900000032": "leader_quanzhou",
}


@asynccontextmanager
async def grad_world(home: Path) -> AsyncIterator[GradWorld]:
    settings = load_settings(home)
    store = await Store.open(settings.database_path)
    try:
        await demo.load(Issuance(store, settings))
        people = {}
        for phone, name in NAMES.items():
            person = await store.person_by_ref(phone)
            assert person is not None
            people[name] = person
        yield GradWorld(home, store, Graduation(store, settings), Stock(store, settings), people)
    finally:
        await store.close()
