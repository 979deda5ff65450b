"""Administrators (管理员) and the chat desks' store work, on both databases: the role exists
in the schema, `qianfa admin add`'s use case, invites one by one and for everyone not bound,
绑定情况, 解绑 that takes effect at once, binding by the mobile number WeCom vouches for; and the
overviews the stock and output desks read (balance per school, every school's numbered terms)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from issuance.accounts import Accounts
from issuance.core.chain import Act
from issuance.core.errors import Conflict, Forbidden, Invalid, NotFound
from issuance.core.people import Channel, Person, Role
from issuance.core.settings import Settings, load_settings, write_initial_config
from issuance.graduation import demo
from issuance.graduation.demo import TERM
from issuance.graduation.service import Graduation
from issuance.graduation.stock import Stock
from issuance.store import Store
from issuance.xcert.service import Issuance
from tests.cli import qianfa
from tests.databases import IntegrityErrors

ADMIN_PHONE = "13600000009"
KEEPER_PHONE = "13900000002"
CLERK_PHONE = "13900000031"


@pytest.fixture
async def issuance(tmp_path: Path, database: str) -> AsyncIterator[Issuance]:
    write_initial_config(tmp_path)
    settings: Settings = replace(load_settings(tmp_path, environ={}), database_url=database)
    store = await Store.open(settings.database)
    try:
        made = Issuance(store, settings)
        await demo.load(made)
        yield made
    finally:
        await store.close()


async def admin(accounts: Accounts) -> Person:
    return await accounts.add_admin(ADMIN_PHONE, "王管理")


async def audit_actions(issuance: Issuance) -> list[tuple[str, str, str]]:
    entries = await issuance.store.audit_entries()
    return [(e.entry.actor, e.entry.action, e.entry.subject) for e in entries]


async def test_admin_add_puts_an_administrator_in_the_province_department_once(
    issuance: Issuance,
) -> None:
    accounts = Accounts(issuance)
    added = await admin(accounts)
    again = await admin(accounts)
    assert added.role == Role.ADMIN and added.org_name == "福建省技工教育中心"
    assert again.id == added.id
    with pytest.raises(Conflict):
        await accounts.add_admin(KEEPER_PHONE, "库管员也想当管理员")
    with pytest.raises(Invalid):
        await accounts.add_admin("12345", "号码不对")
    assert ("admin", "person.admin_add", "org:FJ-JGZX") in await audit_actions(issuance)


async def test_the_database_takes_the_admin_role_and_still_refuses_unknown_ones(
    issuance: Issuance,
) -> None:
    org = (await issuance.store.person_by_ref(KEEPER_PHONE)).org_id  # type: ignore[union-attr]
    await issuance.store.insert_people([("管理员乙", "13600000010", org, Role.ADMIN, None)])
    with pytest.raises(IntegrityErrors):
        await issuance.store.insert_people([("某人", "13600000011", org, "超级管理员", None)])


async def test_only_an_administrator_invites_lists_and_unbinds(issuance: Issuance) -> None:
    accounts = Accounts(issuance)
    keeper = await issuance.store.person_by_ref(KEEPER_PHONE)
    assert keeper is not None
    for attempt in (
        accounts.invite(keeper, CLERK_PHONE),
        accounts.invites_for_unbound(keeper),
        accounts.bindings(keeper),
        accounts.unbind(keeper, CLERK_PHONE),
    ):
        with pytest.raises(Forbidden):
            await attempt


async def test_an_invite_binds_and_unbinding_drops_the_account_at_once_audited(
    issuance: Issuance,
) -> None:
    accounts = Accounts(issuance)
    boss = await admin(accounts)
    invite = await accounts.invite(boss, "139 0000 0031")
    clerk = await issuance.bind(invite.code, Channel.TELEGRAM, "7001", None)
    assert clerk.phone == CLERK_PHONE
    bound = {b.person.phone: b.channels for b in await accounts.bindings(boss)}
    assert bound[CLERK_PHONE] == ("telegram",)

    done = await accounts.unbind(boss, CLERK_PHONE)
    assert done.channels == ["telegram"]
    assert await issuance.store.person_for_account(Channel.TELEGRAM, "7001") is None
    with pytest.raises(Conflict):
        await accounts.unbind(boss, CLERK_PHONE)
    actions = await audit_actions(issuance)
    who = f"person:{boss.id}"
    assert (who, "account.invite", f"person:{clerk.id}") in actions
    assert (f"person:{clerk.id}", "account.bind", "telegram") in actions
    assert (who, "account.unbind", f"person:{clerk.id}") in actions


async def test_unbinding_also_voids_the_persons_unused_invites(issuance: Issuance) -> None:
    accounts = Accounts(issuance)
    boss = await admin(accounts)
    first = await accounts.invite(boss, CLERK_PHONE)
    await issuance.bind(first.code, Channel.WECOM, "clerk-wecom", None)
    spare = await accounts.invite(boss, CLERK_PHONE)
    await accounts.unbind(boss, CLERK_PHONE)
    with pytest.raises(Conflict):
        await issuance.bind(spare.code, Channel.WECOM, "someone-else", None)


async def test_invites_for_everyone_not_bound_skip_the_bound_and_the_administrator(
    issuance: Issuance,
) -> None:
    accounts = Accounts(issuance)
    boss = await admin(accounts)
    keeper_invite = await accounts.invite(boss, KEEPER_PHONE)
    await issuance.bind(keeper_invite.code, Channel.WECOM, "keeper", None)
    invites = await accounts.invites_for_unbound(boss)
    phones = {i.person.phone for i in invites}
    everyone = {b.person.phone for b in await accounts.bindings(boss)}
    assert phones == everyone - {KEEPER_PHONE, ADMIN_PHONE}
    assert len({i.code for i in invites}) == len(invites)


async def test_binding_by_the_mobile_number_wecom_vouches_for(issuance: Issuance) -> None:
    accounts = Accounts(issuance)
    person = await accounts.bind_by_phone(Channel.WECOM, "QuanzhouClerk", "+86" + CLERK_PHONE)
    assert person.phone == CLERK_PHONE
    found = await issuance.store.person_for_account(Channel.WECOM, "QuanzhouClerk")
    assert found is not None and found.id == person.id
    with pytest.raises(NotFound):
        await accounts.bind_by_phone(Channel.WECOM, "Stranger", "13712345678")
    with pytest.raises(Conflict):  # the member's account is somebody's already
        await accounts.bind_by_phone(Channel.WECOM, "QuanzhouClerk", KEEPER_PHONE)
    actions = await audit_actions(issuance)
    assert (f"person:{person.id}", "account.bind", "wecom:mobile") in actions


async def test_balance_per_school_and_numbered_terms_of_every_school(
    issuance: Issuance,
) -> None:
    store, settings = issuance.store, issuance.settings
    grad, stock = Graduation(store, settings), Stock(store, settings)
    people = {p: await store.person_by_ref(p) for p in ("13900000032", "13900000005")}
    province = await store.person_by_ref("13900000001")
    await stock.receive("技工学校", "J0000001", "J0000010", KEEPER_PHONE)
    request = await grad.request_blanks(demo.SCHOOLS[2][0], "技工学校", 3, None)
    for who in (*people.values(), province):
        assert who is not None
        await grad.act(who, request, Act.CONFIRM)
    await stock.issue(request, "J0000001", "13900000003")
    await stock.void("J0000002", "打印错位", KEEPER_PHONE)
    await stock.return_(["J0000002"], KEEPER_PHONE, "学期末退回")
    by_school = await stock.balance_by_school()
    school = demo.SCHOOLS[2][1]
    assert (school, "技工学校", "已发放", 2) in by_school
    assert (school, "技工学校", "已退回", 1) in by_school
    returned = [e.entry for e in await store.audit_entries() if e.entry.action == "stock.return"]
    assert returned[-1].reason == "学期末退回"

    assert await store.numbered_terms() == []
    declared, _ = await grad.declare(demo.SCHOOLS[0][0], TERM)
    for phone in ("13900000012", "13900000001"):
        who = await store.person_by_ref(phone)
        assert who is not None
        await grad.act(who, declared, Act.CONFIRM)
    school_id = (await grad.school(demo.SCHOOLS[0][0])).id
    assert await store.numbered_terms() == [(school_id, TERM, demo.PER_SCHOOL)]


def test_qianfa_admin_add_on_the_command_line_in_chinese_first(tmp_path: Path) -> None:
    assert qianfa(tmp_path, "init", "--demo").code == 0
    assert "添加管理员" in qianfa(tmp_path, "admin", "--help").stdout
    assert "管理员手机号" in qianfa(tmp_path, "admin", "add", "--help").stdout
    added = qianfa(tmp_path, "admin", "add", ADMIN_PHONE, "--name", "王管理", "--json")
    assert added.code == 0, added.stderr
    assert added.json()["org"] == "福建省技工教育中心"
    taken = qianfa(tmp_path, "admin", "add", KEEPER_PHONE, "--name", "某人")
    assert taken.code != 0 and "一个手机号只能对应一个人员" in taken.stderr
    with sqlite3.connect(tmp_path / "qianfa.db") as db:
        roles = db.execute("SELECT role FROM person WHERE phone = ?", (ADMIN_PHONE,)).fetchall()
    assert roles == [("管理员",)]
