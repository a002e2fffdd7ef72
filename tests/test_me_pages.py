"""Me, profile, settings and notification pages, through the API and a real worker."""

from __future__ import annotations

import re

import pytest

from recognition.extensions import db
from recognition.pages import _movement
from scoring.models import Notification
from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"  # a Friday; the week began on Monday 16 November
LAST_WEEK = "2026-11-12T12:00:00+00:00"
HTMX = {"HX-Request": "true"}


def at(day: str, hour: int = 9, minute: int = 0) -> str:
    return f"{day}T{hour:02d}:{minute:02d}:00+00:00"


def seed(client, work, freeze_time):
    """Ada is 4th when this week begins and 2nd after it: up 2 places, 5 points behind #1.

    Ada: a share in October (10), a share and 10 likes last week (20), and this
    week 2 shares on X, 5 on LinkedIn (the daily cap of 5 scoring shares cuts
    the last 2) and 5 comments on X (15): 95 all time, 85 this month, 65 this week.
    """
    headers = token()
    people = {
        "ada": add_person("E1", name="Ada Lovelace", team="sales"),
        "grace": add_person("E2", name="Grace Hopper", team="marketing"),
        "linus": add_person("E3", name="Linus Torvalds", team="engineering"),
        "margaret": add_person("E4", name="Margaret Hamilton", team="engineering"),
    }
    freeze_time(LAST_WEEK)
    earlier = [
        event("E1", at("2026-10-20")),
        event("E1", at("2026-11-12")),
        event("E1", at("2026-11-12", 10), type_="like", count=10),
        event("E2", at("2026-11-12"), type_="like", count=100),
        event("E3", at("2026-11-12"), type_="like", count=40),
        event("E4", at("2026-11-12"), type_="like", count=35),
    ]
    assert client.post("/api/v1/events", json={"events": earlier}, headers=headers).status_code
    work()
    freeze_time(NOW)
    this_week = [event("E1", at("2026-11-20", 8, m), network="x") for m in range(2)]
    this_week += [event("E1", at("2026-11-20", 9, m)) for m in range(5)]
    this_week.append(event("E1", at("2026-11-20", 10), type_="comment", count=5, network="x"))
    client.post("/api/v1/events", json={"events": this_week}, headers=headers)
    work()
    return people


def stats(html: str) -> list[tuple[str, str, str]]:
    """(period, points, rank) of each stat card on the Me page."""
    return re.findall(
        r"<dt>([^<]+)</dt>\s*<dd class=\"stat-points\">([\d,]+)<span.*?</dd>\s*"
        r"<dd class=\"stat-rank[^\"]*\">([^<]+)</dd>",
        html,
    )


@pytest.mark.parametrize(
    "path", ["/", "/people/E1", "/settings", "/notifications", "/notifications/bell"]
)
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    add_person("E1")
    resp = client.get(path)
    assert resp.status_code == 302
    assert "/sign-in" in resp.headers["Location"]


