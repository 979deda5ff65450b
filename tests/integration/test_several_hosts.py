"""Several hosts (homes) on one PostgreSQL database: tamper evidence holds from every host with the
operator's shared key, and two hosts' chat parts send each message once, one sender per channel."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from issuance.core.audit import AuditEntry, entry_hash
from issuance.core.settings import write_initial_config
from issuance.store import Store
from tests.botworld import EVALUATOR, HEAD, STAFF
from tests.cli import qianfa
from tests.databases import fresh_database, raw
from tests.fakebot import FakeBotApi, RateLimits

HOSTS = ("a", "b", "c")


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "QIANFA_DATABASE_URL": url}


@pytest.fixture
def shared(postgres: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, Path]]]:
    """One database, three homes: a made it (`init --demo`), b and c got the operator's key."""
    with fresh_database(postgres) as url:
        homes = {name: tmp_path / name for name in HOSTS}
        assert qianfa(homes["a"], "init", "--demo", env=_env(url)).code == 0
        for name in ("b", "c"):
            write_initial_config(homes[name])
            shutil.copy2(homes["a"] / "audit.key", homes[name] / "audit.key")
            joined = qianfa(homes[name], "audit", "verify", "--json", env=_env(url))
            assert joined.code == 0, joined.stderr
            assert (homes[name] / "audit.head").exists()
        yield url, homes


def _verify_all(url: str, homes: dict[str, Path]) -> dict[str, tuple[int, str]]:
    runs = {name: qianfa(home, "audit", "verify", env=_env(url)) for name, home in homes.items()}
    return {name: (run.code, run.stderr) for name, run in runs.items()}


def _void_next(url: str, home: Path) -> None:
    with raw(url) as execute:
        ((cert_no,),) = execute(
            "SELECT cert_no FROM record WHERE status = '确认签发' AND void_at IS NULL"
            " ORDER BY id LIMIT 1"
        )
    assert qianfa(home, "void", cert_no, "--reason", "多主机", env=_env(url)).code == 0


def _as_superuser(url: str, *statements: str) -> None:
    """What someone with the database but without the key can do (triggers off, any SQL)."""
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("SET session_replication_role = replica")
        for statement in statements:
            db.execute(statement)  # type: ignore[arg-type]


def test_a_key_alone_does_not_join_a_database_whose_head_it_did_not_sign(
    shared: tuple[str, dict[str, Path]], tmp_path: Path
) -> None:
    url, _ = shared
    stranger = tmp_path / "stranger"
    write_initial_config(stranger)
    (stranger / "audit.key").write_text("ab" * 32)
    (stranger / "audit.key").chmod(0o600)
    run = qianfa(stranger, "audit", "verify", env=_env(url))
    assert run.code == 1 and "not signed by this key" in run.stderr


def test_every_host_detects_entries_cut_off_the_end(shared: tuple[str, dict[str, Path]]) -> None:
    url, homes = shared
    _void_next(url, homes["a"])  # only a appends; b and c have not seen it
    _as_superuser(url, "DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)")
    found = _verify_all(url, homes)
    assert all(code == 1 for code, _ in found.values()), found
    # Even hosts that never saw the cut entry: the database's signed head names it.
    assert "deleted from the end" in found["b"][1] and "deleted from the end" in found["c"][1]


def test_every_host_detects_a_replayed_older_head_with_the_tail_cut(
    shared: tuple[str, dict[str, Path]],
) -> None:
    url, homes = shared
    with raw(url) as execute:
        ((old_count, old_hash, old_mac),) = execute("SELECT count, last_hash, mac FROM audit_head")
    _void_next(url, homes["a"])
    assert all(code == 0 for code, _ in _verify_all(url, homes).values())  # all saw the void
    # The cut made consistent: the tail removed and the older signed head put back.
    _as_superuser(
        url,
        f"DELETE FROM audit WHERE id > {old_count}",
        f"UPDATE audit_head SET count = {old_count}, last_hash = '{old_hash}', mac = '{old_mac}'",
    )
    found = _verify_all(url, homes)
    assert all(code == 1 for code, _ in found.values()), found


def test_every_host_detects_an_edit_rehashed_without_the_key(
    shared: tuple[str, dict[str, Path]],
) -> None:
    url, homes = shared
    _void_next(url, homes["b"])
    with raw(url) as execute:
        rows = execute(
            "SELECT id, at, actor, action, subject, reason, signature, prev_hash FROM audit"
            " WHERE id >= 2 ORDER BY id"
        )
    statements, prev = [], rows[0][7]
    for index, row in enumerate(rows):
        entry = list(row[1:7])
        if index == 0:
            entry[1] = "person:999"  # the actor changed
        digest = entry_hash(prev, AuditEntry(*entry))
        statements.append(
            f"UPDATE audit SET actor = '{entry[1]}', prev_hash = '{prev}', hash = '{digest}'"
            f" WHERE id = {row[0]}"
        )
        prev = digest
    last_id = rows[-1][0]
    statements.append(f"UPDATE audit_head SET last_hash = '{prev}' WHERE count = {last_id}")
    _as_superuser(url, *statements)
    found = _verify_all(url, homes)
    assert all(code == 1 and "keyed MAC does not match" in why for code, why in found.values())


