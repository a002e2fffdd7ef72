"""The first leaderboard page: full page, htmx partial, team filter."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from scoring.pages import day_range
from scoring.periods import window_for
from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"
HTMX = {"HX-Request": "true"}


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
    assert "There is no period &#39;decade&#39;; showing this week." in html
    assert 'aria-label="This week leaderboard"' in html
    known = client.get("/leaderboard?period=month").get_data(as_text=True)
    assert "There is no period" not in known


def test_names_are_escaped(client, work, freeze_time):
    freeze_time(NOW)
    sign_in(client, add_person("E9", name="<script>alert(1)</script>"))
    client.post("/api/v1/events", json=event("E9", NOW), headers=token())
    work()
    html = client.get("/leaderboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_signed_in_person_is_highlighted_and_shown_with_neighbours(client, work, freeze_time):
    freeze_time(NOW)
    headers = token()
    people = [add_person(f"P{i:02d}", name=f"Person {i:02d}") for i in range(30)]
    client.post(
        "/api/v1/events",
        json={
            "events": [
                event(p.external_id, NOW, type_="like", count=60 - i) for i, p in enumerate(people)
            ]
        },
        headers=headers,
    )
    work()
    sign_in(client, people[27])
    html = client.get("/leaderboard").get_data(as_text=True)
    assert html.count('class="me"') == 1
    assert "Your place" in html
    for neighbour in ("Person 25", "Person 26", "Person 27", "Person 28", "Person 29"):
        assert neighbour in html
    sign_in(client, people[1])
    top = client.get("/leaderboard").get_data(as_text=True)
    assert "Your place" not in top and top.count('class="me"') == 1


def test_board_region_refreshes_itself_and_keeps_the_filter(client, work, freeze_time):
    freeze_time(NOW)
    seed(client, work)
    html = client.get(
        "/leaderboard?period=month&team=marketing", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert 'hx-trigger="every 15s, focus from:window"' in html
    assert 'hx-get="/leaderboard?period=month&amp;team=marketing"' in html


def test_signed_out_visitor_is_sent_to_sign_in(client):
    resp = client.get("/leaderboard")
    assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
    htmx_resp = client.get("/leaderboard", headers={"HX-Request": "true"})
    assert "/sign-in" in htmx_resp.headers["HX-Redirect"]


def test_board_shows_team_names_where_the_api_keeps_slugs(client, work, freeze_time):
    freeze_time(NOW)
    seed(client, work)
    html = client.get("/leaderboard").get_data(as_text=True)
    board = html.split('id="board"', 1)[1]
    cells = re.findall(r'<td class="team">(.*?)</td>', board)
    assert cells == ["Sales", "Marketing"]
    api = client.get("/api/v1/leaderboard", headers=token("read")).get_json()
    assert [e["team"] for e in api["entries"]] == ["sales", "marketing"]


def test_board_names_its_days_and_team(client, work, freeze_time):
    freeze_time(NOW)  # Friday 20 November 2026
    seed(client, work)
    week = client.get("/leaderboard").get_data(as_text=True)
    assert "16–22 Nov 2026" in week and "Whole organisation" in week
    month = client.get("/leaderboard?period=month&team=marketing", headers=HTMX)
    html = month.get_data(as_text=True)
    assert "1–30 Nov 2026" in html and "· Marketing" in html
    rolling = client.get("/leaderboard?period=30d", headers=HTMX).get_data(as_text=True)
    assert "22 Oct – 20 Nov 2026" in rolling
    everything = client.get("/leaderboard?period=all", headers=HTMX).get_data(as_text=True)
    assert "<strong>All time</strong>\n  · Whole organisation" in everything


@pytest.mark.parametrize(
    ("period", "day", "shown"),
    [
        ("week", "2026-11-20", "16–22 Nov 2026"),
        ("week", "2026-12-30", "28 Dec 2026 – 3 Jan 2027"),
        ("week", "2026-03-31", "30 Mar – 5 Apr 2026"),
        ("month", "2026-02-10", "1–28 Feb 2026"),
        ("30d", "2026-11-20", "22 Oct – 20 Nov 2026"),
        ("all", "2026-11-20", None),
    ],
)
def test_day_range_reads_like_a_calendar(period, day, shown):
    assert day_range(window_for(period, dt.date.fromisoformat(day))) == shown


def test_medals_go_to_ranks_one_to_three_and_ties_share_them(client, work, freeze_time):
    freeze_time(NOW)
    people = [add_person(f"M{i}", name=f"Medal {i}") for i in range(5)]
    counts = [50, 40, 40, 30, 20]  # ranks 1, 2, 2, 4, 5
    client.post(
        "/api/v1/events",
        json={
            "events": [
                event(p.external_id, NOW, type_="like", count=c)
                for p, c in zip(people, counts, strict=True)
            ]
        },
        headers=token(),
    )
    work()
    sign_in(client, people[0])
    html = client.get("/leaderboard").get_data(as_text=True)
    ranks = re.findall(r'<td class="rank">(.*?)</td>', html)
    assert ranks == [
        '<span class="medal medal-1" title="Gold">1</span>',
        '<span class="medal medal-2" title="Silver">2</span>',
        '<span class="medal medal-2" title="Silver">2</span>',
        "4",
        "5",
    ]


def crowd(client, work, size: int = 30, **named):
    """`size` people with 60, 59, ... likes this week (Person 00 first)."""
    people = [add_person(f"P{i:02d}", name=f"Person {i:02d}") for i in range(size)]
    batch = [event(p.external_id, NOW, type_="like", count=60 - i) for i, p in enumerate(people)]
    client.post("/api/v1/events", json={"events": batch}, headers=token())
    work()
    return people


def board_names(html: str) -> list[str]:
    board = html.split('id="board"', 1)[1]
    return re.findall(r'<td><a href="/people/[^"]+">([^<]+)</a>', board)


def test_show_more_adds_the_next_rows_of_the_board(client, work, freeze_time):
    freeze_time(NOW)
    people = crowd(client, work)
    sign_in(client, people[0])
    first = client.get("/leaderboard").get_data(as_text=True)
    assert len(board_names(first)) == 25
    assert 'id="show-more" href="/leaderboard?period=week&amp;shown=50"' in first
    assert "(top 25 of 30 shown)" in first

    more = client.get("/leaderboard?period=week&shown=50", headers=HTMX)
    html = more.get_data(as_text=True)
    assert "<html" not in html
    assert board_names(html) == [f"Person {i:02d}" for i in range(30)]
    assert "All 30 people on this board are shown." in html
    # The board keeps refreshing the 50 it shows, not the first 25.
    assert 'hx-get="/leaderboard?period=week&amp;shown=50"' in html
    # Loaded directly (the URL htmx puts in the address bar), it is the same board.
    assert len(board_names(client.get("/leaderboard?shown=50").get_data(as_text=True))) == 30


@pytest.mark.parametrize(("shown", "rows"), [("abc", 25), ("-5", 25), ("26", 30), ("99999", 30)])
def test_show_more_takes_whole_pages_within_bounds(client, work, freeze_time, shown, rows):
    freeze_time(NOW)
    sign_in(client, crowd(client, work)[0])
    resp = client.get(f"/leaderboard?shown={shown}")
    assert resp.status_code == 200 and len(board_names(resp.get_data(as_text=True))) == rows


def test_find_a_colleague_shows_their_place_on_the_board(client, work, freeze_time):
    freeze_time(NOW)
    people = crowd(client, work)
    add_person("Q1", name="Quiet Person 99")  # no points: matches, but not ranked
    sign_in(client, people[0])
    resp = client.get("/leaderboard?period=week&q=person 2", headers=HTMX)
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "Matching “person 2”" in html
    ranks = re.findall(r'<td class="rank">(?:<span[^>]*>)?(\d+)', html)
    assert board_names(html) == [f"Person {i:02d}" for i in range(20, 30)]
    assert ranks == [str(i + 1) for i in range(20, 30)]
    assert 'hx-get="/leaderboard?period=week&amp;q=person+2"' in html
    assert "Show more" not in html

    # More matches than fit: the best placed come first, and the page says there are more.
    many = client.get("/leaderboard?q=erson").get_data(as_text=True)
    assert board_names(many) == [f"Person {i:02d}" for i in range(25)]
    assert "More people match" in many and "Quiet Person" not in many

    quiet = client.get("/leaderboard?q=quiet").get_data(as_text=True)
    assert board_names(quiet) == [] and "Not on this board" in quiet
    assert '<a href="/people/Q1">Quiet Person 99</a>' in quiet
    nobody = client.get("/leaderboard?q=zebra").get_data(as_text=True)
    assert "Nobody has a name containing “zebra”." in nobody
    # LIKE wildcards in the query are plain text.
    assert "Nobody has a name containing “%”." in client.get("/leaderboard?q=%").get_data(
        as_text=True
    )


def test_find_a_colleague_keeps_private_people_off_the_board(client, work, freeze_time):
    freeze_time(NOW)
    people = crowd(client, work, size=3)
    private = people[1]
    csrf = sign_in(client, private)
    client.post("/settings", data={"csrf_token": csrf, "leaderboard_opt_out": "1"})
    work()
    sign_in(client, people[0])
    html = client.get("/leaderboard?q=person").get_data(as_text=True)
    assert board_names(html) == ["Person 00", "Person 02"]
    assert "Not on this board as well" in html and "Person 01" in html.split("Not on this", 1)[1]


def test_find_a_colleague_within_a_team(client, work, freeze_time):
    freeze_time(NOW)
    seed(client, work)
    html = client.get("/leaderboard?team=marketing&q=e").get_data(as_text=True)
    assert board_names(html) == ["Grace Hopper"]  # Ada is in sales
    assert "Quiet Person" in html.split("Not on this board", 1)[1]
