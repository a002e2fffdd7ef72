"""Admin pages: scoring rules and re-scoring, API tokens, program analytics."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from recognition import analytics
from recognition.admin import diff_rulesets
from recognition.extensions import db
from recognition.tokens import ApiToken
from scoring.models import RulesetVersion
from scoring.rules import load_default_document
from scoring.rulesets import live_scoring
from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"
HX = {"HX-Request": "true"}


class FormReader(HTMLParser):
    """The values a browser would submit for one form, found by its id."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and "name" in attrs:
            if attrs.get("type") == "checkbox" and "checked" not in attrs:
                return
            self.values.setdefault(attrs["name"], []).append(attrs.get("value") or "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values.setdefault(self._textarea, []).append("")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


def rules_form(client) -> dict[str, str]:
    reader = FormReader("rules-form")
    reader.feed(client.get("/admin/rules").get_data(as_text=True))
    return {name: values[0] for name, values in reader.values.items()}


def versions() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(RulesetVersion))


@pytest.fixture
def admin(client, freeze_time):
    freeze_time(NOW)
    person = add_person("A1", name="Avery Admin", team="people-ops", role="admin")
    return sign_in(client, person)


# --- who may come in -------------------------------------------------------------

ADMIN_GETS = [
    "/admin/",
    "/admin/analytics.csv",
    "/admin/rules",
    "/admin/rules/versions/1",
    "/admin/jobs/no-such-job",
    "/admin/tokens",
]
ADMIN_POSTS = [
    "/admin/rules",
    "/admin/rules/versions/1/rescore",
    "/admin/tokens",
    "/admin/tokens/1/revoke",
]


@pytest.mark.parametrize("role", ["employee", "manager"])
def test_admin_pages_and_forms_are_forbidden_to_other_roles(client, freeze_time, role):
    freeze_time(NOW)
    token("read")
    csrf = sign_in(client, add_person("E1", role=role))
    for url in ADMIN_GETS:
        assert client.get(url).status_code == 403, url
    for url in ADMIN_POSTS:
        resp = client.post(url, data={"csrf_token": csrf, "confirmed": "yes", "source": "x"})
        assert resp.status_code == 403, url
    assert versions() == 0  # the refused POST saved nothing (not even the default set-up)
    assert db.session.scalar(select(ApiToken).where(ApiToken.id == 1)).revoked_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client, freeze_time):
    freeze_time(NOW)
    for url in ADMIN_GETS:
        resp = client.get(url)
        assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"], url
    for url in ADMIN_POSTS:
        # Without a session there is no CSRF token to match, so the form is refused first.
        assert client.post(url).status_code in (302, 400), url


def test_admin_forms_without_csrf_are_refused(client, admin):
    form = rules_form(client)
    form["points.share"] = "12"
    del form["csrf_token"]
    assert client.post("/admin/rules", data=form).status_code == 400
    assert client.post("/admin/tokens", data={"source": "crm", "scopes": "read"}).status_code == 400
    assert client.post("/admin/rules/versions/1/rescore").status_code == 400
    assert versions() == 1
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


# --- rules -------------------------------------------------------------------------


def test_rules_form_shows_the_live_ruleset_and_history(client, admin):
    resp = client.get("/admin/rules")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "HX-Request" in resp.headers["Vary"]
    form = rules_form(client)
    assert form["points.share"] == "10"
    assert form["network_multipliers.linkedin"] == "1"
    assert form["daily_caps.scoring_shares"] == "5"
    assert form["badges[1].levels[2].target"] == "250"
    assert form["badges[1].name"] == "Sharer"
    assert form["tiers[2].min_points_90d"] == "600"
    assert form["tiers[2].min_engagement_per_share"] == "3"
    assert '<label for="f-badges-1-levels-2-target">Gold target</label>' in html
    assert "Version 1" in html and "Live" in html


def test_unchanged_form_saves_nothing(client, admin):
    resp = client.post("/admin/rules", data=rules_form(client))
    assert resp.status_code == 422
    assert "nothing has changed" in resp.get_data(as_text=True).lower()
    assert versions() == 1


