"""Every page, as each role and signed out, at desktop and phone width: axe finds no
WCAG 2.0-2.2 A/AA violation (the `new_page` fixture checks each visit) and no page
is wider than the phone."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_pages_in_browser import sign_in_as, top_employee

pytestmark = pytest.mark.browser

EVERYONE = [
    "/",
    "/leaderboard",
    "/leaderboard?period=all&team=engineering",
    "/leaderboard?period=decade",
    "/leaderboard?q=a",
    "/leaderboard?q=zzz",
    "/leaderboard?shown=50",
    "/people/{top}",
    "/people/E0000",
    "/notifications",
    "/settings",
    "/badges/sharer/2",
    "/mentorship",
    "/mentorship?topic=2",
    "/no-such-page",
]
PAGES = {
    "employee": [*EVERYONE, "/admin/"],  # the last one is a 403 page
    "manager": ["/", "/leaderboard", "/people/{top}", "/notifications", "/settings"],
    "admin": [
        "/",
        "/admin/",
        "/admin/?month=2026-13",
        "/admin/rules",
        "/admin/rules/versions/1",
        "/admin/tokens",
        "/admin/mentorship",
        "/admin/mentorship/runs/1",
        "/admin/mentorship/runs/2",
    ],
}
SIGNED_OUT = ["/demo/sign-in", "/demo/sign-in?q=nobody-at-all", "/badges/first-share/1", "/nope"]


def visit(page, paths: list[str], **values) -> None:
    """Each page at desktop width, then each at phone width (axe checks every visit)."""
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        for path in paths:
            page.goto(path.format(**values))
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= viewport["width"], f"{path} is {wide}px wide at {viewport['width']}px"


@pytest.mark.parametrize("role", sorted(PAGES))
def test_every_page_passes_axe_as_each_role(new_page, demo_org, role):
    top = top_employee().external_id
    page = new_page()
    sign_in_as(page, role)
    visit(page, PAGES[role], top=top)


def test_pages_for_visitors_not_signed_in_pass_axe(new_page, demo_org):
    visit(new_page(), SIGNED_OUT)
