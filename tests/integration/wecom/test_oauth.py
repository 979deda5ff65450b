"""The signing link opened in WeCom: OAuth2 names who opened it; only the signer goes on."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.wecom.oauth import wecom_link
from issuance.core.settings import Settings
from issuance.xcert.signing import start_signing
from tests.fakewecom import FakeWeCom
from tests.wecomworld import EVALUATOR, HEAD, World

pytestmark = pytest.mark.one_database


async def signing_token(world: World) -> str:
    """A real signing request for record 16, made for the school head."""
    head = await world.store.person_by_ref("13800000002")
    assert head is not None
    link = await start_signing(world.issuance, head, [16], None)
    return link.url.rsplit("/", 1)[1]


async def test_without_a_code_the_browser_goes_to_wecoms_authorize_page(world: World) -> None:
    token = await signing_token(world)
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{world.base_url}/wecom/sign/{token}")
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    query = parse_qs(target.query)
    assert target.netloc == "open.weixin.qq.com" and target.fragment == "wechat_redirect"
    assert query["appid"] == [world.settings.wecom_corp_id]
    assert query["agentid"] == [str(world.settings.wecom_agent_id)]
    assert query["scope"] == ["snsapi_base"]
    assert query["redirect_uri"] == [f"{world.base_url}/wecom/sign/{token}"]


async def test_the_signer_goes_on_to_the_signing_page(world: World, fake: FakeWeCom) -> None:
    await world.bind(HEAD, 1)
    token = await signing_token(world)
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{world.base_url}/wecom/sign/{token}", params={"code": fake.oauth_code(HEAD)}
        )
        page = await http.get(response.headers["location"])
    assert response.status_code == 303
    assert response.headers["location"] == f"{world.base_url}/sign/{token}"
    assert page.status_code == 200 and "<canvas" in page.text


async def test_someone_else_opening_the_link_is_refused(world: World, fake: FakeWeCom) -> None:
    await world.bind(HEAD, 1)
    await world.bind(EVALUATOR, 0)
    token = await signing_token(world)
    async with httpx.AsyncClient() as http:
        other = await http.get(
            f"{world.base_url}/wecom/sign/{token}", params={"code": fake.oauth_code(EVALUATOR)}
        )
        stranger = await http.get(
            f"{world.base_url}/wecom/sign/{token}", params={"code": fake.oauth_code("Nobody")}
        )
    assert other.status_code == 403 and "其他签名人" in other.text
    assert stranger.status_code == 403


def test_cards_carry_the_oauth_link_only_on_https(world: World) -> None:
    https: Settings = replace(world.settings, public_url="https://qianfa.example.cn")
    assert wecom_link(https, "https://qianfa.example.cn/sign/abc") == (
        "https://qianfa.example.cn/wecom/sign/abc"
    )
    assert wecom_link(world.settings, f"{world.base_url}/sign/abc") == f"{world.base_url}/sign/abc"