def test_valid_change_is_saved_as_a_new_version_with_a_readable_diff(client, admin):
    form = rules_form(client)
    form.update(
        {
            "points.share": "12",
            "badges[1].levels[2].target": "200",
            "daily_caps.scoring_shares": "",
            "network_multipliers.x": "1.5",
            "tiers[1].min_engagement_per_share": "1.5",
            "badges[0].name": "First Post",
            "note": "Reward sharing more",
        }
    )
    resp = client.post("/admin/rules", data=form)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/admin/rules/versions/2")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert html.count("Saved as version 2.") == 1
    # The message sits under the admin sections, above the page's heading.
    assert html.index("</nav>", html.index("admin-nav")) < html.index("Saved as version 2.")
    assert html.index("Saved as version 2.") < html.index("<h1>")
    assert "Changes from version 1" in html
    for line in (
        "Share points: 10 → 12",
        "Sharer (Gold) target: 250 → 200",
        "Daily share cap: 5 → no cap",
        "X multiplier: 1 → 1.5",
        "Advocate tier: engagements per share: 1 → 1.5",
        "Badge “First Share” renamed “First Post”",
    ):
        assert line in html
    assert "Re-score history under version 2" in html
    row = db.session.get(RulesetVersion, 2)
    assert row.created_by == "a1@example.com" and row.note == "Reward sharing more"
    assert row.document["points"]["share"] == 12
    assert row.document["daily_caps"]["scoring_shares"] is None
    assert row.document["badges"][1]["levels"][2] == {"label": "Gold", "target": 200}
    # Saving alone changes nobody's points: version 1 stays live until a re-score.
    assert live_scoring().ruleset.version == 1
    page = client.get("/admin/rules").get_data(as_text=True)
    assert "Version 2 is saved but not live yet" in page
    assert rules_form(client)["points.share"] == "12"


def test_htmx_save_redirects_with_hx_redirect(client, admin):
    form = rules_form(client)
    form["points.like"] = "2"
    resp = client.post("/admin/rules", data=form, headers=HX)
    assert resp.status_code == 200
    assert resp.headers["HX-Redirect"].endswith("/admin/rules/versions/2")


