"""The first leaderboard page: full page, htmx partial, team filter."""

from __future__ import annotations

from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"


def seed(client, work):
    headers = token()
    ada = add_person("E1", name="Ada Lovelace", team="sales")
    sign_in(client, ada)
    add_person("E2", name="Grace Hopper", team="marketing")
    add_person("E3", name="Quiet Person", team="marketing")
    events = [event("E1", NOW, type_="like", count=30), event("E2", NOW, type_="like", count=20)]
    client.post("/api/v1/events", json={"events": events}, headers=headers)
    work()


def test_leaderboard_page_renders_the_board(client, work, freeze_time):
    freeze_time(NOW)
    seed(client, work)
    resp = client.get("/leaderboard")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<html" in html and "htmx.min.js" in html
    assert html.index("Ada Lovelace") < html.index("Grace Hopper")
    assert "Quiet Person" not in html
    assert 'value="marketing"' in html  # the team filter lists teams
    assert "HX-Request" in resp.headers["Vary"]


def test_htmx_request_gets_only_the_table(client, work, freeze_time):
    freeze_time(NOW)
    seed(client, work)
    resp = client.get("/leaderboard?period=month&team=marketing", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "<table" in html
    assert "Grace Hopper" in html and "Ada Lovelace" not in html


def test_unknown_team_or_period_falls_back_with_a_message(client, work, freeze_time):
    freeze_time(NOW)
    seed(client, work)
    html = client.get("/leaderboard?team=nope&period=decade").get_data(as_text=True)
    assert "There is no team" in html and "Ada Lovelace" in html


def test_names_are_escaped(client, work, freeze_time):
    freeze_time(NOW)
    sign_in(client, add_person("E9", name="<script>alert(1)</script>"))
    client.post("/api/v1/events", json=event("E9", NOW), headers=token())
    work()
    html = client.get("/leaderboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
