"""The API reference page in a real browser: Redoc renders the OpenAPI document under
the page's own CSP, with nothing refused and nothing fetched from elsewhere.

Not through the `new_page` fixture, which runs axe on every page: on Redoc's rendering
of the whole document axe takes over 10 s here. Run by hand, it found only Redoc's
small expand buttons in JSON samples, which static/redoc/page.css enlarges."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, TIMEOUT_MS

pytestmark = pytest.mark.browser


def test_the_api_reference_renders_and_searches_without_console_errors(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    # CSP refusals are console errors in Chromium ("Refused to ...", "violates ...").
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on(
        "request",
        lambda req: (
            not req.url.startswith((live_server.url, "blob:", "data:"))
            and elsewhere.append(req.url)
        ),
    )
    try:
        page.goto("/api/docs")
        expect(page.get_by_role("heading", name="Post one event or a batch")).to_be_visible()
        expect(page.get_by_role("heading", name="Give a kudos for a person")).to_be_attached()
        # The search index runs in a worker made from a blob: URL (the CSP allows that).
        page.get_by_placeholder("Search...").fill("allowance")
        expect(page.get_by_text("A person's kudos allowance this month").first).to_be_visible()
        assert not errors, errors
        assert not elsewhere, elsewhere
    finally:
        context.close()
