"""上传 on WeCom: the link card and QR code; the link opens through WeCom's OAuth2 for its own
member only (a forwarded link is refused); the report of the upload arrives in the chat."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from issuance.core.catalog import t
from issuance.core.idcard import check_character
from issuance.xcert import demo
from tests.fakewecom import FakeWeCom
from tests.webserver import csrf_of
from tests.wecomworld import EVALUATOR, HEAD, World

pytestmark = pytest.mark.one_database

RESULTS = (
    "学生姓名,身份证号,学生类型,所属院校,证书名称,证书等级,颁证机构,考试计划,考核站点,考核状态"
)


def results_file() -> bytes:
    first17 = "35010220060303001"
    school, issuer = demo.SCHOOL[0], demo.ISSUER[0]
    cells = ("微信学员", first17 + check_character(first17), "院校学生", school, demo.PROGRAM)
    row = ",".join((*cells, "中级", issuer, "2025年微信计划", school, "已通过"))
    return f"{RESULTS}\n{row}\n".encode()


async def test_the_evaluator_uploads_through_oauth_and_a_forwarded_link_is_refused(
    world: World, fake: FakeWeCom
) -> None:
    await world.bind(EVALUATOR, 0)
    await world.bind(HEAD, 1)
    card, qr = await world.say(EVALUATOR, "上传", replies=2)
    assert card.msgtype == "textcard" and qr.msgtype == "image"
    assert t("upload.kind.results") in card.content["description"]
    oauth_url = card.content["url"]
    token = oauth_url.rsplit("/", 1)[1]
    assert oauth_url == f"{world.base_url}/wecom/upload/{token}"
    plain = f"/upload/{token}"

    async with httpx.AsyncClient(base_url=world.base_url) as http:
        first = await http.get(oauth_url)
        assert first.status_code == 302
        query = parse_qs(urlsplit(first.headers["location"]).query)
        assert query["scope"] == ["snsapi_base"] and query["redirect_uri"] == [oauth_url]
        # the plain link without WeCom's word on who opened it goes through OAuth2 first
        detour = await http.get(plain)
        assert detour.status_code == 302 and detour.headers["location"] == f"/wecom{plain}"
        sneaked = await http.post(plain, files={"file": ("r.csv", results_file())})
        assert sneaked.status_code == 403

    async with httpx.AsyncClient(base_url=world.base_url) as forwarded:
        refused = await forwarded.get(oauth_url, params={"code": fake.oauth_code(HEAD)})
        assert refused.status_code == 403 and t("upload.not_yours") in refused.text
        assert (await forwarded.get(plain)).status_code == 302

    async with httpx.AsyncClient(base_url=world.base_url) as own:
        opened = await own.get(oauth_url, params={"code": fake.oauth_code(EVALUATOR)})
        assert opened.status_code == 303 and opened.headers["location"].endswith(plain)
        page = await own.get(plain)
        assert page.status_code == 200 and "王建国" in page.text
        before = len(fake.received(EVALUATOR))
        done = await own.post(
            plain,
            data={"csrf": csrf_of(page), "kind": "results"},
            files={"file": ("考核结果.csv", results_file(), "text/csv")},
        )
        assert done.status_code == 200, done.text
    (report,) = await fake.next_messages(EVALUATOR, before, 1)
    assert t("upload.chat.done", kind=t("upload.kind.results")) in report.text
    assert t("upload.counts.results", imported=1) in report.text


async def test_the_menu_offers_upload_and_the_school_head_may_upload_the_corrected_list(
    world: World,
) -> None:
    await world.bind(HEAD, 1)
    (card, _qr) = await world.say(HEAD, "导入", replies=2)
    assert t("upload.kind.problems") in card.content["description"]
    more = next(b for b in world.fake.menu if "sub_button" in b)
    assert t("wecom.menu.upload") in [b["name"] for b in more["sub_button"]]
