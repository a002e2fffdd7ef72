"""Giving kudos in a real browser, at desktop and phone width, checked with axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from recognition.extensions import db
from recognition.people import Employee
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_pages_in_browser import sign_in_as

pytestmark = pytest.mark.browser
MESSAGE = "<script>window.pwned = 1</script> Thanks for the <b>great</b> launch post!"


def _colleague(giver_ref: str) -> Employee:
    person = db.session.scalars(
        select(Employee)
        .where(Employee.external_id != giver_ref, Employee.active.is_(True))
        .order_by(Employee.name)
    ).first()
    db.session.remove()
    return person


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_give_kudos_flow(new_page, demo_org, viewport):
    page = new_page(viewport)
    giver = sign_in_as(page, "employee")
    colleague = _colleague(giver)
    page.goto("/kudos/give")
    expect(page.get_by_text("Allowance left this month:")).to_be_visible()
    page.get_by_label("Find a colleague").fill(colleague.name[:5])
    box = page.locator(f'#found input[value="{colleague.external_id}"]')
    expect(box).to_be_visible()
    box.check()
    # Too short first: the error shows beside the field, and what was typed stays.
    page.get_by_label("Message").fill("short")
    expect(page.locator("#kudos-count")).to_have_text("5")
    page.get_by_label("Points per person (optional)").fill("5")
    page.get_by_role("button", name="Send kudos").click()
    expect(page.locator("#message-error")).to_contain_text("at least 10 characters")
    expect(page.get_by_label("Points per person (optional)")).to_have_value("5")
    expect(
        page.locator(f'input[name="receivers"][value="{colleague.external_id}"]')
    ).to_be_checked()
    page.get_by_label("Message").fill(MESSAGE)
    page.get_by_label("Company value").select_option("teamwork")
    page.get_by_role("button", name="Send kudos").click()
    page.wait_for_url("**/kudos#kudos-*")
    item = page.locator(".kudos").first
    expect(item.locator(".kudos-message")).to_have_text(MESSAGE)
    expect(item).to_contain_text("+5 points each")
    assert page.evaluate("window.pwned") is None
    # A +1 in place.
    expect(item.locator(".reaction-count")).to_have_text("0 reactions")
    item.get_by_role("button", name="+1 this kudos").click()
    expect(item.locator(".reaction-count")).to_have_text("1 reaction")
    expect(item.get_by_role("button", name="+1 this kudos")).to_have_attribute(
        "aria-pressed", "true"
    )
    # A comment in place, shown as text; a too-long one keeps what was typed.
    box = item.get_by_label(re.compile("Comment on the kudos from"))
    box.fill("<img src=x onerror=window.pwned=2> Seconded!")
    item.get_by_role("button", name="Comment").click()
    expect(item.locator(".kudos-comment-text")).to_have_text(
        "<img src=x onerror=window.pwned=2> Seconded!"
    )
    assert page.evaluate("window.pwned") is None
    expect(item.get_by_label(re.compile("Comment on the kudos from"))).to_have_value("")
    assert not page.js_errors, page.js_errors
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"page is {width}px wide at {viewport['width']}px"
