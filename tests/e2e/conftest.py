"""Browser tests in Debian's Chromium (Playwright; never a downloaded browser).

Every test here is skipped where ``/usr/bin/chromium`` is missing. ``browser`` starts Chromium
headless; ``new_page(width, height)`` opens a page in a context of its own (a separate
session; a phone-sized screen by default; its uncaught script errors collect in
``page.js_errors``) and ``page`` is one such page. When a test fails,
every page it opened is saved as a screenshot in ``var/test-screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-screenshots"


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)")
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are plain synchronous calls. (Only for this test: processes that
    # later tests start must not inherit it.)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The test's database connection was opened while Playwright's loop ran, in a context
        # of its own; close it here, in that context, so the test database can be dropped.
        connections.close_all()


@pytest.fixture
def new_page(browser, request) -> Iterator[Callable]:
    made = []

    def make(width: int = 390, height: int = 844, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        page = context.new_page()
        page.js_errors = []  # uncaught script errors of the page, for tests to assert none
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        made.append(page)
        return page

    yield make
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(made):
            page.screenshot(
                path=str(SCREENSHOTS / f"{request.node.name}-{number}.png"), full_page=True
            )
    for page in made:
        page.context.close()


@pytest.fixture
def page(new_page):
    return new_page()
