"""上传 on Telegram: the words and /import answer with a one-time link and its QR code; the file
sent through the page is imported for the 经办人's own school and the report comes to the chat."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from issuance.core.catalog import t
from issuance.core.idcard import check_character
from issuance.core.settings import Secret
from issuance.graduation.demo import SCHOOLS
from tests.fakebot import FakeBotApi
from tests.gradworld import GradBot, grad_bot
from tests.serving import loopback_socket, served
from tests.webserver import csrf_of
from web.app import build_app

HEADER = "姓名,身份证号,性别,所属院校,专业代码,专业名称,培养层次,入学时间,毕业时间,学制,学习方式\n"


@pytest.fixture
async def chat(tmp_path: Path, bot_api: FakeBotApi) -> AsyncIterator[GradBot]:
    async with grad_bot(tmp_path, bot_api) as built:
        yield built


@pytest.fixture
async def web(chat: GradBot) -> AsyncIterator[httpx.AsyncClient]:
    """The web part over the bot's store, on loopback."""
    sock, base_url = loopback_socket()
    settings = dataclasses.replace(chat.settings, secret_key=Secret("k" * 40))
    app = build_app(settings, chat.world.store)
    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    async with served(uvicorn.Server(config), sock), httpx.AsyncClient(base_url=base_url) as http:
        yield http


def number(index: int) -> str:
    first17 = f"35010220060202{index * 2 + 1:03d}"
    return first17 + check_character(first17)


def graduate(index: int, school: str) -> str:
    cells = (f"上传生{index}", number(index), "男", school, "0701")
    return ",".join((*cells, "汽车维修", "高级工班", "202209", "202506", "3", "全日制")) + "\n"


async def test_the_clerk_asks_for_the_link_and_uploads_graduates_through_the_page(
    chat: GradBot, web: httpx.AsyncClient
) -> None:
    clerk = chat.users["clerk_fuzhou"]
    school = SCHOOLS[1][0]
    async with chat.bot():
        link = await chat.say("clerk_fuzhou", "上传")
        qr = await chat.api.next_message(clerk.id)
        assert t("upload.kind.graduates") in (link.text or "")
        ((button,),) = link.buttons
        assert button.text == t("upload.chat.open") and button.url is not None
        assert qr.caption == t("upload.chat.qr") and qr.file is not None

        page = await web.get(urlsplit(button.url).path)
        assert page.status_code == 200 and "杨美玲" in page.text
        data = (HEADER + graduate(1, school) + graduate(2, school)).encode()
        done = await web.post(
            urlsplit(button.url).path,
            data={"csrf": csrf_of(page), "kind": "graduates"},
            files={"file": ("毕业生.csv", data, "text/csv")},
        )
        assert done.status_code == 200, done.text
        report = await chat.notice("clerk_fuzhou")
        assert t("upload.chat.done", kind=t("upload.kind.graduates")) in (report.text or "")
        assert "已导入 2 名毕业生" in (report.text or "")

        chat.api.send_command(clerk, "import")
        again = await chat.api.next_message(clerk.id)
        assert again.buttons[0][0].url not in (None, button.url)
        await chat.api.next_message(clerk.id)  # its QR code

        nothing = await chat.say("fuzhou", "导入")
        assert nothing.text == t("upload.nothing_to_upload")
    assert t("bot.command.import") in [c["description"] for c in chat.api.commands()]


async def test_a_refused_upload_reports_every_bad_row_in_chat(
    chat: GradBot, web: httpx.AsyncClient
) -> None:
    clerk = chat.users["clerk_fuzhou"]
    async with chat.bot():
        link = await chat.say("clerk_fuzhou", "上传")
        await chat.api.next_message(clerk.id)
        path = urlsplit(link.buttons[0][0].url or "").path
        page = await web.get(path)
        # the second row names another school's graduate: a bad row, nothing imported
        data = (HEADER + graduate(3, SCHOOLS[1][0]) + graduate(4, SCHOOLS[2][0])).encode()
        done = await web.post(
            path,
            data={"csrf": csrf_of(page), "kind": "graduates"},
            files={"file": ("毕业生.csv", data, "text/csv")},
        )
        assert done.status_code == 422
        report = (await chat.notice("clerk_fuzhou")).text or ""
    assert "第 3 行，列 所属院校：" in report and "未导入任何数据" in report
    assert await chat.world.store.graduates_by_id_number([number(3), number(4)]) == {}
