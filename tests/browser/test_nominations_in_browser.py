"""Nominate, then approve through a two-step chain, in a real browser at desktop and
phone width, checked with axe on every page and state."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from recognition.extensions import db
from recognition.nominations.models import Nomination
from recognition.people import Employee
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_pages_in_browser import sign_in_as

pytestmark = pytest.mark.browser
REASON = (
    "<script>window.pwned = 1</script> Shared every <b>launch</b> post and coached two colleagues."
)


def _cast() -> dict[str, str]:
    """A team manager, a report of theirs free to nominate this month, the manager's
    own manager (step 1) and an admin (step 2), as HR ids."""
    people = list(db.session.scalars(select(Employee).where(Employee.active.is_(True))))
    taken = set(
        db.session.scalars(
            select(Nomination.nominee_id).where(
                Nomination.status.in_(("submitted", "in_review", "approved"))
            )
        )
    )
    by_id = {p.id: p for p in people}
    for manager in sorted(people, key=lambda p: p.external_id):
        if manager.role != "manager" or manager.manager_id not in by_id:
            continue
        reports = [p for p in people if p.manager_id == manager.id and p.role == "employee"]
        free = [p for p in reports if p.id not in taken]
        if free:
            admin = next(p for p in people if p.role == "admin" and p.id != free[0].id)
            cast = {
                "manager": manager.external_id,
                "nominee": free[0].external_id,
                "nominee_name": free[0].name,
                "second": by_id[manager.manager_id].external_id,
                "admin": admin.external_id,
            }
            db.session.remove()
            return cast
    raise AssertionError("the demo has no team to nominate in")


def _fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w && !e.closest('.table-scroll'))
            .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id)""",
        viewport["width"],
    )
    assert width <= viewport["width"], (
        f"{page.url} is {width}px wide at {viewport['width']}px: {wide}"
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_nominate_then_approve_flow(new_page, demo_org, viewport):
    cast = _cast()
    page = new_page(viewport)
    sign_in_as(page, employee_id=cast["manager"])
    page.goto("/nominations/new")
    page.get_by_label("Find a colleague").fill(cast["nominee_name"][:6])
    radio = page.locator(f'#found input[value="{cast["nominee"]}"]')
    expect(radio).to_be_visible()
    radio.check()
    # The evidence loads with htmx once the nominee is picked.
    expect(page.locator(".evidence-preview")).to_contain_text("Points in")
    page.get_by_label("Why (plain text)").fill("Too short")
    expect(page.locator("#nom-count")).to_have_text("9")
    page.get_by_role("button", name="Submit nomination").click()
    expect(page.locator("#reason-error")).to_contain_text("20 to 2,000")
    expect(page.get_by_label("Why (plain text)")).to_have_value("Too short")
    expect(page.locator(f'input[name="nominee"][value="{cast["nominee"]}"]')).to_be_checked()
    page.get_by_label("Why (plain text)").fill(REASON)
    page.get_by_role("button", name="Submit nomination").click()
    page.wait_for_url("**/nominations/*")
    expect(page.locator("#nomination-reason")).to_have_text(REASON)
    assert page.evaluate("window.pwned") is None
    expect(page.locator("#nomination-status")).to_have_text("Submitted: step 1 of 2")
    expect(page.locator("table.evidence")).to_contain_text("At submission")
    url = page.url
    _fits(page, viewport)
    page.goto("/team")
    expect(page.locator(f"#member-{cast['nominee']}")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Me", "Leaderboard", "Kudos", "Mentorship", "Nominations", "Team"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Team", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    _fits(page, viewport)
    assert not page.js_errors, page.js_errors

    # Step 1: the nominee's second-line manager approves inline from the queue.
    second = new_page(viewport)
    sign_in_as(second, employee_id=cast["second"])
    second.goto("/nominations")
    nomination_id = url.rsplit("/", 1)[1]
    row = second.locator(f"#nomination-{nomination_id}")
    row.get_by_role("button", name="Approve step 1").click()
    expect(second.locator(f"#nomination-{nomination_id}")).to_contain_text("In review: step 2 of 2")
    expect(second.locator(f"#nomination-{nomination_id}")).to_contain_text("Approved.")
    _fits(second, viewport)
    assert not second.js_errors, second.js_errors

    # Step 2: an admin approves on the nomination's page; the timeline shows all three.
    admin = new_page(viewport)
    sign_in_as(admin, employee_id=cast["admin"])
    admin.goto(f"/nominations/{nomination_id}")
    admin.get_by_role("button", name="Approve step 2").click()
    expect(admin.locator("#nomination-status")).to_have_text("Approved")
    expect(admin.locator(".timeline li")).to_have_count(3)
    expect(admin.locator("#status")).to_contain_text("Awarded 100 points")
    _fits(admin, viewport)
    admin.goto("/recognition")
    expect(admin.locator(".wall")).to_contain_text(cast["nominee_name"])
    _fits(admin, viewport)
    assert not admin.js_errors, admin.js_errors
