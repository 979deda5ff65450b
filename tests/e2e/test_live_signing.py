"""The whole signing flow in Debian's chromium against the real app, demo data, real SQLite."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from issuance.core.catalog import t
from issuance.xcert.signing import SigningLink, certificate_link, start_signing
from tests.e2e.drawing import STROKES, draw_with_mouse, draw_with_touch, watch_errors
from tests.webserver import HEAD_PHONE, Live, LiveThread

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LiveThread]:
    """The real web part over the demo data, served from its own thread."""
    with LiveThread(tmp_path) as running:
        yield running


def new_link(app: LiveThread, record_ids: list[int]) -> SigningLink:
    async def work(live: Live) -> SigningLink:
        head = await live.store.person_by_ref(HEAD_PHONE)
        assert head is not None
        chat = {"chat_id": 1, "message_id": 2, "locale": "zh"}
        return await start_signing(live.issuance, head, record_ids, chat)

    return app.call(work)


def statuses(app: LiveThread, record_ids: list[int]) -> set[str]:
    async def work(live: Live) -> set[str]:
        return {r.status for r in await live.store.records_by_ids(record_ids)}

    return app.call(work)


def latest_signature_in_audit(app: LiveThread) -> tuple[str, str | None]:
    """(SHA-256 of the newest stored signature, signature of the newest confirm audit entry)."""

    async def work(live: Live) -> tuple[str, str | None]:
        row = await live.store._one("SELECT sha256 FROM signature ORDER BY id DESC LIMIT 1")
        assert row is not None
        entries = [e.entry for e in await live.store.audit_entries()]
        confirm = [e for e in entries if e.action == "signoff.confirm"][-1]
        return row["sha256"], confirm.signature

    return app.call(work)


def screenshot(page: Page, tmp_path: Path, name: str) -> None:
    """Save a full-page screenshot; into docs/ as well when QIANFA_SCREENSHOTS=1."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True, scale="css")
    if os.environ.get("QIANFA_SCREENSHOTS") == "1":
        shutil.copyfile(path, DOCS / name)


def test_desktop_mouse_signature_confirms_the_records(desktop: Page, app: LiveThread) -> None:
    records = list(range(15, 30))
    link = new_link(app, records)
    errors = watch_errors(desktop)

    desktop.goto(link.url)
    draw_with_mouse(desktop, STROKES)
    desktop.get_by_role("button", name=t("web.sign.submit")).click()
    desktop.get_by_role("heading", name=t("web.sign_done.title")).wait_for()

    assert statuses(app, records) == {"确认签发"}
    stored, audited = latest_signature_in_audit(app)
    assert audited == stored
    assert errors == []


def test_phone_touch_signature_confirms_the_records(
    phone: Page, app: LiveThread, tmp_path: Path
) -> None:
    records = list(range(15, 62))
    link = new_link(app, records)
    errors = watch_errors(phone)

    phone.goto(link.url)
    draw_with_touch(phone, STROKES)
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, tmp_path, "signing-page.png")
    phone.get_by_role("button", name=t("web.sign.submit")).click()
    phone.get_by_role("heading", name=t("web.sign_done.title")).wait_for()

    assert statuses(app, records) == {"确认签发"}
    stored, audited = latest_signature_in_audit(app)
    assert audited == stored
    assert errors == []


def test_phone_verification_by_form_and_by_certificate_qr(
    phone: Page, app: LiveThread, tmp_path: Path
) -> None:
    async def first(live: Live) -> tuple[str, str]:
        (record,) = await live.store.records_by_ids([14])
        return record.cert_no, record.id_number

    cert_no, id_number = app.call(first)
    assert app.live is not None
    errors = watch_errors(phone)

    phone.goto(f"{app.live.base_url}/verify")
    phone.get_by_label(t("web.verify.cert_no")).fill(cert_no)
    phone.get_by_label(t("web.verify.id_number")).fill(id_number)
    phone.get_by_role("button", name=t("web.verify.submit")).click()
    phone.locator("[data-status=valid]").wait_for()
    screenshot(phone, tmp_path, "verify-page.png")
    phone.goto(certificate_link(app.live.settings, cert_no, id_number))
    phone.locator("[data-status=valid]").wait_for()

    assert id_number not in phone.content()
    assert errors == []
