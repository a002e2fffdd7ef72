"""The pages in a real browser: sign-in, htmx tab swaps, live updates, keyboard, admin."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from recognition.extensions import db
from recognition.people import Employee
from recognition.tokens import create_token
from scoring.models import EmployeeScore
from scoring.rulesets import live_scoring
from tests.browser import axe
from tests.browser.conftest import PHONE, check_accessibility

pytestmark = pytest.mark.browser


def sign_in_as(page, role: str | None = None, employee_id: str | None = None) -> str:
    """Sign in through the demo page as the most active person of `role`, or as
    `employee_id` (found with the page's search); returns their HR id."""
    if employee_id:
        page.goto(f"/demo/sign-in?q={employee_id}")
        button = page.locator(f'button[name="employee_id"][value="{employee_id}"]')
    else:
        page.goto(f"/demo/sign-in?role={role}")
        button = page.locator(f'button[data-role="{role}"]').first
    employee_id = button.get_attribute("value")
    button.click()
    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return employee_id


def scored_ids():
    return select(EmployeeScore.employee_id).where(
        EmployeeScore.generation == live_scoring().generation, EmployeeScore.points > 0
    )


def quiet_employee() -> Employee:
    """An employee of the demo org without a single point."""
    person = db.session.scalars(
        select(Employee)
        .where(Employee.role == "employee", Employee.id.not_in(scored_ids()))
        .order_by(Employee.name)
    ).first()
    assert person is not None, "the demo org has no silent employee"
    db.session.remove()
    return person


def top_employee() -> Employee:
    person = db.session.scalars(
        select(Employee)
        .join(EmployeeScore, EmployeeScore.employee_id == Employee.id)
        .where(EmployeeScore.generation == live_scoring().generation, Employee.role == "employee")
        .order_by(EmployeeScore.points.desc(), Employee.name)
    ).first()
    db.session.remove()
    return person


def stat(page, label: str, part: str = "points"):
    """The points (or `part="rank"`) of one period (This week, This month, All time) on Me."""
    card = page.locator("#standing .stat").filter(has=page.locator("dt", has_text=label))
    return card.locator(f"dd.stat-{part}")


@pytest.mark.parametrize("role", ["employee", "manager", "admin"])
def test_each_role_signs_in_on_the_demo_page_and_lands_on_me(page, demo_org, role):
    sign_in_as(page, role)
    expect(page).to_have_url(re.compile(r"/$"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Me", exact=True)).to_be_visible()
    admin_link = nav.get_by_role("link", name="Admin")
    if role == "admin":
        expect(admin_link).to_be_visible()
    else:
        expect(admin_link).to_have_count(0)
    assert page.js_errors == []


def test_leaderboard_tabs_swap_the_table_in_place_and_push_the_url(page, demo_org):
    sign_in_as(page, "employee")
    page.goto("/leaderboard")
    expect(page.locator("#board")).to_have_attribute("aria-label", "This week leaderboard")
    page.evaluate("window.__marker = 1")

    page.locator("label.tab", has_text="This month").click()

    board = page.locator("#board")
    expect(board).to_have_attribute("aria-label", "This month leaderboard")
    expect(page).to_have_url(re.compile(r"/leaderboard\?period=month"))
    assert page.evaluate("window.__marker") == 1, "the tab switch reloaded the whole page"
    expect(page.locator("input[name=period][value=month]")).to_be_checked()
    expect(board.locator("table.board tbody tr").first).to_be_visible()
    assert page.locator("#board").count() == 1  # swapped, not nested

    # The pushed URL, loaded directly, is a whole page on the same board.
    pushed = page.url
    page.goto(pushed)
    expect(page).to_have_title(re.compile("Leaderboard"))
    expect(page.get_by_role("heading", name="Leaderboard", level=1)).to_be_visible()
    expect(page.locator("input[name=period][value=month]")).to_be_checked()
    expect(page.locator("#board")).to_have_attribute("aria-label", "This month leaderboard")
    assert page.evaluate("window.__marker") is None
    assert page.js_errors == []


def test_period_tabs_work_from_the_keyboard(page, demo_org):
    sign_in_as(page, "employee")
    page.goto("/leaderboard")
    page.evaluate("window.__marker = 1")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "period":
            break
    else:
        pytest.fail("Tab never reached the period radio group")
    assert page.evaluate("document.activeElement.value") == "week"

    page.keyboard.press("ArrowRight")
    expect(page.locator("#board")).to_have_attribute("aria-label", "This month leaderboard")
    expect(page).to_have_url(re.compile(r"period=month"))
    # Focus stays in the radio group (the form is not replaced), so arrows keep working.
    assert page.evaluate("document.activeElement.value") == "month"
    page.keyboard.press("ArrowRight")
    expect(page.locator("#board")).to_have_attribute("aria-label", "Last 30 days leaderboard")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#board")).to_have_attribute("aria-label", "This month leaderboard")
    assert page.evaluate("window.__marker") == 1
    assert page.js_errors == []


def test_leaderboard_on_a_phone(new_page, demo_org, screenshot):
    page = new_page(PHONE)
    sign_in_as(page, "employee")
    page.goto("/leaderboard")
    expect(page.locator("table.board")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "leaderboard-phone")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px wide)"


def test_me_page_shows_new_points_without_a_reload(page, demo_org, live_server, work):
    person = quiet_employee()
    # Fake timers, so the standing region's 60-second poll can be fast-forwarded.
    page.clock.install()
    sign_in_as(page, employee_id=person.external_id)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(stat(page, "All time")).to_have_text("0 points")
    expect(stat(page, "All time", "rank")).to_have_text("Not ranked yet")
    page.evaluate("window.__marker = 1")

    _, secret = create_token("browser-test", ["events:write"])
    db.session.remove()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    resp = page.request.post(
        live_server("/api/v1/events"),
        data={
            "events": [
                {
                    "id": "browser-1",
                    "type": "share",
                    "employee_id": person.external_id,
                    "network": "linkedin",
                    "occurred_at": now,
                }
            ]
        },
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert resp.ok, resp.text()
    work()
    db.session.remove()

    page.clock.run_for(61_000)
    expect(stat(page, "All time")).to_have_text("10 points")
    expect(stat(page, "This week")).to_have_text("10 points")
    expect(stat(page, "This week", "rank")).to_have_text(re.compile(r"^Rank #\d+$"))
    assert page.evaluate("window.__marker") == 1, "the Me page reloaded instead of swapping"
    assert page.js_errors == []


def test_screenshots_of_the_main_pages(new_page, demo_org, screenshot):
    """Every main page renders (200, no script errors) and is photographed at 1280 wide."""
    top = top_employee()
    page = new_page()
    page.goto("/demo/sign-in")
    screenshot(page, "demo-sign-in")
    sign_in_as(page, employee_id=top.external_id)
    for name, path in (
        ("me", "/"),
        ("leaderboard", "/leaderboard"),
        ("profile", f"/people/{top.external_id}"),
        ("notifications", "/notifications"),
        ("settings", "/settings"),
    ):
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        page.wait_for_load_state("networkidle")
        screenshot(page, name)

    admin = new_page()
    sign_in_as(admin, "admin")
    for name, path in (
        ("admin-analytics", "/admin/"),
        ("admin-rules", "/admin/rules"),
        ("admin-tokens", "/admin/tokens"),
    ):
        response = admin.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        admin.wait_for_load_state("networkidle")
        screenshot(admin, name)
    assert page.js_errors == [] and admin.js_errors == []


def test_admin_saves_a_ruleset_change_and_sees_the_diff(page, demo_org, screenshot):
    sign_in_as(page, "admin")
    page.goto("/admin/rules")
    points = page.get_by_role("group", name="Points per event")
    share = points.get_by_label("Share", exact=True)
    expect(share).to_have_value("10")
    share.fill("12")
    page.get_by_label("Note").fill("Shares are worth more this quarter")
    page.get_by_role("button", name="Save as a new version").click()

    expect(page).to_have_url(re.compile(r"/admin/rules/versions/2$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Ruleset version 2"))
    changes = page.locator("ul.admin-changes li")
    expect(changes).to_have_text(["Share points: 10 → 12"])
    expect(page.get_by_text("Shares are worth more this quarter")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Saved as version 2")).to_be_visible()
    screenshot(page, "admin-rules-saved")
    assert page.js_errors == []


def test_period_tabs_make_two_even_rows_on_a_phone(new_page, demo_org):
    page = new_page(PHONE)
    sign_in_as(page, "employee")
    page.goto("/leaderboard")
    tabs = page.locator("label.tab")
    expect(tabs).to_have_count(4)
    boxes = [tab.bounding_box() for tab in tabs.all()]
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.tab')).lineHeight)")
    assert len({round(b["y"]) for b in boxes}) == 2, "four tabs should sit in two rows"
    assert len({round(b["width"]) for b in boxes}) == 1, "tabs should be even"
    assert all(b["height"] < 2 * line for b in boxes), "a tab's label wrapped onto two lines"


def _colours(page, selector: str) -> set[str]:
    return set(
        page.eval_on_selector_all(selector, "els => els.map(e => getComputedStyle(e).color)")
    )


def test_links_have_one_colour_in_content_and_one_in_the_top_bar(page, demo_org):
    sign_in_as(page, employee_id=top_employee().external_id)
    accent = None
    for path in ("/", "/leaderboard", "/notifications"):
        page.goto(path)
        content = _colours(page, "main a, main button.link")
        assert len(content) == 1, f"{path}: links in {content}"
        accent = accent or content
        assert content == accent, f"{path}: {content} differs from {accent}"
        top_bar = _colours(page, ".topbar nav a, .topbar .account a, .topbar button.link")
        body = _colours(page, "body")
        assert top_bar == body, f"{path}: top bar links {top_bar}, text {body}"


def test_admin_rule_labels_and_inputs_line_up_in_a_row(page, demo_org):
    sign_in_as(page, "admin")
    page.goto("/admin/rules")
    for group in ("Points per event", "Network multipliers", "Daily caps"):
        fields = page.get_by_role("group", name=group).locator(".admin-field")
        rows: dict[int, set[int]] = {}  # input top -> label tops in that row
        for field in fields.all():
            label = round(field.locator("label").bounding_box()["y"])
            rows.setdefault(round(field.locator("input").bounding_box()["y"]), set()).add(label)
        assert all(len(labels) == 1 for labels in rows.values()), f"{group}: {rows}"
    # Share has no hint and Reshare has one; both labels and both inputs are level.
    points = page.get_by_role("group", name="Points per event")
    for name in ("Share", "Reshare"):
        assert points.get_by_label(name, exact=True).count() == 1
    share, reshare = (points.locator(f'label:text-is("{n}")') for n in ("Share", "Reshare"))
    assert round(share.bounding_box()["y"]) == round(reshare.bounding_box()["y"])
    assert round(points.get_by_label("Share", exact=True).bounding_box()["y"]) == round(
        points.get_by_label("Reshare", exact=True).bounding_box()["y"]
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_invalid_rules_are_named_and_focus_moves_to_the_summary(
    browser, live_server, demo_org, javascript
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    try:
        page = context.new_page()
        if javascript:
            check_accessibility(page)
        sign_in_as(page, "admin")
        page.goto("/admin/rules")
        # The browser's own range check would stop "-3" first; the server's is tested here.
        page.locator("#rules-form").evaluate("form => { form.noValidate = true; }")
        points = page.get_by_role("group", name="Points per event")
        points.get_by_label("Reshare", exact=True).fill("-3")
        page.get_by_role("button", name="Save as a new version").click()
        summary = page.locator("#rules-errors")
        expect(summary).to_contain_text("Points per event: Reshare: Must be a whole number")
        expect(summary).to_be_focused()
        expect(summary).to_be_in_viewport()
        reshare = page.get_by_role("group", name="Points per event").get_by_label(
            "Reshare", exact=True
        )
        expect(reshare).to_have_attribute("aria-invalid", "true")
        expect(reshare).to_have_value("-3")
        if javascript:
            axe.check(page, "with the errors shown")
    finally:
        context.close()


def test_bell_shows_unread_and_keeps_still_until_it_changes(page, demo_org):
    page.clock.install()
    sign_in_as(page, employee_id=top_employee().external_id)
    page.goto("/notifications")
    count = page.locator("#bell .count")
    expect(count).to_have_text(re.compile(r"^\d+$"))
    unread = int(count.inner_text())
    assert unread >= 1
    page.evaluate("document.querySelector('#bell a').dataset.mark = 'kept'")
    with page.expect_response(re.compile(r"/notifications/bell\?known=")) as polled:
        page.clock.run_for(31_000)
    assert polled.value.status == 204
    expect(page.locator("#bell a")).to_have_attribute("data-mark", "kept")

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("status").filter(has_text="All caught up")).to_be_visible()
    expect(count).to_have_count(0)
    expect(page.locator("#bell")).to_have_text("Notifications")
    assert page.js_errors == []


def test_pages_work_without_javascript(browser, live_server, demo_org):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in_as(page, employee_id=top_employee().external_id)
        expect(stat(page, "All time")).to_have_text(re.compile(r"^[\d,]+ points$"))

        # Leaderboard: the filters are a plain form with a Show button.
        page.goto("/leaderboard")
        page.locator("label.tab", has_text="All time").click()
        page.get_by_label("Team").select_option(label="Engineering")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(r"period=all&team=engineering"))
        expect(page.locator("#board")).to_have_attribute("aria-label", "All time leaderboard")
        expect(page.locator("p.window")).to_contain_text("Engineering")

        # Settings: a real form, the message shown after the redirect.
        page.goto("/settings")
        page.get_by_label("Hide me from public leaderboards").check()
        page.get_by_role("button", name="Save settings").click()
        expect(page).to_have_url(re.compile(r"/settings$"))
        expect(page.locator("#settings").get_by_role("status")).to_contain_text("Saved.")

        # Notifications: the bell is a link to the list; mark all as read.
        page.get_by_role("link", name="Notifications").click()
        page.get_by_role("button", name="Mark all as read").click()
        expect(page.locator("#notification-list").get_by_role("status")).to_contain_text(
            "All caught up"
        )
    finally:
        context.close()


def test_leaderboard_refreshes_itself_every_15_seconds(page, demo_org, live_server, work):
    newcomer = quiet_employee()
    page.clock.install()
    sign_in_as(page, "admin")
    page.goto("/leaderboard?period=week")
    board = page.locator("#board")
    expect(board.get_by_role("link", name=newcomer.name)).to_have_count(0)
    page.evaluate("window.__marker = 1")

    _, secret = create_token("browser-test", ["events:write"])
    db.session.remove()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    likes = {"id": "refresh-1", "type": "like", "count": 5000, "network": "linkedin"}
    resp = page.request.post(
        live_server("/api/v1/events"),
        data={**likes, "employee_id": newcomer.external_id, "occurred_at": now},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert resp.ok, resp.text()
    work()
    db.session.remove()

    page.clock.run_for(16_000)
    expect(board.get_by_role("link", name=newcomer.name)).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "the board refresh reloaded the page"
    assert page.js_errors == []
