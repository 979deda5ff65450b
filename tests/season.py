"""A whole season in one database, through the use cases: X certificates signed and handed
out (one then voided), a graduation term declared, approved, printed on issued blanks (one
spoiled, voided and returned), sealed, holds released by qualifications recorded, handed out,
one certificate voided."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from issuance.core.chain import Act
from issuance.core.people import Person
from issuance.core.settings import Settings, load_settings, write_initial_config
from issuance.graduation import demo as grad_demo
from issuance.graduation.printouts import Printouts
from issuance.graduation.qualifications import import_qualifications
from issuance.graduation.sealing import Sealing
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock
from issuance.store import Store
from issuance.store.opening import open_store
from issuance.xcert import demo as x_demo
from issuance.xcert.handout import Handout
from issuance.xcert.service import Issuance
from tests.cli import Run, qianfa
from tests.databases import raw, table_counts

UNDER_CITY = grad_demo.SCHOOLS[2][0]  # Quanzhou approves, the province seals
PEOPLE = {
    "province": "13900000001",
    "keeper": "13900000002",
    "distributor": "13900000003",
    "quanzhou": "13900000005",
    "clerk": "13900000031",
    "leader": "13900000032",
}


async def _person(store: Store, phone: str) -> Person:
    person = await store.person_by_ref(phone)
    assert person is not None
    return person


async def play_season(store: Store, settings: Settings) -> None:
    """Every state the product reaches in a season, in `store` (freshly migrated)."""
    issuance = Issuance(store, settings)
    await x_demo.load(issuance)
    await grad_demo.load(issuance)
    people = {name: await _person(store, phone) for name, phone in PEOPLE.items()}

    evaluator, head = [await _person(store, f"1380000000{n}") for n in (1, 2)]
    handout = Handout(store)
    (batch,) = await store.handout_batches(issuer_id=evaluator.org_id)
    await handout.mail(evaluator, batch.batch_id, "顺丰速运", "SF100")
    await handout.receive(head, batch.batch_id)
    records = await handout.records(head, batch.batch_id)
    await handout.hand_out(head, batch.batch_id, [records[0].record_id])
    await handout.hand_out(head, batch.batch_id, [records[1].record_id], tracking="EMS 300")
    await issuance.void(records[0].cert_no, "信息有误")  # 作废 after it was handed out

    graduation = Graduation(store, settings)
    request_id, count = await graduation.declare(UNDER_CITY, grad_demo.TERM)
    for who in ("leader", "quanzhou", "province"):
        await graduation.act(people[who], request_id, Act.CONFIRM)
    stock = Stock(store, settings)
    await stock.receive("技工学校", "J0001", "J0100", people["keeper"].phone)
    blanks = await graduation.request_blanks(UNDER_CITY, "技工学校", count + 1, None)
    for who in ("leader", "quanzhou", "province"):
        await graduation.act(people[who], blanks, Act.CONFIRM)
    await stock.issue(blanks, "J0001", people["distributor"].phone)
    school = await graduation.school(UNDER_CITY)
    roster = await store.seal_roster(school.id, grad_demo.TERM)
    serials = [f"J{n:04d}" for n in range(1, len(roster) + 1)]
    await stock.record_printing(
        school.id, list(zip(serials, [g.id for g in roster], strict=True)), None
    )
    spoiled = f"J{len(roster) + 1:04d}"
    await stock.void(spoiled, "卡纸", people["clerk"].phone)
    await stock.return_([spoiled], people["keeper"].phone)
    await Sealing(graduation).seal(people["province"], UNDER_CITY, grad_demo.TERM)
    # qualifications recorded after 验印 release held graduates (暂缓发放) but the last
    held = [g for g in roster if g.held][:-1]
    assert held, "the demo term has graduates without a qualification"
    qualifications = settings.home / "season-qualifications.csv"
    qualifications.write_text(
        "姓名,身份证号,职业资格证书编号,职业资格等级\n"
        + "".join(f"{g.name},{g.id_number},Q{g.id:06d},四级/中级工\n" for g in held),
        encoding="utf-8",
    )
    report = await import_qualifications(store, qualifications, "zh", UNDER_CITY, "test")
    assert not report.errors, report.errors
    handed = await Sealing(graduation).hand_out(people["clerk"], UNDER_CITY, grad_demo.TERM)
    voided = handed.handed[0].cert_no
    assert voided is not None
    await Printouts(graduation, store).void(voided, "错印")


class Season:
    def __init__(self, home: Path, database: str) -> None:
        self.home = home
        self.database = database
        self.env = {k: v for k, v in os.environ.items() if k != "QIANFA_DATABASE_URL"}
        if database:
            self.env["QIANFA_DATABASE_URL"] = database

    def run(self, *args: str) -> Run:
        return qianfa(self.home, *args, env=self.env)

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        with raw(self.database or self.home / "qianfa.db") as execute:
            return execute(statement)

    def counts(self) -> dict[str, int]:
        """Rows of every table: what a refused command must leave as it was."""
        return table_counts(self.database or self.home / "qianfa.db")


async def played_season(home: Path, database: str) -> Season:
    """A home (as `qianfa init` makes it) whose database holds a whole season."""
    write_initial_config(home)
    settings = replace(load_settings(home), database_url=database)
    store = await Store.open(settings.database)
    try:
        await play_season(store, settings)
    finally:
        await store.close()
    # Opened once as every process opens it (audit anchor, the database's signed head), so what
    # a later command writes is its own doing, not the first opening's.
    await (await open_store(settings)).close()
    return Season(home, database)
