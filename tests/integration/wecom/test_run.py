"""`qianfa run` with WeCom configured and no Telegram token: the whole process, over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.cli import qianfa
from tests.fakewecom import AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN, FakeWeCom

HEAD = "LiMingHua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_qianfa_run_answers_wecom_alone(tmp_path: Path, fake: FakeWeCom) -> None:
    port = free_port()
    env = {
        **os.environ,
        "QIANFA_WEB_PORT": str(port),
        "QIANFA_WECOM_CORP_ID": CORP_ID,
        "QIANFA_WECOM_AGENT_ID": str(AGENT_ID),
        "QIANFA_WECOM_SECRET": SECRET,
        "QIANFA_WECOM_TOKEN": TOKEN,
        "QIANFA_WECOM_ENCODING_AES_KEY": AES_KEY,
        "QIANFA_WECOM_BASE_URL": fake.url,
    }
    env.pop("QIANFA_TELEGRAM_TOKEN", None)
    assert qianfa(tmp_path, "init", "--demo", env=env).code == 0
    invite = qianfa(tmp_path, "invite", "13800000002", "--json", env=env).json()
    fake.members.add(HEAD)
    fake.callback_url = f"http://127.0.0.1:{port}/wecom/callback"
    process = subprocess.Popen(
        [sys.executable, "-m", "qianfa", "--home", str(tmp_path), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient() as http:
            while True:
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None and time.monotonic() < deadline
                await asyncio.sleep(0.1)
        assert (await fake.verify_url("55667788")).text == "55667788"
        await fake.say(HEAD, f"绑定 {invite['code']}")
        (bound,) = await fake.next_messages(HEAD, 0)
        await fake.say(HEAD, "待签发")
        listing, card = await fake.next_messages(HEAD, 1, count=2)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "绑定成功" in bound.text
    assert "考核站点待签发 47" in listing.text and card.buttons == {"查看第 1 批": "b:1:0"}
