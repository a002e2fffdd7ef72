"""The leaderboard, demo sign-in and admin pages in a real browser: history, show more,
search as you type, chart labels, and a re-score seen through to its end."""

from __future__ import annotations

import copy
import re

import pytest
from playwright.sync_api import expect

from recognition.extensions import db
from scoring.rules import load_default_document
from scoring.rulesets import save_ruleset
from tests.browser.conftest import PHONE
from tests.browser.test_pages_in_browser import sign_in_as, top_employee

pytestmark = pytest.mark.browser


def board_label(page):
    return page.locator("#board")


def test_back_and_forward_keep_the_tab_and_the_board_in_step(page, demo_org):
    sign_in_as(page, "employee")
    page.goto("/leaderboard")
    for label in ("This month", "All time"):
        page.locator("label.tab", has_text=label).click()
        expect(board_label(page)).to_have_attribute("aria-label", f"{label} leaderboard")
    expect(page).to_have_url(re.compile(r"period=all"))

    steps = [
        (page.go_back, r"period=month", "month", "This month"),
        (page.go_back, r"/leaderboard$", "week", "This week"),
        (page.go_forward, r"period=month", "month", "This month"),
        (page.go_forward, r"period=all", "all", "All time"),
    ]
    for move, url, value, label in steps:
        move()
        expect(page).to_have_url(re.compile(url))
        expect(board_label(page)).to_have_attribute("aria-label", f"{label} leaderboard")
        expect(page.locator(f"input[name=period][value={value}]")).to_be_checked()
        expect(page.locator("input[name=period]:checked")).to_have_count(1)
    assert page.js_errors == []


@pytest.fixture
def bigger_org(app):
    """A demo organisation with more than 25 people on its all-time board, and no more
    than 50 (one "show more" shows them all)."""
    from recognition.seed import seed_demo

    summary = seed_demo(people=45, days=14)
    db.session.remove()
    return summary


def test_show_more_adds_rows_in_place_and_keeps_focus(page, bigger_org):
    sign_in_as(page, "employee")
    page.goto("/leaderboard?period=all")
    rows = page.locator("#board table.board > tbody:not(.around) tr")
    expect(rows).to_have_count(25)
    total = int(re.search(r"of (\d+) shown", page.locator(".board-more").inner_text()).group(1))
    assert total > 25, "the demo's all-time board should have more than one page"
    page.evaluate("window.__marker = 1")

    more = page.get_by_role("link", name="Show more of the board")
    more.focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(total)
    expect(page).to_have_url(re.compile(r"period=all&shown=50"))
    done = page.locator("#show-more")
    expect(done).to_have_text(f"All {total} people on this board are shown.")
    expect(done).to_be_focused()
    assert page.evaluate("window.__marker") == 1, "show more reloaded the page"
    assert page.js_errors == []


def test_find_a_colleague_as_you_type(page, demo_org):
    top = top_employee()
    sign_in_as(page, "employee")
    page.goto("/leaderboard?period=all")
    page.evaluate("window.__marker = 1")
    search = page.get_by_label("Find a colleague")
    search.press_sequentially(top.name[:3], delay=30)
    expect(page.locator(".board-search-head")).to_have_text(f"Matching “{top.name[:3]}”")
    search.fill(top.name)
    rows = page.locator("#board table.board tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.rank")).to_have_text("1")
    expect(rows.first).to_contain_text(top.name)
    expect(search).to_be_focused()
    expect(page).to_have_url(re.compile(r"q="))
    assert page.evaluate("window.__marker") == 1
    # The period tabs keep the search: the colleague's place on another board.
    page.locator("label.tab", has_text="This month").click()
    expect(board_label(page)).to_have_attribute("aria-label", "This month leaderboard")
    expect(page.locator(".board-search-head")).to_have_text(f"Matching “{top.name}”")
    assert page.js_errors == []


def test_demo_sign_in_searches_everyone_as_you_type(page, demo_org):
    top = top_employee()
    page.goto("/demo/sign-in")
    metas = page.locator(".people-picker .picker-meta").all_inner_texts()
    week = [
        int(re.search(r"([\d,]+) points? this week", m).group(1).replace(",", "")) for m in metas
    ]
    assert len(week) == 24 and week == sorted(week, reverse=True) and week[0] > 0
    search = page.get_by_label("Find a person")
    search.press_sequentially(top.external_id, delay=30)
    buttons = page.locator(".people-picker button")
    expect(buttons).to_have_count(1)
    expect(buttons.first).to_have_attribute("value", top.external_id)
    search.fill("")
    page.get_by_label("Role").select_option(label="Managers")
    expect(buttons.first).to_have_attribute("data-role", "manager")
    expect(page.locator(".people-picker button:not([data-role=manager])")).to_have_count(0)
    buttons.first.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.js_errors == []


@pytest.mark.parametrize("width", [1280, PHONE["width"]])
def test_analytics_axis_labels_are_not_clipped(new_page, demo_org, width):
    page = new_page({"width": width, "height": 800})
    sign_in_as(page, "admin")
    page.goto("/admin/")
    boxes = page.eval_on_selector_all(
        "svg text.ylabel", "els => els.map(t => [t.textContent, t.getBBox().x])"
    )
    assert boxes and all(x >= 0 for _, x in boxes), boxes


def test_a_rescore_holds_its_button_and_the_page_shows_the_new_version(page, demo_org, work):
    document = copy.deepcopy(load_default_document())
    document["points"]["share"] = 12
    version = save_ruleset(document, note="shares are worth more")
    db.session.remove()
    sign_in_as(page, "admin")
    page.goto(f"/admin/rules/versions/{version}")
    expect(page.get_by_text("Points are still scored under version 1")).to_be_visible()
    button = page.get_by_role("button", name=f"Re-score history under version {version}")
    button.click()
    expect(button).to_be_disabled()
    expect(page.locator("#rescore-status")).to_contain_text("Waiting for a worker")

    work()
    db.session.remove()
    expect(page.get_by_role("status").filter(has_text="Re-score finished")).to_be_visible()
    expect(page.get_by_text("This version is live")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Re-score history"))).to_have_count(0)
    assert page.js_errors == []
