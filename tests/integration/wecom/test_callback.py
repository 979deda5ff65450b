"""/wecom/callback over real HTTP: URL verification; forged, foreign, stale and replayed
callbacks refused or handled once, with the app alive after each."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx

from bot.wecom.crypto import WeComCrypto
from issuance.store import Store
from tests.fakewecom import AES_KEY, TOKEN
from tests.wecomworld import HEAD, STRANGER, World


async def alive(world: World) -> None:
    """The app still answers a genuine message."""
    (reply,) = await world.say(STRANGER, "帮助")
    assert "查验" in reply.text


async def test_url_verification_echoes_the_decrypted_string(world: World) -> None:
    response = await world.fake.verify_url("8811223344556677")
    assert response.status_code == 200 and response.text == "8811223344556677"


async def test_url_verification_with_a_bad_signature_is_refused(world: World) -> None:
    encrypted = world.fake.crypto.encrypt(b"123")
    stamp = str(int(time.time()))
    async with httpx.AsyncClient() as http:
        response = await http.get(
            world.fake.callback_url,
            params={
                "msg_signature": "0" * 40,
                "timestamp": stamp,
                "nonce": "1",
                "echostr": encrypted,
            },
        )
    assert response.status_code == 403 and "123" not in response.text


async def test_a_forged_signature_is_refused_and_nothing_is_stored(world: World) -> None:
    fields = world.fake.text_fields(HEAD, f"绑定 {world.invites[1].code}")
    response = await world.fake.post_callback(fields, signature="f" * 40)
    assert response.status_code == 403
    assert await world.store.inbound_counts() == {}
    assert await world.store.person_for_account("wecom", HEAD) is None
    await alive(world)


async def test_a_message_for_another_corp_is_refused(world: World) -> None:
    """Signed with our token, encrypted with our key, but addressed to a different CorpID."""
    other = WeComCrypto(TOKEN, AES_KEY, "wwsomeoneelse00000")
    fields = world.fake.text_fields(HEAD, f"绑定 {world.invites[1].code}")
    response = await world.fake.post_callback(fields, crypto=other)
    assert response.status_code == 403
    assert await world.store.person_for_account("wecom", HEAD) is None
    await alive(world)


async def test_a_message_under_another_key_is_refused(world: World) -> None:
    other = WeComCrypto(TOKEN, "Z" * 43, world.settings.wecom_corp_id)
    response = await world.fake.post_callback(world.fake.text_fields(HEAD, "帮助"), crypto=other)
    assert response.status_code == 403
    await alive(world)


async def test_a_stale_timestamp_is_refused(world: World) -> None:
    fields = world.fake.text_fields(HEAD, f"绑定 {world.invites[1].code}")
    response = await world.fake.post_callback(fields, timestamp=int(time.time()) - 3600)
    assert response.status_code == 403
    assert await world.store.person_for_account("wecom", HEAD) is None
    await alive(world)


async def test_a_replayed_request_is_answered_but_handled_once(world: World) -> None:
    """The same request again (same timestamp and nonce), and WeCom's retry of the same MsgId
    under a new nonce: one stored callback, one answer."""
    fields = world.fake.text_fields(STRANGER, "帮助")
    stamp = int(time.time())
    first = await world.fake.post_callback(fields, timestamp=stamp, nonce="424242")
    replay = await world.fake.post_callback(fields, timestamp=stamp, nonce="424242")
    retry = await world.fake.post_callback(fields, timestamp=stamp, nonce="515151")
    other_message = await world.fake.post_callback(
        world.fake.text_fields(STRANGER, "帮助"), timestamp=stamp, nonce="424242"
    )
    assert [r.status_code for r in (first, replay, retry, other_message)] == [200] * 4
    counts = await world.settled()
    assert counts == {"done": 1}
    assert len(world.fake.received(STRANGER)) == 1
    await alive(world)


async def test_malformed_bodies_are_refused(world: World) -> None:
    stamp = str(int(time.time()))
    bodies = [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
        b"<xml><Encrypt><![CDATA[%%%]]></Encrypt></xml>",
    ]
    async with httpx.AsyncClient() as http:
        for body in bodies:
            response = await http.post(
                world.fake.callback_url,
                params={"msg_signature": "0" * 40, "timestamp": stamp, "nonce": "9"},
                content=body,
            )
            assert response.status_code == 403
    await alive(world)


async def test_a_member_who_leaves_the_app_is_marked_unreachable(world: World) -> None:
    await world.bind(HEAD, 1)
    await world.fake.post_callback(
        {
            "FromUserName": HEAD,
            "CreateTime": str(int(time.time())),
            "MsgType": "event",
            "Event": "unsubscribe",
        }
    )
    await world.settled()
    person = await world.store.person_for_account("wecom", HEAD)
    assert person is not None
    assert await world.store.account_of(person.id, "wecom") is None


async def test_an_oversized_body_is_refused_before_it_is_read_whole(world: World) -> None:
    stamp = str(int(time.time()))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"<xml>" + b"x" * 16384

    async with httpx.AsyncClient() as http:
        response = await http.post(
            world.fake.callback_url,
            params={"msg_signature": "0" * 40, "timestamp": stamp, "nonce": "9"},
            content=chunks(),
        )
    assert response.status_code == 403
    await alive(world)


async def test_settled_callbacks_are_pruned_and_pending_ones_kept(
    tmp_path: Path, database: str
) -> None:
    store = await Store.open(database or tmp_path / "qianfa.db")
    try:
        first = await store.store_inbound("msg:1", "1:1", HEAD, "text", {"Content": "帮助"})
        second = await store.store_inbound("msg:2", "1:2", HEAD, "text", {"Content": "帮助"})
        assert first is not None and second is not None
        await store.inbound_settle(first)
        assert await store.prune_inbound(store.now() - timedelta(days=7)) == 0
        assert await store.prune_inbound(store.now() + timedelta(seconds=1)) == 1
        remaining = await store._all("SELECT id FROM wecom_inbound")
        assert [row[0] for row in remaining] == [second]
    finally:
        await store.close()


async def test_hostile_callbacks_are_refused_without_an_error(world: World) -> None:
    """A 5,000-digit timestamp (GET and POST), a body declaring gbk, XML nested 1,500 deep and
    a properly signed inner message nested 3,000 deep: 403 each, never a 500."""
    stamp = str(int(time.time()))
    huge = "9" * 5000
    deep = b"<xml>" + b"<a>" * 1500 + b"x" + b"</a>" * 1500 + b"</xml>"
    gbk_body = "<?xml version='1.0' encoding='gbk'?><xml><Encrypt>x</Encrypt></xml>".encode("gbk")
    inner = "<xml>" + "<a>" * 3000 + "x" + "</a>" * 3000 + "</xml>"
    encrypted = world.fake.crypto.encrypt(inner.encode())
    signed = {
        "msg_signature": world.fake.crypto.sign(stamp, "7", encrypted),
        "timestamp": stamp,
        "nonce": "7",
    }
    async with httpx.AsyncClient() as http:
        url = world.fake.callback_url
        answers = [
            await http.get(url, params={"msg_signature": "0" * 40, "timestamp": huge}),
            await http.post(url, params={"timestamp": huge, "nonce": "1"}, content=b"<xml/>"),
            await http.post(
                url,
                params={"msg_signature": "0" * 40, "timestamp": stamp, "nonce": "2"},
                content=gbk_body,
            ),
            await http.post(
                url,
                params={"msg_signature": "0" * 40, "timestamp": stamp, "nonce": "3"},
                content=deep,
            ),
            await http.post(
                url, params=signed, content=f"<xml><Encrypt>{encrypted}</Encrypt></xml>".encode()
            ),
        ]
    assert [a.status_code for a in answers] == [403] * 5
    assert await world.store.inbound_counts() == {}
    await alive(world)