def test_every_host_detects_the_whole_database_rolled_back_to_an_older_copy(
    shared: tuple[str, dict[str, Path]], postgres: str, tmp_path: Path
) -> None:
    url, homes = shared
    archive = tmp_path / "older.tar.gz"
    assert qianfa(homes["a"], "db", "backup", "--out", str(archive), env=_env(url)).code == 0
    _void_next(url, homes["a"])
    _void_next(url, homes["c"])
    assert all(code == 0 for code, _ in _verify_all(url, homes).values())  # all saw both voids
    # The older copy, whole and self-consistent (its own signed head), put in place of the
    # database: every table dropped, the older dump restored.
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("DROP SCHEMA public CASCADE")
        db.execute("CREATE SCHEMA public")
    scratch = tmp_path / "scratch"
    run = qianfa(scratch, "db", "restore", str(archive), env=_env(url))
    assert run.code == 0, run.stderr
    found = _verify_all(url, homes)
    # The copy is consistent in itself; each host's own head, outside the database, is ahead.
    assert all(code == 1 and "the anchor recorded" in why for code, why in found.values()), found


def _bot(home: Path, url: str, api: FakeBotApi) -> subprocess.Popen[bytes]:
    env = {
        **_env(url),
        "QIANFA_TELEGRAM_TOKEN": api.token,
        "QIANFA_TELEGRAM_BASE_URL": api.base_url,
        "QIANFA_TELEGRAM_BASE_FILE_URL": api.base_file_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "qianfa", "--home", str(home), "bot"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_two_hosts_chat_parts_send_each_message_once_through_one_sender(
    shared: tuple[str, dict[str, Path]], bot_api: FakeBotApi
) -> None:
    url, homes = shared
    bot_api.rate_limits = RateLimits(per_second=30, per_chat_interval=1.0)
    chats = {EVALUATOR.id: "13800000001", HEAD.id: "13800000002", STAFF.id: "13800000003"}
    store = await Store.open(url)
    try:
        people = {}
        for chat, phone in chats.items():
            person = await store.person_by_ref(phone)
            assert person is not None
            people[chat] = person.id
            await store._execute(
                "INSERT INTO chat_account (channel, account, person_id, bound_at)"
                " VALUES ('telegram', ?, ?, ?)",
                (str(chat), person.id, store.now_iso()),
            )
        hosts = [_bot(homes["a"], url, bot_api), _bot(homes["b"], url, bot_api)]
        try:
            for n in range(3):
                for person in people.values():
                    await store.enqueue(person, "message", {"text": f"第 {n} 条"})
            for chat in chats:
                texts = [(await bot_api.next_message(chat)).text for _ in range(3)]
                assert sorted(texts) == [f"第 {n} 条" for n in range(3)]
            holders = await store._all("SELECT holder FROM lease WHERE name = 'outbox-sender'")
            assert len(holders) == 1
            pid = int(holders[0][0].split(":")[1])
            # The sending host stops (SIGTERM: it releases the lease); the other one takes over.
            sender = next(p for p in hosts if p.pid == pid)
            sender.send_signal(signal.SIGTERM)
            assert sender.wait(timeout=60) == 0
            for person in people.values():
                await store.enqueue(person, "message", {"text": "接管后"})
            for chat in chats:
                assert (await bot_api.next_message(chat)).text == "接管后"
            holders = await store._all("SELECT holder FROM lease WHERE name = 'outbox-sender'")
            assert [int(h[0].split(":")[1]) for h in holders] == [
                p.pid for p in hosts if p is not sender
            ]
        finally:
            for process in hosts:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=60)
        statuses = await store._all("SELECT status, COUNT(*) FROM outbox GROUP BY status")
    finally:
        await store.close()
    # No message twice: each accepted once, every row sent; the pace held (what the fake
    # refused with 429 was sent again later, once).
    assert dict(bot_api.stats.accepted) == dict.fromkeys(chats, 4)
    assert [tuple(row) for row in statuses] == [("sent", 12)]
    refused = [c for c in bot_api.calls_to("sendMessage") if c.status == 429]
    assert len(bot_api.calls_to("sendMessage")) == 12 + len(refused)
