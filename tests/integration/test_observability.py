"""What an operator watches: /metrics (token or its own listener), /readyz, JSON log lines."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import httpx
import pytest

from issuance.core.settings import Secret, Settings
from issuance.store.anchor import AuditAnchor
from issuance.store.opening import attach_anchor
from issuance.telemetry import set_role
from qianfa import logs
from tests.databases import raw
from tests.fakebot import FakeBotApi
from tests.fakewecom import AES_KEY, SECRET, TOKEN
from tests.integration.test_transcripts import Chat, chat  # noqa: F401 - the transcript fixture
from tests.serving import loopback_socket
from tests.webserver import live_app
from web.observability import serve_metrics

METRICS_TOKEN = "metrics-token-0123456789abcdefghijklmnop"


async def test_metrics_need_the_token_and_show_queues_acts_and_requests(
    tmp_path: Path, database: str
) -> None:
    async with (
        live_app(tmp_path, database_url=database, metrics_token=Secret(METRICS_TOKEN)) as live,
        httpx.AsyncClient(base_url=live.base_url) as http,
    ):
        assert (await http.get("/verify")).status_code == 200
        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        answer = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = answer.text
        # Requests and latency per route template (never the raw path), and an id per request.
        assert 'qianfa_http_requests_total{method="GET",route="/verify",status="200"}' in text
        assert 'qianfa_http_request_duration_seconds_bucket{le="0.005",route="/verify"}' in text
        # Figures read from the database: the demo's 61 records by status, its audit log.
        acts = {
            line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("qianfa_acts{")
        }
        assert sum(v for k, v in acts.items() if 'workflow="xcert"' in k) == 61
        with raw(live.settings.database) as execute:
            entries = execute("SELECT COUNT(*) FROM audit")[0][0]
        assert f"qianfa_audit_entries {float(entries)}" in text
        assert 'qianfa_imported_rows{kind="exam_result"} 61.0' in text
        if database:
            assert 'qianfa_db_pool{figure="size"}' in text


async def test_outbox_depth_and_age_per_channel(tmp_path: Path, database: str) -> None:
    async with live_app(
        tmp_path, database_url=database, metrics_token=Secret(METRICS_TOKEN)
    ) as live:
        person = await live.store.person_by_ref("13800000002")
        assert person is not None
        await live.store.enqueue(person.id, "message", {"text": "测试"})
        live.clock.advance(10)
        async with httpx.AsyncClient(base_url=live.base_url) as http:
            text = (
                await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            ).text
        assert 'qianfa_outbox_depth{channel="telegram",status="pending"} 1.0' in text
        assert 'qianfa_outbox_oldest_seconds{channel="telegram",status="pending"} 600.0' in text


async def test_without_a_token_metrics_are_not_on_the_site_but_on_their_own_port(
    tmp_path: Path, database: str
) -> None:
    async with live_app(tmp_path, database_url=database) as live:
        async with httpx.AsyncClient(base_url=live.base_url) as http:
            assert (await http.get("/metrics")).status_code == 404
        sock, url = loopback_socket()
        port = sock.getsockname()[1]
        sock.close()
        settings = Settings(home=tmp_path, metrics_port=port)
        stop = asyncio.Event()
        server = asyncio.create_task(serve_metrics(settings, live.store, stop))
        try:
            async with httpx.AsyncClient(base_url=url) as http:
                for _ in range(200):
                    try:
                        answer = await http.get("/metrics")
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.05)
                assert answer.status_code == 200 and "qianfa_acts{" in answer.text
        finally:
            stop.set()
            await server


async def test_readyz_needs_the_database_the_migrations_and_the_audit_anchor(
    tmp_path: Path, database: str
) -> None:
    async with (
        live_app(tmp_path, database_url=database) as live,
        httpx.AsyncClient(base_url=live.base_url) as http,
    ):
        # Served without an anchor attached: not ready, and says why.
        answer = await http.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"]["audit_anchor"]["ok"] is False
        assert answer.json()["checks"]["database"]["ok"] is True
        await attach_anchor(live.store, AuditAnchor(tmp_path))
        answer = await http.get("/readyz")
        assert answer.status_code == 200 and answer.json()["status"] == "ready"
        # A migration missing (an older release's database): not ready; liveness unaffected.
        with raw(live.settings.database) as execute:
            latest = execute("SELECT MAX(version) FROM schema_version")[0][0]
            execute("DELETE FROM schema_version WHERE version = ?", (latest,))
        answer = await http.get("/readyz")
        assert answer.status_code == 503
        assert "missing" in answer.json()["checks"]["migrations"]["detail"]
        assert (await http.get("/healthz")).status_code == 200


@pytest.fixture
def json_log(bot_api: FakeBotApi) -> Iterator[StringIO]:
    """Every log record of the test as the JSON lines a `bot` process writes."""
    out = StringIO()
    handler = logging.StreamHandler(out)
    settings = Settings(
        home=Path("."),
        log_format="json",
        secret_key=Secret("test-secret-key-test-secret-key-0123"),
        telegram_token=Secret(bot_api.token),
        wecom_secret=Secret(SECRET),
        wecom_token=Secret(TOKEN),
        wecom_encoding_aes_key=Secret(AES_KEY),
    )
    logs.configure(settings, "bot", handlers=[handler])
    root = logging.getLogger()
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "telegram", "bot")}
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in quiet:  # the libraries' request lines carry the bot token in their URLs
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, was in quiet.items():
            logging.getLogger(name).setLevel(was)
        set_role("cli")


@pytest.mark.one_database
async def test_json_logs_of_a_whole_transcript_show_no_id_number_token_or_secret(
    chat: Chat,  # noqa: F811
    json_log: StringIO,
    bot_api: FakeBotApi,
) -> None:
    cert_no, id_number = await chat.store._one(
        "SELECT r.cert_no, s.id_number FROM record r JOIN exam_result er ON er.id = r.result_id"
        " JOIN student s ON s.id = er.student_id WHERE r.status = '确认签发'"
        " ORDER BY r.id LIMIT 1"
    )
    id_numbers = [row[0] for row in await chat.store._all("SELECT id_number FROM student")]
    assert "绑定成功" in await chat.say("head", f"/start {chat.code(1)}")
    await chat.say("head", "/pending")
    await chat.say("stranger", "/verify")
    await chat.press("stranger", "X 证书")
    assert "有效" in await chat.say("stranger", f"{cert_no} {id_number}")
    await chat.say("stranger", f"/verify {cert_no} {id_number}")
    await chat.say("evaluator", f"/start {chat.code(0)}")
    await chat.say("evaluator", "/lists")

    lines = json_log.getvalue().splitlines()
    assert len(lines) > 5
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {e["role"] for e in entries} == {"bot"}
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert any(e.get("request", "").startswith(("tg-", "wecom-")) for e in entries)
    text = json_log.getvalue()
    secrets = [bot_api.token, SECRET, TOKEN, AES_KEY, "test-secret-key-test-secret-key-0123"]
    assert [s for s in secrets if s in text] == []
    assert [n for n in id_numbers if n in text] == []
    assert "access_token=" not in text or "access_token=***" in text
