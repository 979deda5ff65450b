"""Hostile files and broken surroundings against the real `qianfa` processes.

Bombs under a 1 GiB address-space limit, a taken port, Telegram unreachable at start-up, split
webhook processes, a database that is not one or stays locked, and the 1.4 KB XFD1048576 sheet
sent to the bot while `qianfa run` serves the web part too.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from argparse import Namespace
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from issuance.core.catalog import t
from issuance.formats.tabular import MAX_COLUMNS, MAX_ROWS
from issuance.store import Store
from issuance.store.base import StoreUnavailable
from qianfa.cli import _run_command
from tests import hostile
from tests.cli import qianfa
from tests.fakebot import FakeBotApi, User

ONE_GIB = 1 << 30
RESULT_HEADERS = (
    "学生姓名",
    "身份证号",
    "学生类型",
    "所属院校",
    "证书名称",
    "证书等级",
    "颁证机构",
    "考试计划",
    "考核站点",
    "考核状态",
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialized home (config with a secret key, empty database)."""
    made = tmp_path_factory.mktemp("hostile") / "home"
    assert qianfa(made, "init").code == 0
    return made


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ONE_GIB, ONE_GIB))


def qianfa_limited(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`qianfa ARGS` in a subprocess that may map at most 1 GiB."""
    return subprocess.run(
        [sys.executable, "-m", "qianfa", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def env(**values: str) -> dict[str, str]:
    return {**os.environ, **{f"QIANFA_{k.upper()}": v for k, v in values.items()}}


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "far.xlsx",
            hostile.far_cell_xlsx(RESULT_HEADERS),
            t("tabular.too_many_rows", limit=MAX_ROWS),
        ),
        ("bomb.xlsx", lambda: hostile.bomb_xlsx(600 << 20), t("tabular.xlsx_bomb")),
        (
            "wide.csv",
            ",".join(RESULT_HEADERS) + "\n" + "," * 3_000_000 + "\n",
            t("tabular.line_too_long", row=2),
        ),
    ],
    ids=["xfd1048576", "zip_bomb_600mb", "three_million_commas"],
)
def test_bombs_end_in_a_clear_message_within_one_gib(
    home: Path, tmp_path: Path, name: str, data: Any, expected: str
) -> None:
    path = hostile.write(tmp_path, name, data() if callable(data) else data)

    done = qianfa_limited(home, "--json", "import", "results", str(path))

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    document = json.loads(done.stdout)
    shown = document.get("message") or " ".join(e["message"] for e in document["errors"])
    assert expected in shown


def test_a_wide_xlsx_is_refused_by_its_column_count(home: Path, tmp_path: Path) -> None:
    far = hostile.xlsx_package(
        hostile._SHEET_HEAD + '<sheetData><row r="1"><c r="XFD1"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    )
    path = hostile.write(tmp_path, "wide.xlsx", far)

    done = qianfa_limited(home, "import", "results", str(path))

    assert done.returncode == 1
    assert t("tabular.too_many_columns", limit=MAX_COLUMNS) in done.stderr


def test_a_csv_with_an_open_quote_still_prints_the_json_report(home: Path, tmp_path: Path) -> None:
    path = hostile.write(tmp_path, "q.csv", ",".join(RESULT_HEADERS) + '\n"张三,1\n李四,2\n')

    done = qianfa_limited(home, "--json", "import", "results", str(path))

    assert done.returncode == 1
    assert json.loads(done.stdout) == {
        "imported": 0,
        "errors": [{"row": 2, "column": "", "message": t("tabular.csv_malformed", row=2)}],
    }


def test_full_width_digits_verify_on_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init", "--demo").code == 0
    with sqlite3.connect(home / "qianfa.db") as db:
        cert_no, id_number = db.execute(
            "SELECT r.cert_no, s.id_number FROM record r JOIN exam_result er ON er.id = r.result_id"
            " JOIN student s ON s.id = er.student_id WHERE r.status = '确认签发' LIMIT 1"
        ).fetchone()
    wide = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

    run = qianfa(home, "verify", cert_no.translate(wide), id_number.translate(wide), "--json")

    assert run.code == 0, run.stdout + run.stderr
    assert run.json()["status"] == "valid" and run.json()["cert_no"] == cert_no


def test_a_file_that_is_not_a_database_ends_the_command_with_one_message(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert qianfa(home, "init").code == 0
    (home / "qianfa.db").unlink()
    (home / "qianfa.db").write_text("这不是数据库，只是一段文字。" * 20, encoding="utf-8")

    run = qianfa(home, "status")

    assert run.code == 1
    assert "Traceback" not in run.stderr
    assert "file is not a database" in run.stderr


def test_a_database_path_that_cannot_be_created_ends_the_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")

    run = qianfa(home, "init", env=env(database_url=str(blocker / "qianfa.db")))

    assert run.code == 1
    assert "无法打开数据库" in run.stderr and "Traceback" not in run.stderr


def test_a_database_locked_past_the_busy_timeout_says_busy(tmp_path: Path) -> None:
    path = tmp_path / "qianfa.db"

    async def prepare() -> None:
        await (await Store.open(path)).close()

    asyncio.run(prepare())
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")

    async def write(args: Namespace, settings: Any) -> tuple[Any, str]:
        store = await Store.open(path)
        try:
            await store.driver.db.execute("PRAGMA busy_timeout = 50")
            await store._execute("INSERT INTO schema_version VALUES (999)")
        finally:
            await store.close()
        return None, ""

    try:
        with pytest.raises(StoreUnavailable) as caught:
            _run_command(
                Namespace(func=write),
                Namespace(database_path=path, database_busy_timeout_seconds=15.0),  # type: ignore[arg-type]
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert caught.value.key == "store.busy"
    assert "数据库正忙" in caught.value.message() and "等待 15 秒" in caught.value.message()


def test_a_command_waits_the_configured_time_for_another_process_then_says_busy(
    tmp_path: Path,
) -> None:
    demo = tmp_path / "home"
    assert qianfa(demo, "init", "--demo").code == 0
    path = demo / "qianfa.db"
    before = _dump(path)
    # Another qianfa process in the middle of a write: a connection of its own holding the lock.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("DELETE FROM invite")
    try:
        run = qianfa(demo, "invite", "13800000001", env=env(database_busy_timeout_seconds="1"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    busy = t("store.busy", path=path, seconds="1")
    assert run.code == 1 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "错误：" + busy,
        "Error: " + t("store.busy", "en", path=path, seconds="1"),
    ]
    # the message names the configured wait (no timing assertion: the machine may be loaded)
    assert "等待 1 秒" in busy and "busy_timeout_seconds" in busy and "停止该进程" in busy
    assert _dump(path) == before


def _dump(path: Path) -> list[str]:
    """Every table's rows and the schema of the SQLite file at `path`."""
    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def test_a_taken_port_is_named_in_one_line_and_nothing_starts(home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        run = qianfa(home, "run", env=env(web_port=str(port)))

    assert run.code == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith(("错误：", "Error:"))]
    assert errors == [
        "错误：" + t("run.port_taken", host="127.0.0.1", port=port),
        "Error: " + t("run.port_taken", "en", host="127.0.0.1", port=port),
    ]
    assert "running:" not in run.stderr and "Traceback" not in run.stderr


class Blackhole:
    """A TCP server that accepts connections and never answers (Telegram behind the GFW)."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self.connected = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self._held.append(connection)
            self.connected.set()

    def close(self) -> None:
        self.server.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    hole = Blackhole()
    yield hole
    hole.close()


def start_bot(home: Path, base_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "qianfa", "--home", str(home), "run", "--no-web", "--no-worker"],
        env=env(telegram_token="123:abc", telegram_base_url=base_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_shutdown_while_telegram_never_answers_exits_within_seconds(
    home: Path, blackhole: Blackhole, how: signal.Signals
) -> None:
    process = start_bot(home, f"http://127.0.0.1:{blackhole.port}/bot")
    try:
        assert blackhole.connected.wait(timeout=60), "the bot never tried to reach Telegram"
        process.send_signal(how)
        code = process.wait(timeout=15)
    finally:
        process.kill()
        _stdout, stderr = process.communicate()
    assert code == 0, stderr
    assert "Traceback" not in stderr


def test_shutdown_between_retries_exits_within_seconds(home: Path) -> None:
    process = start_bot(home, f"http://127.0.0.1:{free_port()}/bot")
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "Telegram unreachable" in line:
                break
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    finally:
        process.kill()
        process.communicate()
    assert code == 0


async def test_the_xfd1048576_sheet_sent_to_the_bot_gets_a_reply_and_the_web_still_answers(
    tmp_path: Path, bot_api: FakeBotApi
) -> None:
    home = tmp_path / "home"
    init = qianfa(home, "--json", "init", "--demo")
    assert init.code == 0, init.stderr
    invite = next(i for i in init.json()["invites"] if i["role"] == "业务管理员")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qianfa", "--home", str(home), "run"],
        env=env(
            telegram_token=bot_api.token,
            telegram_base_url=bot_api.base_url,
            telegram_base_file_url=bot_api.base_file_url,
            web_port=str(port),
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    staff = User(4242, "赵晓燕")
    sheet = hostile.far_cell_xlsx(("问题编号", "更正值"))
    try:
        bot_api.send_command(staff, "start", invite["code"])
        await bot_api.next_message(staff.id, timeout=60)
        bot_api.send_document(staff, sheet, "学生信息待完善清单.xlsx")
        reply = await bot_api.next_message(staff.id, timeout=60)
        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
        alive = process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            process.kill()
            _, stderr = process.communicate()
    assert len(sheet) < 2048
    assert t("tabular.too_many_rows", limit=MAX_ROWS) in (reply.text or ""), stderr
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert alive
