"""An exported credential's achievement id resolves: a page for people, JSON-LD for machines."""

from __future__ import annotations

import copy
from html import unescape

from scoring.rescore import rescore
from scoring.rules import load_default_document
from scoring.rulesets import save_ruleset
from tests.helpers import add_person, event, token
from tests.test_openbadges import spec_problems

NOW = "2026-11-20T12:00:00+00:00"
JSON = {"Accept": "application/json"}


def exported_achievement(client, work, freeze_time) -> dict:
    """The achievement inside Ada's First Share credential, as she would export it."""
    freeze_time(NOW)
    add_person("E1", name="Ada Lovelace")
    headers = token()
    client.post("/api/v1/events", json=event("E1", NOW), headers=headers)
    work()
    earned = client.get("/api/v1/employees/E1/badges", headers=headers).json["earned"]
    assertion = next(b for b in earned if b["slug"] == "first-share")["assertion_id"]
    credential = client.get(f"/api/v1/badges/assertions/{assertion}").json
    return credential["credentialSubject"]["achievement"]


def test_the_achievement_id_answers_json_ld_for_machines(client, work, freeze_time):
    embedded = exported_achievement(client, work, freeze_time)
    assert embedded["id"] == "http://localhost/badges/first-share/1"
    resp = client.get("/badges/first-share/1", headers=JSON)  # no sign-in
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert "Accept" in resp.headers["Vary"]
    document = resp.json
    assert document["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert {k: v for k, v in document.items() if k not in ("@context", "creator")} == embedded
    assert document["type"] == ["Achievement"] and document["creator"]["type"] == ["Profile"]
    assert spec_problems(document) == []
    linked = client.get("/badges/first-share/1", headers={"Accept": "application/ld+json"})
    assert linked.mimetype == "application/ld+json" and linked.json == document


def test_the_achievement_id_is_a_public_page_for_people(client, work, freeze_time):
    exported_achievement(client, work, freeze_time)
    resp = client.get("/badges/sharer/2", headers={"Accept": "text/html,*/*;q=0.8"})
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert '<h1>Sharer <span class="badge-level">Silver</span></h1>' in html
    assert "Share 50 times." in html and "/static/badges/sharer.svg" in html
    # The other levels link to their own pages.
    assert 'href="/badges/sharer/1">Bronze</a>' in html
    assert '<strong aria-current="page">Silver</strong>' in html


def test_unknown_badges_and_levels_are_404s_in_the_right_form(client):
    page = client.get("/badges/sharer/9")
    assert page.status_code == 404 and "couldn't find that badge" in page.get_data(as_text=True)
    missing = client.get("/badges/no-such-badge/1", headers=JSON)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get("/badges/sharer/not-a-level").status_code == 404


def test_a_badge_gone_from_the_live_rules_still_resolves(client, work, freeze_time):
    exported_achievement(client, work, freeze_time)
    document = copy.deepcopy(load_default_document())
    document["badges"] = [b for b in document["badges"] if b["slug"] != "networker"]
    rescore(save_ruleset(document, note="no more networker"))
    resp = client.get("/badges/networker/1", headers=JSON)
    assert resp.status_code == 200 and resp.json["name"] == "Networker"
