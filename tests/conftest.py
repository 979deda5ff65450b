"""Fixtures shared by every test tier: a loopback Bot API server, a sample certificate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from issuance.certificate import DEFAULT_TEMPLATE, CertificateView, Template, load_template
from tests.fakebot import FakeBotApi, FakeBotServer


@pytest.fixture(scope="session")
def bot_api_server() -> Iterator[FakeBotServer]:
    """One loopback Bot API server (background thread) for the whole test run."""
    with FakeBotServer().running() as server:
        yield server


@pytest.fixture
def bot_api(bot_api_server: FakeBotServer) -> Iterator[FakeBotApi]:
    """A fresh fake bot: own token, empty chats, no faults; its token dies after the test."""
    api = bot_api_server.new_bot()
    yield api
    bot_api_server.remove(api)


@pytest.fixture(scope="session")
def template() -> Template:
    return load_template(DEFAULT_TEMPLATE)


@pytest.fixture
def certificate() -> CertificateView:
    return CertificateView(
        cert_no="15600031015610012000045",
        student_name="朱鹏飞",
        id_number="61011420000101101X",
        program="特殊焊接技术职业技能等级证书",
        level="中级",
        issuer_name="中船教育科技(北京)有限公司",
        school_name="陕西工业职业技术学院",
        issued_on=date(2025, 6, 30),
        verify_url="https://qianfa.example.cn/verify/15600031015610012000045",
        school_stamp_png=None,
        issuer_seal_png=None,
    )
