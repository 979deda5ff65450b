"""Browser harness: Debian's chromium driven by Playwright, and a loopback server for ASGI apps."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright
from starlette.types import ASGIApp

from tests.serving import loopback_socket, served_in_thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as e2e, so `-m "not e2e"` can leave them out on purpose."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


# Module scope, not session: Playwright's sync API holds the thread's event loop while it runs,
# which would break the async tests of other folders collected after this one.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium; never a browser Playwright would download."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: run scripts/setup --test (installs Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    """A desktop page with a mouse."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_context(browser: Browser) -> Iterator[BrowserContext]:
    """A phone: 360×740 CSS pixels, touch screen, mobile viewport, high-DPI."""
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2, locale="zh-CN"
    )
    yield context
    context.close()


@pytest.fixture
def phone(phone_context: BrowserContext) -> Page:
    """A page in the phone context."""
    return phone_context.new_page()


@pytest.fixture
def serve() -> Callable[[ASGIApp], AbstractContextManager[str]]:
    """A context manager serving an ASGI app on loopback for the test; it yields the base URL."""
    return _serve


@contextmanager
def _serve(app: ASGIApp) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port in a thread; yield its base URL."""
    sock, url = loopback_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    with served_in_thread(server, sock, "test web server"):
        yield url
