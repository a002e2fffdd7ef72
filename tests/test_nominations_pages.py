"""Nomination pages and the team page: forms with errors beside the fields, htmx
partials, the wall's privacy choice, the category editor and /team."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from recognition.extensions import db
from recognition.kudos import service as kudos
from recognition.nominations import service
from recognition.nominations.models import NominationCategory
from scoring.rulesets import ensure_scoring_setup
from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"
REASON = "Ran the launch week posts and brought in three new advocates."
HX = {"HX-Request": "true"}


@pytest.fixture
def org(app, freeze_time):
    freeze_time(NOW)
    ensure_scoring_setup()
    people = {
        "ada": add_person("A1", name="Ada", role="admin"),
        "sam": add_person("S1", name="Sam", role="manager"),
    }
    people["mia"] = add_person("M1", name="Mia", role="manager", manager_id="S1")
    people["eve"] = add_person("E1", name="Eve Stone", manager_id="M1")
    people["cal"] = add_person("E2", name="Cal", manager_id="M1")
    service.save_category(
        {
            "name": "Advocate of the month",
            "period": "month",
            "badge": "recognised-advocate",
            "bonus_points": 100,
            "who_may_nominate": "reports",
            "steps": [{"decider": "second_line_manager"}],
        }
    )
    return people


def _nominate(org, reason=REASON):
    n, _ = service.nominate(
        service.NominateRequest(
            org["mia"].id, org["eve"].id, "advocate-of-the-month", "2026-11", reason
        )
    )
    return n


def test_nominate_form_errors_sit_beside_fields_and_keep_the_text(client, org):
    csrf = sign_in(client, org["mia"])
    page = client.get("/nominations/new?nominee=E1")
    assert page.status_code == 200 and "Eve Stone" in page.get_data(as_text=True)
    resp = client.post(
        "/nominations/new",
        data={
            "csrf_token": csrf,
            "nominee": "E1",
            "category": "advocate-of-the-month",
            "period": "2026-11",
            "reason": "Too short <b>",
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="reason-error"' in html and "20 to 2,000" in html
    assert "Too short &lt;b&gt;</textarea>" in html
    # htmx gets the form alone, errors included.
    partial = client.post(
        "/nominations/new",
        data={
            "csrf_token": csrf,
            "nominee": "M1",
            "category": "advocate-of-the-month",
            "period": "2026-11",
            "reason": REASON,
        },
        headers=HX,
    ).get_data(as_text=True)
    assert partial.strip().startswith("<form") and "you cannot nominate yourself" in partial


def test_submitting_goes_to_the_nomination_with_evidence_and_timeline(client, org):
    kudos.give(
        kudos.GiveRequest(org["cal"].id, (org["eve"].id,), "Thanks for the launch!", points=10)
    )
    csrf = sign_in(client, org["mia"])
    resp = client.post(
        "/nominations/new",
        data={
            "csrf_token": csrf,
            "form_token": "t1",
            "nominee": "E1",
            "category": "advocate-of-the-month",
            "period": "2026-11",
            "reason": "<script>alert(1)</script> did a wonderful job all month",
        },
    )
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; did a wonderful job" in page
    assert "<script>alert(1)" not in page
    assert "At submission (2026-11-20)" in page and "Today" in page
    assert "Points in November 2026" in page and "Thanks for the launch!" in page
    assert "Submitted: step 1 of 1" in page


def test_evidence_preview_and_people_search_partials(client, org):
    sign_in(client, org["mia"])
    found = client.get("/nominations/people?q=eve", headers=HX).get_data(as_text=True)
    assert 'value="E1"' in found and "<html" not in found
    preview = client.get(
        "/nominations/evidence?nominee=E1&category=advocate-of-the-month", headers=HX
    ).get_data(as_text=True)
    assert "Evidence Laurel attaches" in preview and "Points in November 2026" in preview


def test_approve_inline_from_the_queue(client, org):
    n = _nominate(org)
    csrf = sign_in(client, org["sam"])
    queue = client.get("/nominations").get_data(as_text=True)
    assert f'id="approve-{n.id}"' in queue
    row = client.post(
        f"/nominations/{n.id}/approve",
        data={"csrf_token": csrf, "step": "1", "where": "row"},
        headers=HX,
    ).get_data(as_text=True)
    assert row.startswith(f'<li class="notification nomination" id="nomination-{n.id}"')
    assert "Approved." in row and ">Approved<" in row
    again = client.post(
        f"/nominations/{n.id}/approve",
        data={"csrf_token": csrf, "step": "1", "where": "row"},
        headers=HX,
    ).get_data(as_text=True)
    assert "Already done; nothing changed." in again
    page = client.get(f"/nominations/{n.id}").get_data(as_text=True)
    assert "Awarded 100 points and the Recognised Advocate badge." in page


def test_decline_without_a_reason_is_refused_in_place(client, org):
    n = _nominate(org)
    csrf = sign_in(client, org["sam"])
    resp = client.post(
        f"/nominations/{n.id}/decline", data={"csrf_token": csrf, "reason": ""}, headers=HX
    ).get_data(as_text=True)
    assert 'id="decline-error"' in resp and "a decline needs a reason" in resp
    done = client.post(
        f"/nominations/{n.id}/decline",
        data={"csrf_token": csrf, "reason": "Keep going <3"},
        headers=HX,
    ).get_data(as_text=True)
    assert 'Declined because: <span class="reason">Keep going &lt;3</span>' in done


def test_the_nominator_withdraws_and_others_cannot_see_it(client, org):
    n = _nominate(org)
    sign_in(client, org["cal"])
    assert client.get(f"/nominations/{n.id}").status_code == 404
    csrf = sign_in(client, org["mia"])
    resp = client.post(f"/nominations/{n.id}/withdraw", data={"csrf_token": csrf})
    assert resp.status_code == 303
    assert "Withdrawn" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_nobody_decides_their_own_nomination_on_the_pages(client, org):
    n = _nominate(org)
    for who in ("mia", "eve", "cal"):
        csrf = sign_in(client, org[who])
        client.post(f"/nominations/{n.id}/approve", data={"csrf_token": csrf})
        db.session.expire_all()
        assert service.get(n.id).status == "submitted", who


def test_the_wall_shows_the_reason_only_when_the_winner_allows(client, org):
    n = _nominate(org, reason="Brilliant <em>launch</em> week, every single day")
    service.approve(n.id, org["sam"].id)
    sign_in(client, org["cal"])
    wall = client.get("/recognition").get_data(as_text=True)
    assert "Eve Stone" in wall and "Brilliant" not in wall
    csrf = sign_in(client, org["eve"])
    assert "Show why I was nominated" in client.get("/settings").get_data(as_text=True)
    saved = client.post(
        "/nominations/settings",
        data={"csrf_token": csrf, "show_nomination_reasons": "1"},
        headers=HX,
    ).get_data(as_text=True)
    assert "reasons of your nominations show" in saved
    wall = client.get("/recognition?period=2026-11").get_data(as_text=True)
    assert "Brilliant &lt;em&gt;launch&lt;/em&gt; week" in wall
    assert "No winners yet for 2025-01" in client.get("/recognition?period=2025-01").get_data(
        as_text=True
    )


def test_category_editor_validates_beside_fields_and_versions(client, org):
    csrf = sign_in(client, org["ada"])
    assert client.get("/admin/nominations").status_code == 200
    bad = client.post(
        "/admin/nominations",
        data={
            "csrf_token": csrf,
            "name": "Committee pick",
            "period": "quarter",
            "bonus_points": "lots",
            "who_may_nominate": "anyone",
            "step1_decider": "group",
            "step1_group": "NOPE",
        },
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="c-bonus-error"' in html and 'id="c-step1-error"' in html
    assert 'value="Committee pick"' in html
    good = client.post(
        "/admin/nominations",
        data={
            "csrf_token": csrf,
            "name": "Committee pick",
            "period": "quarter",
            "bonus_points": "250",
            "who_may_nominate": "anyone",
            "step1_decider": "group",
            "step1_group": "S1, M1",
            "step2_decider": "admin",
            "active": "1",
        },
    )
    assert good.status_code == 303
    edit = client.get(good.headers["Location"]).get_data(as_text=True)
    assert 'value="S1, M1"' in edit and "Version 1" in edit
    client.post(
        "/admin/nominations",
        data={
            "csrf_token": csrf,
            "slug": "committee-pick",
            "name": "Committee pick",
            "period": "quarter",
            "bonus_points": "300",
            "who_may_nominate": "anyone",
            "step1_decider": "admin",
            "active": "1",
        },
    )
    versions = db.session.scalars(
        select(NominationCategory.bonus_points)
        .where(NominationCategory.slug == "committee-pick")
        .order_by(NominationCategory.version)
    ).all()
    assert versions == [250, 300]
    sign_in(client, org["mia"])
    assert client.get("/admin/nominations").status_code == 403


def test_the_team_page_labels_every_figure(client, work, org):
    client.post(
        "/api/v1/events",
        json={
            "events": [event("E1", NOW, id="s1"), event("E1", "2026-10-25T10:00:00+00:00", id="s0")]
        },
        headers=token("events:write", "events:backfill"),
    )
    work()
    kudos.give(kudos.GiveRequest(org["eve"].id, (org["cal"].id,), "Thanks for the help!"))
    sign_in(client, org["mia"])
    page = client.get("/team").get_data(as_text=True)
    assert "Points, November 2026, 1–20" in page and "Trend vs October 2026, 1–20" in page
    assert 'id="member-E1"' in page and 'id="member-E2"' in page
    assert 'id="team-kudos-given">1<' in page and 'id="team-kudos-received">1<' in page
    assert "Not shared yet this month:" in page and ">Cal</a>." in page
    assert "/nominations/new?nominee=E1" in page and "/kudos/give?to=E1" in page
    rows = list(csv.reader(io.StringIO(client.get("/team.csv?sort=points").get_data(as_text=True))))
    assert rows[0][:3] == ["employee_id", "name", "points (November 2026, 1–20)"]
    assert rows[1][:6] == ["E1", "Eve Stone", "10", "1", "0", "10"]
    sign_in(client, org["eve"])
    assert client.get("/team").status_code == 403
    sign_in(client, org["sam"])
    assert client.get("/team?manager=M1").status_code == 403
    sign_in(client, org["ada"])
    admin_view = client.get("/team?manager=M1").get_data(as_text=True)
    assert "Mia&#39;s team" in admin_view and 'id="member-E1"' in admin_view


def test_the_top_bar_links_nominations_and_the_team_for_managers(client, org):
    sign_in(client, org["eve"])
    page = client.get("/nominations").get_data(as_text=True)
    assert ">Nominations</a>" in page and ">Team</a>" not in page
    sign_in(client, org["mia"])
    assert ">Team</a>" in client.get("/nominations").get_data(as_text=True)


def test_a_profile_lists_the_nominations_won(client, org):
    n = _nominate(org)
    sign_in(client, org["cal"])
    assert "Nominations won" not in client.get("/people/E1").get_data(as_text=True)
    service.approve(n.id, org["sam"].id)
    page = client.get("/people/E1").get_data(as_text=True)
    assert "Nominations won" in page and "Advocate of the month</span> November 2026" in page
    assert REASON not in page  # Eve has not chosen to show reasons
