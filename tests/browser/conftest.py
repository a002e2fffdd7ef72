"""End-to-end fixtures: the test app on a real port, a seeded demo org, headless Chromium.

The browser is Debian's chromium (/usr/bin/chromium, or LAUREL_CHROMIUM), driven by
the Playwright Python package; Playwright's own browser download is not used.
Without Chromium (or Playwright) these tests are skipped, and the run ends by
saying so and how to run them, so `make test` passes on any fresh machine. With
LAUREL_REQUIRE_BROWSER=1 (`.ci/run` sets it) they fail instead: CI never skips them.

Jobs (scoring) run when a test calls `work()` (the in-process RQ worker of
tests/conftest.py): deterministic, and a failing job fails the test.

Screenshots go to test-artifacts/screenshots/<name>.png (gitignored).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from recognition.extensions import db
from tests.browser import axe

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("LAUREL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Playwright's default is 30 s; a page of this app answers in milliseconds, so a
# hang shows up quickly instead of stalling the run.
TIMEOUT_MS = 10_000
REQUIRED = os.environ.get("LAUREL_REQUIRE_BROWSER") == "1"
HOW_TO_RUN = (
    "install Chromium (Debian/Ubuntu: apt-get install chromium) or point LAUREL_CHROMIUM "
    "at one, e.g. LAUREL_CHROMIUM=/path/to/chromium make test"
)


def _missing() -> str | None:
    """What the browser tests lack on this machine, if anything."""
    if importlib.util.find_spec("playwright") is None:
        return "the Playwright Python package is not installed (make venv installs it)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM}"
    return None


MISSING = _missing()
if MISSING and not REQUIRED and "Playwright" in MISSING:
    collect_ignore_glob = ["test_*.py"]  # they import Playwright


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: end-to-end test in headless Chromium (tests/browser)"
    )


_left_out: list[pytest.Item] = []


def pytest_collection_modifyitems(config, items):
    """Mark the browser tests; without a browser (and not required) leave them out.

    Left out rather than skipped one by one: the run then ends with one note
    saying why and how to run them, instead of a skip line per test.
    """
    here = Path(__file__).parent
    ours = [item for item in items if here in item.path.parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    if MISSING and not REQUIRED and ours:
        _left_out.extend(ours)
        items[:] = [item for item in items if item not in set(ours)]
        config.hook.pytest_deselected(items=ours)


@pytest.fixture(scope="session", autouse=True)
def _browser_required():
    """First thing of a browser test when a browser is required but missing: fail."""
    if MISSING:
        pytest.fail(
            f"LAUREL_REQUIRE_BROWSER=1 but {MISSING}; to run the browser tests, {HOW_TO_RUN}",
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if axe.stats["checked"]:
        terminalreporter.write_line(
            f"axe: {axe.stats['checked']} page states checked (WCAG 2.0-2.2 A/AA), "
            f"{axe.stats['skipped']} repeats skipped, {axe.stats['seconds']:.1f} s"
        )
    # Last, so these are the last lines of the run.
    if MISSING and not REQUIRED:
        count = f"{len(_left_out)} " if _left_out else ""
        terminalreporter.section("browser tests did not run", sep="=", yellow=True, bold=True)
        terminalreporter.line(f"The {count}browser tests (tests/browser) did not run: {MISSING}.")
        terminalreporter.line(f"To run them, {HOW_TO_RUN}.")


@dataclass
class LiveServer:
    url: str
    app: object

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """Serve the test `app` (fresh database and Redis) on 127.0.0.1:<free port>."""
    app.config["LAUREL_DEMO"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def demo_org(app) -> dict:
    """A small seeded demo organisation (40 people, 21 days, scored)."""
    from recognition.seed import seed_demo

    summary = seed_demo(people=40, days=21)
    # Let the server's threads see a quiet database (no open read transaction here).
    db.session.remove()
    return summary


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (own cookies) at a given viewport.

    Every state of the page a test goes to or leaves behind is checked with
    axe (WCAG 2.0 to 2.2, A and AA): after each `goto`, before the next one
    (what clicks and htmx made of it) and at the end of the test.
    """
    contexts = []
    pages = []

    def open_page(viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or DESKTOP, base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        # Uncaught exceptions and console errors (htmx logs failed requests there,
        # and Chromium a missing favicon or stylesheet).
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        page.on(
            "console",
            lambda msg: (
                msg.type == "error" and errors.append(f"console: {msg.text} ({msg.location})")
            ),
        )
        page.js_errors = errors
        check_accessibility(page)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        if not page.is_closed():
            axe.check(page, "at the end of the test")
    for context in contexts:
        context.close()


def check_accessibility(page) -> None:
    """Run axe on every page `page.goto` leaves and reaches (JavaScript must be on:
    axe runs in the page; the same pages are checked with it elsewhere)."""
    goto = page.goto

    def checked_goto(url: str, **kwargs):
        axe.check(page, "as the test left it")
        response = goto(url, **kwargs)
        axe.check(page)
        return response

    page.goto = checked_goto


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def screenshot():
    """screenshot(page, name): a full-page PNG in test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
