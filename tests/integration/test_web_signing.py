"""Signing links over real HTTP: every token case, against the demo data in a real SQLite file."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from issuance.chat.notices import rendered
from issuance.core.errors import Conflict
from issuance.core.records import RecordFilter
from issuance.xcert.signing import SigningLink, start_signing, token_hash
from tests.webserver import (
    EVALUATOR_PHONE,
    HEAD_PHONE,
    Live,
    csrf_of,
    init_data,
    signature_fields,
)

# Demo records 15..61 wait for the school (考核站点待签发); 1..14 are confirmed.
WAITING = list(range(15, 25))
CHAT = {"chat_id": 4242, "message_id": 77, "locale": "zh"}


async def new_link(live: Live, record_ids: list[int] = WAITING) -> SigningLink:
    head = await live.store.person_by_ref(HEAD_PHONE)
    assert head is not None
    return await start_signing(live.issuance, head, record_ids, dict(CHAT))


def path_of(link: SigningLink) -> str:
    return urlsplit(link.url).path


async def statuses(live: Live, ids: list[int]) -> set[str]:
    return {r.status for r in await live.store.records_by_ids(ids)}


async def signature_count(live: Live) -> int:
    row = await live.store._one("SELECT COUNT(*) FROM signature")
    assert row is not None
    return int(row[0])


async def sign(client: httpx.AsyncClient, path: str, **extra: str) -> httpx.Response:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return await client.post(path, data={"csrf": csrf_of(page), **signature_fields(), **extra})


async def test_valid_link_confirms_the_pinned_records_with_the_signature_in_the_audit_log(
    live: Live, client: httpx.AsyncClient
) -> None:
    link = await new_link(live)
    page = await client.get(path_of(link))
    assert page.status_code == 200
    assert "10 条" in page.text and "李明华" in page.text
    records = await live.store.records_by_ids(WAITING)
    assert all(r.id_number not in page.text for r in records)
    assert page.headers["cache-control"] == "no-store"

    done = await client.post(path_of(link), data={"csrf": csrf_of(page), **signature_fields()})

    assert done.status_code == 200, done.text
    assert "已确认签发" in done.text
    assert await statuses(live, WAITING) == {"确认签发"}
    row = await live.store._one("SELECT sha256 FROM signature ORDER BY id DESC LIMIT 1")
    assert row is not None
    confirm_entries = [
        e.entry for e in await live.store.audit_entries() if e.entry.action == "signoff.confirm"
    ]
    assert confirm_entries[-1].signature == row["sha256"]
    assert confirm_entries[-1].subject == "records:15-24"
    stored = await live.store.signing_request(link.request_id)
    assert stored is not None and stored.status == "used"
    outbox = await live.store.claim_outbox(10, lease=timedelta(minutes=1))
    (edit,) = [await rendered(live.store, item) for item in outbox if item.kind == "edit"]
    assert edit.payload["chat_id"] == 4242 and edit.payload["message_id"] == 77
    assert "已确认签发 10 条记录" in edit.payload["text"]
    assert await live.issuance.audit_problem() is None


async def test_expired_link_shows_a_clear_page_and_changes_nothing(
    live: Live, client: httpx.AsyncClient
) -> None:
    link = await new_link(live)
    page = await client.get(path_of(link))
    live.clock.advance(live.settings.signoff_signing_ttl_minutes + 1)

    again = await client.get(path_of(link))
    posted = await client.post(path_of(link), data={"csrf": csrf_of(page), **signature_fields()})

    assert again.status_code == 410 and "链接已过期" in again.text
    assert posted.status_code == 410 and "链接已过期" in posted.text
    assert await statuses(live, WAITING) == {"考核站点待签发"}
    assert await signature_count(live) == 2  # the demo's own two


async def test_reused_link_is_refused_and_stores_no_second_signature(
    live: Live, client: httpx.AsyncClient
) -> None:
    link = await new_link(live)
    page = await client.get(path_of(link))
    first = await client.post(path_of(link), data={"csrf": csrf_of(page), **signature_fields()})
    assert first.status_code == 200
    before = await signature_count(live)

    again = await client.get(path_of(link))
    second = await client.post(path_of(link), data={"csrf": csrf_of(page), **signature_fields(9)})

    assert again.status_code == 410 and "已经使用过" in again.text
    assert second.status_code == 410 and "已经使用过" in second.text
    assert await signature_count(live) == before


@pytest.mark.parametrize("mangle", ["random", "tampered", "truncated"])
async def test_forged_link_is_refused_and_changes_nothing(
    live: Live, client: httpx.AsyncClient, mangle: str
) -> None:
    link = await new_link(live)
    token = path_of(link).removeprefix("/sign/")
    forged = {
        "random": "A" * len(token),
        "tampered": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "truncated": token[:16],
    }[mangle]

    page = await client.get(f"/sign/{forged}")
    real = await client.get(path_of(link))
    posted = await client.post(
        f"/sign/{forged}", data={"csrf": csrf_of(real), **signature_fields()}
    )

    assert page.status_code == 404 and "链接无效" in page.text
    assert posted.status_code in (403, 404)
    assert await statuses(live, WAITING) == {"考核站点待签发"}
    stored = await live.store.signing_request(link.request_id)
    assert stored is not None and stored.status == "open"


async def test_another_signers_mini_app_cannot_use_the_link(
    live: Live, client: httpx.AsyncClient
) -> None:
    evaluator_invite = next(i for i in live.invites if i.person.phone == EVALUATOR_PHONE)
    await live.issuance.bind(evaluator_invite.code, "telegram", "5550001", "zh")
    link = await new_link(live)

    refused = await sign(client, path_of(link), init_data=init_data(5550001, int(time.time())))

    assert refused.status_code == 403 and "属于其他签名人" in refused.text
    assert await statuses(live, WAITING) == {"考核站点待签发"}
    stored = await live.store.signing_request(link.request_id)
    assert stored is not None and stored.status == "open"


async def test_mini_app_init_data_with_a_bad_hash_is_refused(
    live: Live, client: httpx.AsyncClient
) -> None:
    link = await new_link(live)
    forged = init_data(5550002, int(time.time()), bot_token="999:other-bot")

    refused = await sign(client, path_of(link), init_data=forged)

    assert refused.status_code == 403
    assert await statuses(live, WAITING) == {"考核站点待签发"}


async def test_signers_own_mini_app_signs(live: Live, client: httpx.AsyncClient) -> None:
    head_invite = next(i for i in live.invites if i.person.phone == HEAD_PHONE)
    await live.issuance.bind(head_invite.code, "telegram", "5550003", "zh")
    link = await new_link(live)

    done = await sign(client, path_of(link), init_data=init_data(5550003, int(time.time())))

    assert done.status_code == 200, done.text
    assert await statuses(live, WAITING) == {"确认签发"}


async def test_records_changed_after_the_link_confirms_nothing_and_says_why(
    live: Live, client: httpx.AsyncClient
) -> None:
    link = await new_link(live)
    page = await client.get(path_of(link))
    head = await live.store.person_by_ref(HEAD_PHONE)
    assert head is not None
    await live.issuance.refuse(head, [WAITING[3]], "姓名与身份证不符")

    posted = await client.post(path_of(link), data={"csrf": csrf_of(page), **signature_fields()})

    assert posted.status_code == 409
    assert "已发生变化" in posted.text and "未确认任何记录" in posted.text
    assert await statuses(live, [i for i in WAITING if i != WAITING[3]]) == {"考核站点待签发"}
    stored = await live.store.signing_request(link.request_id)
    assert stored is not None and stored.status == "failed"
    counts = await live.issuance.counts(RecordFilter())
    assert counts["确认签发"] == 14
    later = await client.get(path_of(link))
    assert later.status_code == 409 and "已发生变化" in later.text
    items = await live.store.claim_outbox(10, lease=timedelta(minutes=1))
    edits = [await rendered(live.store, item) for item in items if item.kind == "edit"]
    assert any("未确认签发" in item.payload["text"] for item in edits)


async def test_records_changed_before_opening_shows_why_on_the_page(
    live: Live, client: httpx.AsyncClient
) -> None:
    link = await new_link(live)
    head = await live.store.person_by_ref(HEAD_PHONE)
    assert head is not None
    await live.issuance.refuse(head, [WAITING[0]], "照片不清晰")

    page = await client.get(path_of(link))

    assert page.status_code == 409 and "已发生变化" in page.text


async def test_trivial_signature_is_rejected_with_a_chinese_error_and_the_link_stays_open(
    live: Live, client: httpx.AsyncClient
) -> None:
    link = await new_link(live)
    page = await client.get(path_of(link))
    blank = signature_fields()
    blank["strokes"] = "[[[1,1,0],[2,2,5]]]"

    posted = await client.post(path_of(link), data={"csrf": csrf_of(page), **blank})

    assert posted.status_code == 422
    assert "签名笔画过少" in posted.text
    assert await statuses(live, WAITING) == {"考核站点待签发"}
    stored = await live.store.signing_request(link.request_id)
    assert stored is not None and stored.status == "open"


async def test_post_without_a_valid_csrf_token_changes_nothing(
    live: Live, client: httpx.AsyncClient
) -> None:
    link = await new_link(live)
    await client.get(path_of(link))

    missing = await client.post(path_of(link), data=signature_fields())
    other = await client.post(path_of(link), data={"csrf": "x.y.z", **signature_fields()})

    assert missing.status_code == 403 and other.status_code == 403
    assert await statuses(live, WAITING) == {"考核站点待签发"}


async def test_starting_a_signature_checks_the_act_first(live: Live) -> None:
    head = await live.store.person_by_ref(HEAD_PHONE)
    assert head is not None
    with pytest.raises(Conflict):
        await start_signing(live.issuance, head, [1, 2])  # already 确认签发


async def test_link_is_random_and_only_its_hash_is_stored(live: Live) -> None:
    first, second = await new_link(live), await new_link(live, WAITING[:2])
    token = path_of(first).removeprefix("/sign/")
    assert len(token) >= 22 and token != path_of(second).removeprefix("/sign/")
    rows = await live.store._all("SELECT * FROM signing_request")
    stored = "\n".join(str(value) for row in rows for value in tuple(row))
    assert token not in stored
    assert token_hash(token) in stored
    assert first.qr_png.startswith(b"\x89PNG")
