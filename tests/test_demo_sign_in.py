"""The demo sign-in: everyone, most active this week first, searchable by name, id and role."""

from __future__ import annotations

import re

import pytest

from tests.helpers import add_person, event, token

NOW = "2026-11-20T12:00:00+00:00"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def demo(app, client, work, freeze_time):
    app.config["LAUREL_DEMO"] = True
    freeze_time(NOW)
    # 50 quiet employees (more than the page lists at once), then three active people.
    for i in range(50):
        add_person(f"Q{i:02d}", name=f"Aaron Quiet {i:02d}", team="sales")
    add_person("E1", name="Zoe Zhang", team="marketing")
    add_person("E2", name="Yusuf Young", team=None, role="manager")
    add_person("E3", name="Xena Xu", team="sales", role="admin")
    batch = [
        event("E1", NOW, type_="like", count=30),
        event("E2", NOW, type_="like", count=20),
        event("E3", "2026-11-10T12:00:00+00:00", type_="like", count=90),  # last week
    ]
    client.post("/api/v1/events", json={"events": batch}, headers=token())
    work()
    return client


def picked(html: str) -> list[tuple[str, str, str]]:
    """(employee id, name, role · team · points) of each person offered."""
    return re.findall(
        r'value="([^"]+)" data-role="[^"]+">\s*<span class="picker-name">([^<]+)</span>\s*'
        r'<span class="picker-meta">([^<]+)</span>',
        html,
    )


def test_the_most_active_this_week_come_first_with_role_team_and_points(demo):
    html = demo.get("/demo/sign-in").get_data(as_text=True)
    people = picked(html)
    assert people[:2] == [
        ("E1", "Zoe Zhang", "Employee · Marketing · 30 points this week"),
        ("E2", "Yusuf Young", "Manager · No team · 20 points this week"),
    ]
    # Last week's points do not count this week; then by name.
    assert people[2] == ("Q00", "Aaron Quiet 00", "Employee · Sales · 0 points this week")
    assert len(people) == 24
    assert "53 people, most active this week first; the first 24 are shown" in html


def test_search_reaches_everyone_by_name_id_or_role(demo):
    by_name = picked(demo.get("/demo/sign-in?q=quiet 4").get_data(as_text=True))
    assert [p[0] for p in by_name] == [f"Q4{i}" for i in range(10)]
    assert [p[0] for p in picked(demo.get("/demo/sign-in?q=q49").get_data(as_text=True))] == ["Q49"]
    admins = picked(demo.get("/demo/sign-in?role=admin").get_data(as_text=True))
    assert admins == [("E3", "Xena Xu", "Program admin · Sales · 0 points this week")]
    none = demo.get("/demo/sign-in?q=nobody%25").get_data(as_text=True)
    assert picked(none) == [] and "Nobody matches “nobody%”." in none


def test_search_as_you_type_gets_only_the_list(demo):
    resp = demo.get("/demo/sign-in?q=zoe", headers=HTMX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert 'id="demo-people"' in html
    assert picked(html) == [("E1", "Zoe Zhang", "Employee · Marketing · 30 points this week")]
    assert "HX-Request" in resp.headers["Vary"]


def test_an_unknown_role_says_so(demo):
    html = demo.get("/demo/sign-in?role=ceo").get_data(as_text=True)
    assert "There is no role &#39;ceo&#39;; showing everyone." in html
    assert len(picked(html)) == 24


def test_picking_a_searched_person_signs_them_in(demo):
    html = demo.get("/demo/sign-in?q=q33&next=/leaderboard").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert 'name="next" value="/leaderboard"' in html
    resp = demo.post(
        "/demo/sign-in", data={"employee_id": "Q33", "csrf_token": csrf, "next": "/leaderboard"}
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/leaderboard")
    assert "Aaron Quiet 33" in demo.get("/").get_data(as_text=True)
