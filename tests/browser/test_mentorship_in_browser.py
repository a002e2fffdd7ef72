"""Mentorship in a real browser: a mentor accepts a proposal in place (htmx), and
the mentee's and mentor's pages pass axe at desktop and phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from recognition.extensions import db
from recognition.mentorship.models import Mentorship
from recognition.people import Employee
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_pages_in_browser import sign_in_as

pytestmark = pytest.mark.browser


def test_a_mentor_accepts_a_proposal_in_place(new_page, demo_org):
    proposal = db.session.query(Mentorship).filter_by(state="proposed").first()
    mentor = db.session.get(Employee, proposal.mentor_id).external_id
    mentee = db.session.get(Employee, proposal.mentee_id).external_id
    db.session.remove()
    for viewport in (DESKTOP, PHONE):
        page = new_page(viewport)
        sign_in_as(page, employee_id=mentee)
        page.goto("/mentorship")
        card = page.locator(f"#pair-{proposal.id}")
        expect(card).to_contain_text("Why: ")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= viewport["width"]
    page = new_page(DESKTOP)
    sign_in_as(page, employee_id=mentor)
    page.goto("/mentorship")
    card = page.locator(f"#pair-{proposal.id}")
    url = page.url
    card.get_by_role("button", name="Accept").click()
    expect(page.locator(f"#pair-{proposal.id}")).to_contain_text("Mentorship accepted.")
    assert page.url == url  # swapped in place, no reload
    db.session.expire_all()
    assert db.session.get(Mentorship, proposal.id).state == "accepted"