def test_me_shows_points_rank_movement_and_gap(client, work, freeze_time):
    people = seed(client, work, freeze_time)
    sign_in(client, people["ada"])
    resp = client.get("/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" in html
    assert "HX-Request" in resp.headers["Vary"]
    # Each period with its own points and its own rank: Ada leads this week only.
    assert stats(html) == [
        ("This week", "65", "Rank #1"),
        ("This month", "85", "Rank #2"),
        ("All time", "95", "Rank #2"),
    ]
    assert "All time: #2, up 2 places since last week" in html
    assert "This week: you&#39;re top of the board." in html
    # Her 5 scoring shares are used up today, but engagement points are left.
    assert "All time: 5 points behind #1. A day of full activity would do it." in html


def test_me_shows_tier_badges_chart_and_capped_rows(client, work, freeze_time):
    people = seed(client, work, freeze_time)
    sign_in(client, people["ada"])
    html = client.get("/").get_data(as_text=True)
    # Tier: 95 of 150 points; 15 engagements over 9 shares is 1.7 per share.
    assert "Tier: Contributor" in html and "<strong>Advocate</strong>" in html
    assert "95 / 150" in html and "1.7 / 1.0" in html
    assert 'max="150.0" value="95.0"' in html and 'max="1.0" value="1.0"' in html
    # Earned badges, with their images and alt text.
    assert 'alt="First Share badge"' in html and "/static/badges/first-share.svg" in html
    # The three nearest: 9 of 10 shares, 2 of 3 networks, 65 of 100 points this week.
    nearest = html.split("Almost there", 1)[1]
    figures = re.findall(r'<span class="meter-figures">([^<]+)</span>', nearest)
    assert figures == ["9 / 10 shares", "2 / 3 networks", "65 / 100 points this week"]
    assert 'max="10" value="9"' in nearest
    # The chart: 12 weekly bars, each with a title, and a text summary.
    chart = html.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert chart.count('<rect class="bar') == 12
    assert "<title>This week: 65 points</title>" in chart
    assert "<title>Week of 9 Nov 2026: 20 points</title>" in chart
    assert "95 points over the last 12 weeks" in html
    # How they were earned: the 2 capped shares are labelled, and the totals add up.
    breakdown = html.split("How you earned your points", 1)[1]
    cells = re.findall(r"<tr>\s*<td>(.*?)</td>", breakdown, re.S)
    shares_linkedin = next(cell for cell in cells if cell.startswith("Shares on LinkedIn"))
    assert "2 capped" in shares_linkedin
    # Actions, not events: one comment event carrying 5 comments, 10 likes in one event.
    counts = dict(
        re.findall(r"<tr>\s*<td>([^<]+?)</td>\s*<td class=\"num\">([\d,]+)</td>", breakdown)
    )
    assert counts["Comments on X"] == "5" and counts["Likes on LinkedIn"] == "10"
    assert counts["Shares on X"] == "2"
    assert re.search(r"Total</th><td class=\"num\">95<", breakdown)
    activity = html.split("Recent activity", 1)[1].split("How you earned", 1)[0]
    assert "5 comments on X" in activity
    assert activity.count("tag-capped") == 2
    assert "Daily limit of 5 scoring shares reached" in activity


def test_me_polls_its_standing_region_with_a_partial(client, work, freeze_time):
    people = seed(client, work, freeze_time)
    sign_in(client, people["ada"])
    resp = client.get("/", headers=HTMX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert 'id="standing"' in html and "Tier:" not in html
    known = re.search(r'hx-get="/\?known=([0-9a-f]+)"', html).group(1)
    unchanged = client.get(f"/?known={known}", headers=HTMX)
    assert unchanged.status_code == 204 and "HX-Request" in unchanged.headers["Vary"]
    client.post("/api/v1/events", json=event("E1", NOW, type_="like"), headers=token())
    work()
    changed = client.get(f"/?known={known}", headers=HTMX)
    assert changed.status_code == 200 and stats(changed.get_data(as_text=True))[0][1] == "66"


def test_new_person_sees_a_friendly_empty_me(client, freeze_time):
    freeze_time(NOW)
    sign_in(client, add_person("E9", name="New Starter"))
    html = client.get("/").get_data(as_text=True)
    assert "Not ranked yet" in html and "No badges yet" in html
    assert html.count('<rect class="bar') == 12
    assert "No points in the last 12 weeks yet" in html


def test_profile_hides_an_opted_out_persons_points_from_others(client, work, freeze_time):
    people = seed(client, work, freeze_time)
    grace = people["grace"]
    grace.leaderboard_opt_out = True
    db.session.commit()
    sign_in(client, people["ada"])
    resp = client.get("/people/E2")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Grace Hopper" in html
    assert "keeps their points and rank private" in html
    assert "All time" not in html and "#1" not in html and ">100<" not in html
    assert "Contributor" in html and 'alt="First Share badge"' not in html  # likes earn no badge
    ada = client.get("/people/E1").get_data(as_text=True)
    assert "All time" in ada and ">95<" in ada and 'alt="First Share badge"' in ada

    sign_in(client, grace)
    own = client.get("/people/E2").get_data(as_text=True)
    assert ">100<" in own and "#1" in own and "Only you see your points" in own


def test_unknown_profile_is_a_404_page(client, freeze_time):
    freeze_time(NOW)
    sign_in(client, add_person("E1"))
    resp = client.get("/people/NOPE")
    assert resp.status_code == 404
    assert "find that person" in resp.get_data(as_text=True)


def test_settings_needs_the_csrf_token(client, freeze_time):
    freeze_time(NOW)
    ada = add_person("E1")
    sign_in(client, ada)
    form = client.get("/settings").get_data(as_text=True)
    assert 'method="post"' in form and 'name="csrf_token"' in form
    assert "Hide me from public leaderboards" in form
    resp = client.post("/settings", data={"leaderboard_opt_out": "1"})
    assert resp.status_code == 400
    db.session.refresh(ada)
    assert ada.leaderboard_opt_out is False


def test_opting_out_leaves_the_public_board_but_not_me(client, work, freeze_time):
    people = seed(client, work, freeze_time)
    csrf = sign_in(client, people["ada"])
    read = token("read")
    before = client.get("/api/v1/leaderboard?period=all", headers=read).get_json()
    assert "E1" in [e["employee_id"] for e in before["entries"]]

    resp = client.post("/settings", data={"csrf_token": csrf, "leaderboard_opt_out": "1"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/settings")
    work()
    after = client.get("/api/v1/leaderboard?period=all", headers=read).get_json()
    assert "E1" not in [e["employee_id"] for e in after["entries"]]
    page = client.get("/settings").get_data(as_text=True)
    assert "hidden from public leaderboards" in page and "checked" in page
    # Without htmx the saved message shows where htmx puts it: atop the settings region.
    region = page.split('<div id="settings" aria-live="polite">', 1)[1]
    assert page.count("Saved. You&#39;re hidden") == 1
    assert region.index("Saved. You&#39;re hidden") < region.index("<form")
    me = client.get("/").get_data(as_text=True)
    assert '<dd class="stat-rank">Rank #2</dd>' in me
    assert "Only you see these ranks" in me

    # htmx: the form comes back in place with a status message; opting back in works.
    resp = client.post("/settings", data={"csrf_token": csrf}, headers=HTMX)
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "on the public leaderboards" in html
    assert "checked" not in html and "HX-Request" in resp.headers["Vary"]
    work()
    again = client.get("/api/v1/leaderboard?period=all", headers=read).get_json()
    assert "E1" in [e["employee_id"] for e in again["entries"]]


def notified(client, work, freeze_time):
    """Three shares on three networks now: First Share and Networker notifications."""
    freeze_time(NOW)
    ada = add_person("E1", name="Ada Lovelace")
    events = [
        event("E1", at("2026-11-20", 9, i), network=n)
        for i, n in enumerate(["linkedin", "x", "facebook"])
    ]
    client.post("/api/v1/events", json={"events": events}, headers=token())
    work()
    return ada, sign_in(client, ada)


def bell_count(client) -> str | None:
    html = client.get("/notifications/bell", headers=HTMX).get_data(as_text=True)
    found = re.search(r'<span class="count">([^<]+)</span>', html)
    return found.group(1) if found else None


def test_notifications_list_and_mark_all_read(client, work, freeze_time):
    _, csrf = notified(client, work, freeze_time)
    html = client.get("/notifications").get_data(as_text=True)
    assert "You earned First Share" in html and "You earned Networker" in html
    assert html.count('class="notification unread"') == 2
    assert "Mark all as read" in html
    assert bell_count(client) == "2"
    bell = client.get("/notifications/bell", headers=HTMX).get_data(as_text=True)
    assert "2 unread notifications" in bell

    resp = client.post("/notifications/read", data={"csrf_token": csrf, "all": "1"})
    assert resp.status_code == 303
    html = client.get("/notifications").get_data(as_text=True)
    assert "All caught up" in html and 'class="notification unread"' not in html
    assert html.count("All caught up") == 1
    assert html.index('id="notification-list"') < html.index("All caught up")
    assert bell_count(client) is None
    assert "unread" not in client.get("/notifications/bell", headers=HTMX).get_data(as_text=True)


def test_mark_read_without_the_token_is_refused(client, work, freeze_time):
    _, csrf = notified(client, work, freeze_time)
    assert client.post("/notifications/read", data={"all": "1"}).status_code == 400
    empty = client.post("/notifications/read", data={"csrf_token": csrf, "id": "x"})
    assert empty.status_code == 422
    assert re.search(
        r'<p class="flash flash-error" role="alert">Pick a notification',
        empty.get_data(as_text=True),
    )
    assert bell_count(client) == "2"


def test_htmx_mark_read_swaps_the_list_and_the_bell_out_of_band(client, work, freeze_time):
    ada, csrf = notified(client, work, freeze_time)
    first = db.session.scalars(
        db.select(Notification.id).where(Notification.employee_id == ada.id)
    ).first()
    resp = client.post(
        "/notifications/read", data={"csrf_token": csrf, "id": str(first)}, headers=HTMX
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert "HX-Request" in resp.headers["Vary"]
    assert html.count('class="notification unread"') == 1 and "Marked as read" in html
    oob = re.search(r'<span hx-swap-oob="innerHTML:#bell">(.*?)</span>\s*$', html, re.S)
    assert oob and '<span class="count">1</span>' in oob.group(1)
    assert '<input type="hidden" id="bell-known" name="known" value="1">' in oob.group(1)
    assert bell_count(client) == "1"


def test_notifications_page_answers_htmx_with_the_list(client, work, freeze_time):
    notified(client, work, freeze_time)
    resp = client.get("/notifications", headers=HTMX)
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "You earned First Share" in html
    assert client.get("/notifications/bell").status_code == 302  # no JS: the full list


def test_bell_polls_with_the_count_it_shows_and_gets_204_while_it_holds(client, work, freeze_time):
    _, csrf = notified(client, work, freeze_time)
    page = client.get("/").get_data(as_text=True)
    bell = re.search(r'<span id="bell"[^>]*>', page).group(0)
    assert 'hx-get="/notifications/bell"' in bell and 'hx-include="#bell-known"' in bell
    assert 'hx-trigger="load, every 30s, focus from:window"' in bell
    assert 'aria-live="polite"' in bell

    first = client.get("/notifications/bell", headers=HTMX).get_data(as_text=True)
    assert 'name="known" value="2"' in first
    same = client.get("/notifications/bell?known=2", headers=HTMX)
    assert same.status_code == 204 and same.get_data() == b""
    assert "HX-Request" in same.headers["Vary"]

    client.post("/notifications/read", data={"csrf_token": csrf, "all": "1"})
    changed = client.get("/notifications/bell?known=2", headers=HTMX)
    html = changed.get_data(as_text=True)
    assert changed.status_code == 200 and "unread" not in html
    assert 'name="known" value="0"' in html
    assert client.get("/notifications/bell?known=0", headers=HTMX).status_code == 204


@pytest.mark.parametrize(
    ("up", "direction", "text"),
    [
        (3, "up", "up 3 places since last week"),
        (1, "up", "up 1 place since last week"),
        (-2, "down", "down 2 places since last week"),
        (0, "same", "no change since last week"),
        (None, "new", "new on the board this week"),
    ],
)
def test_movement_reads_in_words(up, direction, text):
    before = None if up is None else 5 + up
    shown = _movement({"rank": 5, "before": before, "up": up})
    assert shown == {"direction": direction, "text": text}
    assert _movement(None) is None


def likes(employee_id: str, day: str, count: int) -> dict:
    return event(employee_id, at(day), type_="like", count=count)


def test_gap_advice_counts_the_shares_left_today(client, work, freeze_time):
    """30 points behind with no share today: 3 shares of 10 points would do it."""
    freeze_time(NOW)
    ada = add_person("E1", name="Ada Lovelace")
    add_person("E2", name="Grace Hopper")
    batch = [likes("E1", "2026-11-16", 70), likes("E2", "2026-11-16", 100)]
    client.post("/api/v1/events", json={"events": batch}, headers=token())
    work()
    sign_in(client, ada)
    html = client.get("/").get_data(as_text=True)
    assert "This week: 30 points behind #1. 3 shares today would do it." in html
    assert "All time: 30 points behind #1. 3 shares today would do it." in html
    assert "One good share" not in html


def test_a_big_gap_is_told_in_days_of_full_activity(client, work, freeze_time):
    freeze_time(NOW)
    ada = add_person("E1", name="Ada Lovelace")
    add_person("E2", name="Grace Hopper")
    # Grace: 100 engagement points (the daily cap) on each of ten days early this month,
    # before this week and inside the window in which events still earn.
    batch = [likes("E2", f"2026-11-{day:02d}", 100) for day in range(1, 11)]
    batch.append(likes("E1", "2026-11-20", 1))
    client.post("/api/v1/events", json={"events": batch}, headers=token())
    work()
    sign_in(client, ada)
    html = client.get("/").get_data(as_text=True)
    # 999 behind; today still holds 5 shares and 99 engagement points, then 150 a day.
    assert "All time: 999 points behind #1. About 7 days of full activity would do it." in html
    assert "This week: you&#39;re top of the board." in html


def test_no_advice_when_the_week_ends_before_the_gap_could_close(client, work, freeze_time):
    freeze_time("2026-11-22T12:00:00+00:00")  # Sunday, the week's last day
    ada = add_person("E1", name="Ada Lovelace")
    add_person("E2", name="Grace Hopper")
    batch = [likes("E2", f"2026-11-{day}", 100) for day in range(16, 22)]
    batch.append(likes("E1", "2026-11-22", 10))
    client.post("/api/v1/events", json={"events": batch}, headers=token())
    work()
    sign_in(client, ada)
    html = client.get("/").get_data(as_text=True)
    note = re.search(r"<p class=\"gap\">(This week:[^<]*)</p>", html).group(1)
    assert note == "This week: 590 points behind #1."
