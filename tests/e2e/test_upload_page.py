"""The upload page in Debian's chromium against the real app: a phone choosing the file by
touch, a desktop dropping it; a good file is imported, a bad one lists its bad rows."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from issuance.core.catalog import t
from issuance.core.idcard import check_character
from issuance.core.people import Channel
from issuance.graduation import demo as grad_demo
from issuance.uploads import start_upload
from tests.e2e.drawing import watch_errors
from tests.e2e.test_live_signing import screenshot
from tests.webserver import Live, LiveThread

CLERK_PHONE = "13900000011"  # 经办人 of 福建省技师学院
SCHOOL = grad_demo.SCHOOLS[0][0]
HEADER = "姓名,身份证号,性别,所属院校,专业代码,专业名称,培养层次,入学时间,毕业时间,学制,学习方式\n"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LiveThread]:
    """The real web part over both demos, served from its own thread."""
    with LiveThread(tmp_path) as running:
        running.call(lambda live: grad_demo.load(live.issuance))
        yield running


def new_link(app: LiveThread) -> str:
    async def work(live: Live) -> str:
        clerk = await live.store.person_by_ref(CLERK_PHONE)
        assert clerk is not None
        return (await start_upload(live.issuance, clerk, Channel.TELEGRAM)).url

    return app.call(work)


def graduates_file(folder: Path, name: str, first: int, bad_id: bool = False) -> Path:
    lines = [HEADER]
    for index in (first, first + 1):
        first17 = f"35010220060404{index * 2 + 1:03d}"
        number = "12345" if bad_id and index > first else first17 + check_character(first17)
        cells = (f"页面生{index}", number, "男", SCHOOL, "0402", "数控加工", "高级工班")
        lines.append(",".join((*cells, "202209", "202506", "3", "全日制")) + "\n")
    path = folder / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def script_errors(errors: list[str]) -> list[str]:
    """Errors of the page's script (a refused file is answered 422, which the console logs)."""
    return [e for e in errors if "status of 422" not in e]


def choose_by_touch(page: Page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.locator("[data-role=dropzone]").tap()
    chooser.value.set_files(str(path))


def drop(page: Page, path: Path) -> None:
    """Drag the file from the desktop onto the drop zone, as the browser reports it."""
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    transfer = page.evaluate_handle(
        """([name, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "text/csv"}));
            return transfer;
        }""",
        [path.name, payload],
    )
    zone = page.locator("[data-role=dropzone]")
    for event in ("dragenter", "dragover", "drop"):
        zone.dispatch_event(event, {"dataTransfer": transfer})


def test_phone_touch_chooses_a_file_sees_its_size_and_imports_it(
    phone: Page, app: LiveThread, tmp_path: Path
) -> None:
    errors = watch_errors(phone)
    good = graduates_file(tmp_path, "毕业生名单.csv", 1)
    phone.goto(new_link(app))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    choose_by_touch(phone, good)
    chosen = phone.locator("[data-role=chosen]").inner_text()
    assert "毕业生名单.csv" in chosen and f"{good.stat().st_size} B" in chosen
    screenshot(phone, tmp_path, "upload-phone.png")

    phone.locator("button[type=submit]").tap()
    phone.wait_for_selector("[data-role=result]")
    assert t("upload.page.done_title") in phone.inner_text("h1")
    assert "已导入 2 名毕业生" in phone.inner_text("[data-role=result]")

    bad = graduates_file(tmp_path, "有错误.csv", 5, bad_id=True)
    phone.goto(new_link(app))
    choose_by_touch(phone, bad)
    phone.locator("button[type=submit]").tap()
    phone.wait_for_selector("[data-role=result]")
    assert t("upload.page.refused_title") in phone.inner_text("h1")
    assert "第 3 行，列 身份证号：" in phone.inner_text("[data-role=result]")
    assert script_errors(errors) == []


def test_desktop_drag_and_drop_imports_a_good_file_and_lists_a_bad_files_rows(
    desktop: Page, app: LiveThread, tmp_path: Path
) -> None:
    errors = watch_errors(desktop)
    bad = graduates_file(tmp_path, "错误名单.csv", 11, bad_id=True)
    desktop.goto(new_link(app))
    drop(desktop, bad)
    assert "错误名单.csv" in desktop.locator("[data-role=chosen]").inner_text()
    screenshot(desktop, tmp_path, "upload-desktop.png")
    desktop.click("button[type=submit]")
    desktop.wait_for_selector("[data-role=result]")
    assert "第 3 行，列 身份证号：" in desktop.inner_text("[data-role=result]")

    good = graduates_file(tmp_path, "正确名单.csv", 21)
    desktop.goto(new_link(app))
    drop(desktop, good)
    desktop.click("button[type=submit]")
    desktop.wait_for_selector("[data-role=result]")
    assert "已导入 2 名毕业生" in desktop.inner_text("[data-role=result]")
    assert script_errors(errors) == []
