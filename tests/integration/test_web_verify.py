"""Public certificate verification over real HTTP: every answer, bad input and the rate limit."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from issuance.core.records import IssuanceRecord
from issuance.xcert.signing import certificate_link
from tests.webserver import Live, csrf_of


async def record(live: Live, record_id: int) -> IssuanceRecord:
    (found,) = await live.store.records_by_ids([record_id])
    return found


async def ask(client: httpx.AsyncClient, cert_no: str, id_number: str) -> httpx.Response:
    form = await client.get("/verify")
    return await client.post(
        "/verify", data={"csrf": csrf_of(form), "cert_no": cert_no, "id_number": id_number}
    )


async def test_confirmed_certificate_is_valid_with_masked_name_and_no_id_number(
    live: Live, client: httpx.AsyncClient
) -> None:
    confirmed = await record(live, 1)

    answer = await ask(client, confirmed.cert_no, confirmed.id_number.lower())

    assert answer.status_code == 200
    assert 'data-status="valid"' in answer.text and "证书有效" in answer.text
    assert "确认签发" not in answer.text  # headed like the CLI and the bot
    assert confirmed.student_name[0] + "*" in answer.text
    assert confirmed.student_name not in answer.text
    assert confirmed.id_number not in answer.text
    assert confirmed.program in answer.text and confirmed.issuer_name in answer.text


async def test_void_certificate_says_void(live: Live, client: httpx.AsyncClient) -> None:
    confirmed = await record(live, 2)
    await live.store._execute(
        "UPDATE record SET void_at = ?, void_reason = ? WHERE id = 2",
        ("2025-07-01T10:00:00+08:00", "打印损坏"),
    )

    answer = await ask(client, confirmed.cert_no, confirmed.id_number)

    assert 'data-status="void"' in answer.text and "作废" in answer.text


async def test_unknown_number_and_wrong_id_get_the_same_answer(
    live: Live, client: httpx.AsyncClient
) -> None:
    confirmed, other = await record(live, 3), await record(live, 4)

    unknown = await ask(client, "99999999999999999999999", confirmed.id_number)
    wrong_id = await ask(client, confirmed.cert_no, other.id_number)

    for answer in (unknown, wrong_id):
        assert answer.status_code == 200
        assert 'data-status="not_found"' in answer.text and "未找到" in answer.text
        assert confirmed.program not in answer.text.split("result-status")[-1]


async def test_pending_certificate_is_not_found(live: Live, client: httpx.AsyncClient) -> None:
    pending = await record(live, 30)

    answer = await ask(client, pending.cert_no, pending.id_number)

    assert 'data-status="not_found"' in answer.text


async def test_malformed_input_gets_a_chinese_error(live: Live, client: httpx.AsyncClient) -> None:
    confirmed = await record(live, 1)

    bad_id = await ask(client, confirmed.cert_no, confirmed.id_number[:17] + "0")
    bad_no = await ask(client, "ABC", confirmed.id_number)

    assert bad_id.status_code == 422 and "校验码不正确" in bad_id.text
    assert bad_no.status_code == 422 and "证书编号应为数字" in bad_no.text
    assert "data-status" not in bad_id.text


async def test_verification_is_rate_limited_per_client(
    live: Live, client: httpx.AsyncClient
) -> None:
    confirmed = await record(live, 1)
    form = await client.get("/verify")
    data = {"csrf": csrf_of(form), "cert_no": confirmed.cert_no, "id_number": confirmed.id_number}
    answers = [
        await client.post("/verify", data=data) for _ in range(live.settings.web_verify_burst + 1)
    ]

    assert [a.status_code for a in answers[:-1]] == [200] * live.settings.web_verify_burst
    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert "操作过于频繁" in answers[-1].text
    qr = await client.get(urlsplit(certificate_link(live.settings, confirmed.cert_no, "x")).path)
    assert qr.status_code == 429


async def test_post_without_csrf_is_refused(live: Live, client: httpx.AsyncClient) -> None:
    confirmed = await record(live, 1)

    answer = await client.post(
        "/verify", data={"cert_no": confirmed.cert_no, "id_number": confirmed.id_number}
    )

    assert answer.status_code == 403


async def test_certificate_qr_link_verifies_without_an_id_number_in_the_url(
    live: Live, client: httpx.AsyncClient
) -> None:
    confirmed = await record(live, 5)
    link = certificate_link(live.settings, confirmed.cert_no, confirmed.id_number)
    parts = urlsplit(link)
    assert confirmed.id_number not in link and confirmed.id_number[6:14] not in link

    answer = await client.get(f"{parts.path}?{parts.query}")
    tampered = await client.get(f"{parts.path}?t=AAAAAAAAAAAAAAAAAAAAAA")
    bare = await client.get(parts.path)

    assert 'data-status="valid"' in answer.text
    assert 'data-status="not_found"' in tampered.text
    assert 'data-status="not_found"' in bare.text


async def test_pages_carry_security_headers_and_health_answers(
    live: Live, client: httpx.AsyncClient
) -> None:
    page = await client.get("/verify")
    health = await client.get("/healthz")

    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "httponly" in page.headers["set-cookie"].lower()
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    assert health.json()["status"] == "ok" and health.json()["schema"] >= 4
