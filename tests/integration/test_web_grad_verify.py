"""Public graduation-certificate lookup over real HTTP: the answer, wrong names, a voided
certificate, the rate limit."""

from __future__ import annotations

import httpx
import pytest

from issuance.core.chain import Act
from issuance.core.errors import Conflict, Invalid
from issuance.graduation import demo
from issuance.graduation.printouts import Printouts
from issuance.graduation.service import Graduation
from tests.databases import IntegrityErrors, raw
from tests.webserver import Live, csrf_of
from web.context import MAX_BODY


async def _numbered(live: Live) -> tuple[str, str, str]:
    """Load the graduation demo, approve the province-run school's term: one graduate."""
    await demo.load(live.issuance)
    grad = Graduation(live.store, live.settings)
    school = demo.SCHOOLS[0][0]
    request_id, _ = await grad.declare(school, demo.TERM)
    for phone in ("13900000012", "13900000001"):
        actor = await live.store.person_by_ref(phone)
        assert actor is not None
        await grad.act(actor, request_id, Act.CONFIRM)
    row = (await live.store.numbered_graduates((await grad.school(school)).id, demo.TERM))[0]
    return row.cert_no, row.name, row.id_number


async def ask(client: httpx.AsyncClient, cert_no: str, name: str) -> httpx.Response:
    form = await client.get("/verify/graduation")
    assert form.status_code == 200
    return await client.post(
        "/verify/graduation", data={"csrf": csrf_of(form), "cert_no": cert_no, "name": name}
    )


async def test_number_and_name_show_the_certificate_with_masked_name_and_no_id(
    live: Live, client: httpx.AsyncClient
) -> None:
    cert_no, name, id_number = await _numbered(live)
    answer = await ask(client, cert_no, name)
    assert answer.status_code == 200
    assert 'data-status="valid"' in answer.text
    assert cert_no in answer.text and "福建省技师学院" in answer.text
    assert name[0] + "*" in answer.text and name not in answer.text
    assert id_number not in answer.text
    assert "2025年6月" in answer.text
    row = await live.store.graduate_by_cert_no(cert_no)
    assert row is not None
    assert ("暂缓发放" in answer.text) == (row.qualification_no is None)
    # Held (暂缓发放) while no qualification is recorded: the page says so, until one is (a
    # recorded qualification is never cleared, so a held graduate of the term is asked for).
    school = (await Graduation(live.store, live.settings).school(demo.SCHOOLS[0][0])).id
    numbered = await live.store.numbered_graduates(school, demo.TERM)
    held = next(g for g in numbered if g.qualification_no is None)
    assert "暂缓发放" in (await ask(client, held.cert_no, held.name)).text
    change = {"qualification_no": "Q20250001"}
    await live.store.correct_graduates([(held.id, {}, change)], "test")
    again = await ask(client, held.cert_no, held.name)
    assert 'data-status="valid"' in again.text and "暂缓发放" not in again.text


async def test_a_wrong_name_is_not_found_and_bad_input_is_told(
    live: Live, client: httpx.AsyncClient
) -> None:
    cert_no, name, _ = await _numbered(live)
    wrong = await ask(client, cert_no, "王某某")
    assert wrong.status_code == 200 and 'data-status="not_found"' in wrong.text
    assert name not in wrong.text
    bad = await ask(client, "35-001", name)
    assert bad.status_code == 422 and "data-status" not in bad.text
    assert "毕业证书编号" in bad.text


async def test_lookup_is_rate_limited_like_verify(live: Live, client: httpx.AsyncClient) -> None:
    cert_no, name, _ = await _numbered(live)
    form = await client.get("/verify/graduation")
    data = {"csrf": csrf_of(form), "cert_no": cert_no, "name": name}
    answers = [
        await client.post("/verify/graduation", data=data)
        for _ in range(live.settings.web_verify_burst + 1)
    ]
    assert [a.status_code for a in answers[:-1]] == [200] * live.settings.web_verify_burst
    assert answers[-1].status_code == 429


async def test_a_voided_certificate_says_void_and_stays_void(
    live: Live, client: httpx.AsyncClient
) -> None:
    cert_no, name, _ = await _numbered(live)
    printouts = Printouts(Graduation(live.store, live.settings), live.store)
    with pytest.raises(Invalid):
        await printouts.void(cert_no, "  ")
    await printouts.void(cert_no, "信息有误，已收回")
    answer = await ask(client, cert_no, name)
    assert answer.status_code == 200 and 'data-status="void"' in answer.text
    assert "已作废" in answer.text and "福建省技师学院" not in answer.text
    with pytest.raises(Conflict):
        await printouts.void(cert_no, "again")
    with raw(live.settings.database) as execute:
        for sql in ("DELETE FROM grad_void", "UPDATE grad_void SET reason = 'x'"):
            with pytest.raises(IntegrityErrors, match="stays void"):
                execute(sql)
    wrong = await ask(client, cert_no, "王某某")
    assert 'data-status="not_found"' in wrong.text
    school = await Graduation(live.store, live.settings).school(demo.SCHOOLS[0][0])
    # a voided certificate keeps its number: the term still counts it (what chat's 打印 lists)
    terms = await live.store.approved_terms(school.id)
    assert terms == [(demo.TERM, demo.PER_SCHOOL)]


async def test_full_width_digits_are_read_and_trailing_garbage_is_refused(
    live: Live, client: httpx.AsyncClient
) -> None:
    cert_no, name, _ = await _numbered(live)
    full_width = cert_no.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    answer = await ask(client, full_width, name)
    assert answer.status_code == 200 and 'data-status="valid"' in answer.text, answer.text
    for bad in (cert_no + " " * 13 + "GARBAGE", cert_no + "X", cert_no + "\u0663"):
        refused = await ask(client, bad, name)
        assert refused.status_code == 422 and "data-status" not in refused.text, bad


async def test_its_pages_are_the_graduation_lookup_s_own_and_methods_are_all_allowed(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/verify/graduation")
    title = page.text.split("<title>")[1].split("</title>")[0]
    assert title == "毕业证书查询 · 技工院校毕业证书"
    assert "签名链接" not in page.text
    too_large = await client.post(
        "/verify/graduation",
        content=b"csrf=" + csrf_of(page).encode() + b"&x=" + b"a" * (MAX_BODY + 10),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert too_large.status_code == 413 and "提交内容过大" in too_large.text
    assert "签名" not in too_large.text.split("<main")[1].split("</main>")[0]
    # a multipart field over Starlette's own 1 MB part limit, inside the body limit
    multipart = await client.post(
        "/verify/graduation",
        data={"x": "a" * (MAX_BODY // 2 + 1000)},
        files={"f": ("f.txt", b"a")},
    )
    assert multipart.status_code == 413
    for path in ("/verify", "/verify/graduation"):
        wrong = await client.delete(path)
        assert wrong.status_code == 405
        assert set(wrong.headers["allow"].split(", ")) >= {"GET", "POST"}, path