def test_invalid_values_come_back_with_messages_next_to_their_fields(client, admin):
    form = rules_form(client)
    form["points.share"] = "-1"
    form["badges[1].levels[0].target"] = "0"
    form["tiers[2].min_points_90d"] = "lots"
    form["note"] = "typed note"
    resp = client.post("/admin/rules", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<html" in html
    assert versions() == 1
    # Each message sits by its input and is tied to it.
    share = re.search(r"<input[^>]*id=\"f-points-share\"[^>]*>", html, re.S).group(0)
    assert 'value="-1"' in share and 'aria-invalid="true"' in share
    assert "f-points-share-error" in share
    assert re.search(r'id="f-points-share-error">Must be a whole number from 0 to 10000\.<', html)
    target = re.search(r"<input[^>]*id=\"f-badges-1-levels-0-target\"[^>]*>", html, re.S).group(0)
    assert 'value="0"' in target and "f-badges-1-levels-0-target-error" in target
    assert 'id="f-badges-1-levels-0-target-error">Must be a whole number from 1 to' in html
    assert 'id="f-tiers-2-min-points-90d-error">Must be a whole number &gt;= 0.' in html
    # The summary links to each field; what the admin typed is kept.
    assert 'href="#f-points-share"' in html and 'href="#f-badges-1-levels-0-target"' in html
    assert 'value="typed note"' in html


def test_htmx_gets_the_form_partial_with_errors(client, admin):
    form = rules_form(client)
    form["points.comment"] = "3.5"
    resp = client.post("/admin/rules", data=form, headers=HX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200  # htmx 2 would not swap a 422
    assert "<html" not in html and 'id="rules-form"' in html
    assert 'id="f-points-comment-error"' in html and 'value="3.5"' in html
    assert versions() == 1


def test_tier_rule_errors_land_on_their_fieldset(client, admin):
    form = rules_form(client)
    form["tiers[2].min_points_90d"] = "150"
    form["tiers[2].min_engagement_per_share"] = "1"
    html = client.post("/admin/rules", data=form).get_data(as_text=True)
    assert 'id="g-tiers-2-error">Must raise at least one threshold' in html
    assert versions() == 1


def test_rescore_button_replays_history_and_the_new_version_goes_live(client, admin, work):
    headers = token()
    add_person("E1", name="Ada Lovelace")
    client.post("/api/v1/events", json=event("E1", NOW), headers=headers)
    work()
    board = client.get("/api/v1/leaderboard?period=all", headers=headers).json
    assert board["entries"][0]["points"] == 10

    form = rules_form(client)
    form["points.share"] = "25"
    client.post("/admin/rules", data=form)
    version_page = client.get("/admin/rules/versions/2").get_data(as_text=True)
    assert 'action="/admin/rules/versions/2/rescore"' in version_page

    resp = client.post("/admin/rules/versions/2/rescore", data={"csrf_token": admin})
    assert resp.status_code == 303
    job_url = resp.headers["Location"]
    assert re.search(r"/admin/jobs/[\w-]+$", job_url)
    waiting = client.get(job_url).get_data(as_text=True)
    assert "Waiting for a worker" in waiting and 'hx-trigger="every 1s"' in waiting
    assert f'href="{job_url}"' in waiting  # the refresh link without JavaScript
    assert 'aria-live="polite"' in waiting

    work()
    done = client.get(job_url, headers=HX)
    html = done.get_data(as_text=True)
    assert "<html" not in html and "Finished" in html and "Version 2 is live" in html
    assert 'hx-trigger="every 1s"' not in html  # polling stops
    assert '<progress max="1" value="1"' in html
    assert live_scoring().ruleset.version == 2
    board = client.get("/api/v1/leaderboard?period=all", headers=headers).json
    assert board["entries"][0]["points"] == 25
    assert "Live" in client.get("/admin/rules/versions/2").get_data(as_text=True)


def test_htmx_rescore_answers_with_the_polling_partial(client, admin):
    resp = client.post("/admin/rules/versions/1/rescore", headers={**HX, "X-CSRF-Token": admin})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert 'hx-trigger="every 1s"' in html and "version 1" in html


def test_unknown_versions_and_jobs_are_not_found(client, admin):
    assert client.get("/admin/rules/versions/99").status_code == 404
    assert (
        client.post("/admin/rules/versions/99/rescore", data={"csrf_token": admin}).status_code
        == 404
    )
    assert client.get("/admin/jobs/nope").status_code == 404
    assert client.get("/admin/jobs/..%2Fetc").status_code == 404


def test_diff_names_each_change_in_plain_words():
    old = load_default_document()
    new = load_default_document()
    assert diff_rulesets(old, new) == []
    new["points"]["click"] = 2
    new["daily_caps"]["engagement_points"] = None
    old["daily_caps"]["scoring_shares"] = None
    new["badges"][2]["target"] = 6
    new["badges"][1]["levels"].append({"label": "Diamond", "target": 5000})
    new["badges"] = [b for b in new["badges"] if b["slug"] != "recognised-advocate"]
    new["tiers"][3]["name"] = "Luminary"
    assert diff_rulesets(old, new) == [
        "Click points: 1 → 2",
        "Daily share cap: no cap → 5",
        "Daily engagement points cap: 100 → no cap",
        "Sharer (Diamond) level added, target 5,000",
        "Weekly Streak target: 4 → 6",
        "Badge removed: Recognised Advocate",
        "Tier “Thought Leader” renamed “Luminary”",
    ]


# --- API tokens ------------------------------------------------------------------------


def test_token_secret_is_shown_once_and_works_until_revoked(client, admin):
    resp = client.post(
        "/admin/tokens", data={"csrf_token": admin, "source": "crm-sync", "scopes": ["read"]}
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 201 and "Copy the new token now" in html
    assert resp.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-token"[^>]*>(lrl_[A-Za-z0-9_-]+)</textarea>', html).group(1)
    row = db.session.scalar(select(ApiToken).where(ApiToken.source == "crm-sync"))
    assert row.scopes == "read" and secret.startswith(row.prefix)

    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert secret not in listing and f"{row.prefix}…" in listing and "crm-sync" in listing
    assert 'hx-confirm="Revoke' in listing

    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/leaderboard", headers=bearer).status_code == 200

    # Without JavaScript, the revoke button leads to a confirmation first.
    url = f"/admin/tokens/{row.id}/revoke"
    confirm = client.post(url, data={"csrf_token": admin})
    assert confirm.status_code == 200 and "Revoke token" in confirm.get_data(as_text=True)
    assert client.get("/api/v1/leaderboard", headers=bearer).status_code == 200

    done = client.post(url, data={"csrf_token": admin, "confirmed": "yes"})
    assert done.status_code == 303
    after = client.get("/admin/tokens").get_data(as_text=True)
    assert "is revoked" in after and "Revoked " in after
    assert client.get("/api/v1/leaderboard", headers=bearer).status_code == 401


def test_htmx_token_create_and_revoke_swap_the_panel(client, admin):
    hx = {**HX, "X-CSRF-Token": admin}
    resp = client.post(
        "/admin/tokens", data={"source": "ci", "scopes": ["events:write"]}, headers=hx
    )
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "Copy the new token now" in html
    row = db.session.scalar(select(ApiToken).where(ApiToken.source == "ci"))
    resp = client.post(f"/admin/tokens/{row.id}/revoke", data={"confirmed": "yes"}, headers=hx)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html and "is revoked" in html
    db.session.refresh(row)
    assert row.revoked_at is not None


def test_token_form_explains_what_is_missing(client, admin):
    resp = client.post("/admin/tokens", data={"csrf_token": admin, "source": "crm"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Choose at least one of the scopes" in html
    assert 'value="crm"' in html and 'aria-describedby="token-scopes-error"' in html
    resp = client.post("/admin/tokens", data={"csrf_token": admin, "scopes": ["read"]})
    assert resp.status_code == 422 and "Give the integration a name" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


# --- analytics --------------------------------------------------------------------------


def seed_month(client, work):
    """Sales shares and earns engagement in November; marketing only in October."""
    headers = token()
    add_person("E1", name="Ada Lovelace", team="sales")
    add_person("E2", name="Grace Hopper", team="sales")
    add_person("E3", name="=Quiet Person", team="marketing")
    add_person("E4", name="Gone Person", team="marketing", active=False)
    events = [
        event("E1", "2026-11-02T09:00:00+00:00"),
        event("E1", "2026-11-16T09:00:00+00:00", network="x"),
        event("E1", "2026-11-16T10:00:00+00:00", type_="like", count=6),
        event("E2", "2026-11-10T09:00:00+00:00"),
        event("E2", "2026-11-10T11:00:00+00:00", type_="comment", count=2),
        event("E3", "2026-10-30T09:00:00+00:00"),
    ]
    resp = client.post("/api/v1/events", json={"events": events}, headers=headers)
    assert resp.status_code == 202
    work()
    return headers


def test_month_figures_from_a_known_dataset(client, admin, work):
    seed_month(client, work)
    report = analytics.month_report(analytics.Month(dt.date(2026, 11, 1)))
    # Active: A1, E1, E2, E3 (E4 has left); E1 and E2 shared in November.
    assert (report.active_people, report.participants) == (4, 2)
    assert report.participation_rate == 0.5
    assert report.shares == 3 and report.engagements == 8
    assert report.engagement_per_share == pytest.approx(8 / 3)
    # Shares 10 points each; likes 1 x 6; comments 3 x 2.
    teams = {
        t.name: (t.people, t.participants, t.shares, t.engagements, t.points) for t in report.teams
    }
    assert teams == {
        "Sales": (2, 2, 3, 8, 42),
        "Marketing": (1, 0, 0, 0, 0),
        "People Ops": (1, 0, 0, 0, 0),
    }
    assert report.teams[0].name == "Sales" and report.points == 42

    october = analytics.month_report(analytics.Month(dt.date(2026, 10, 1)))
    assert (october.participants, october.shares, october.points) == (1, 1, 10)


def test_analytics_page_shows_the_month(client, admin, work):
    seed_month(client, work)
    resp = client.get("/admin/?month=2026-11")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "HX-Request" in resp.headers["Vary"]
    assert "November 2026" in html and "50%" in html and "2.7" in html
    assert "2 of 4 active people shared" in html
    assert re.search(r"<th scope=\"row\">Sales</th>\s*<td class=\"num\">2</td>", html)
    assert "<svg" in html and '<title id="chart-shares-title">Shares per week</title>' in html
    assert "2026-W47" in html and "2026-W36" in html  # 12 weeks of the table fallback
    assert 'href="/admin/analytics.csv?month=2026-11"' in html
    partial = client.get("/admin/?month=2026-10", headers=HX).get_data(as_text=True)
    assert "<html" not in partial and "October 2026" in partial


def test_weekly_trend_covers_twelve_iso_weeks(client, admin, work):
    seed_month(client, work)
    trend = analytics.weekly_trend(dt.date(2026, 11, 20))
    assert len(trend) == 12 and trend[-1].label == "2026-W47" and trend[0].label == "2026-W36"
    by_week = {w.label: (w.shares, w.points) for w in trend}
    assert by_week["2026-W45"] == (1, 10)  # E1's share on Monday 2 November
    assert by_week["2026-W46"] == (1, 16)
    assert by_week["2026-W47"] == (1, 16)
    assert by_week["2026-W44"] == (1, 10)  # E3's October share, same ISO week as 1 Nov


def test_bad_month_falls_back_to_this_month_with_a_message(client, admin):
    html = client.get("/admin/?month=2026-13").get_data(as_text=True)
    assert "Enter a month as YYYY-MM" in html and "November 2026" in html
    # A bad month in the CSV link leads back to the page and its message, not a bare 400.
    resp = client.get("/admin/analytics.csv?month=nope")
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/?month=nope"
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Enter a month as YYYY-MM" in html


def test_csv_export_lists_teams_then_people(client, admin, work):
    seed_month(client, work)
    resp = client.get("/admin/analytics.csv?month=2026-11")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert (
        resp.headers["Content-Disposition"] == 'attachment; filename="laurel-analytics-2026-11.csv"'
    )
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["row", "employee_id", "name", "team", "shares", "engagements", "points"]
    assert rows[1] == ["team", "", "", "Sales", "3", "8", "42"]
    people = [r for r in rows if r[0] == "person"]
    assert ["person", "E1", "Ada Lovelace", "Sales", "2", "6", "26"] in people
    assert ["person", "E2", "Grace Hopper", "Sales", "1", "2", "16"] in people
    # Quiet people are listed with zeros; formulas are defused; leavers without activity are not.
    assert ["person", "E3", "'=Quiet Person", "Marketing", "0", "0", "0"] in people
    assert not any(r[1] == "E4" for r in people)
    assert len([r for r in rows if r[0] == "team"]) == 3


@pytest.mark.timezone("Europe/Berlin")
def test_months_follow_the_organisation_time_zone(client, admin, work):
    headers = token()
    add_person("E1", team="sales")
    # 23:30 UTC on 31 October is already 1 November in Berlin.
    client.post("/api/v1/events", json=event("E1", "2026-10-31T23:30:00+00:00"), headers=headers)
    work()
    assert analytics.month_report(analytics.Month(dt.date(2026, 11, 1))).shares == 1
    assert analytics.month_report(analytics.Month(dt.date(2026, 10, 1))).shares == 0


def test_month_parsing():
    today = dt.date(2026, 11, 20)
    assert analytics.parse_month(None, today).key == "2026-11"
    assert analytics.parse_month("2026-02", today).end == dt.date(2026, 3, 1)
    assert analytics.parse_month("2026-12", today).next.key == "2027-01"
    assert analytics.parse_month("2026-01", today).previous.key == "2025-12"
    for bad in ("2026-13", "2026-1", "nov", "1999-01"):
        with pytest.raises(ValueError):
            analytics.parse_month(bad, today)


def test_a_waiting_rescore_holds_the_button_and_its_end_shows_the_new_state(client, admin, work):
    from scoring.jobs import queue

    add_person("E1", name="Ada Lovelace")
    client.post("/api/v1/events", json=event("E1", NOW), headers=token())
    work()
    form = rules_form(client)
    form["points.share"] = "25"
    client.post("/admin/rules", data=form)
    before = client.get("/admin/rules/versions/2").get_data(as_text=True)
    assert "Points are still scored under version 1" in before
    assert '<button type="submit">Re-score history under version 2' in before

    started = client.post(
        "/admin/rules/versions/2/rescore", headers={**HX, "X-CSRF-Token": admin}
    ).get_data(as_text=True)
    assert 'id="rescore-region"' in started and "disabled" in started
    assert "The re-score is waiting for a worker" in started
    poll = re.search(r'hx-get="(/admin/jobs/[\w-]+\?reload=1)"', started).group(1)

    # Reloaded while the job waits: still held, on this page and on the rules page.
    for page in ("/admin/rules/versions/2", "/admin/rules"):
        html = client.get(page).get_data(as_text=True)
        assert 'disabled aria-describedby="rescore-busy"' in html, page
        assert "Waiting for a worker" in html, page
    # A second start does not queue a second re-score.
    again = client.post("/admin/rules/versions/2/rescore", data={"csrf_token": admin})
    assert again.status_code == 303 and queue().count == 1
    assert "already waiting or running" in client.get(again.headers["Location"]).get_data(
        as_text=True
    )

    work()
    ended = client.get(poll, headers=HX)
    assert ended.headers["HX-Refresh"] == "true"
    after = client.get("/admin/rules/versions/2").get_data(as_text=True)
    assert "Re-score finished: version 2 is live. 1 event re-scored." in after
    assert "This version is live" in after and "still scored under" not in after
    assert "Re-score history under version 2" not in after
    free = client.get("/admin/rules/versions/1").get_data(as_text=True)
    assert '<button type="submit">Re-score history under version 1' in free
