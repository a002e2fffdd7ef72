"""Badges, tiers, notifications and re-scoring through the real job and API."""

from __future__ import annotations

import copy

from sqlalchemy import func, select

from recognition.extensions import db
from scoring.ledger import score_events
from scoring.models import BadgeAward, Event, LedgerGeneration, Notification, PointAward
from scoring.rules import load_default_document
from scoring.rulesets import save_ruleset
from tests.helpers import add_person, event, token

NOW = "2026-11-20T12:00:00+00:00"  # a Friday


def post(client, headers, events):
    resp = client.post("/api/v1/events", json={"events": events}, headers=headers)
    assert resp.status_code == 202, resp.json
    return resp.json


def summary(client, headers, employee_id):
    resp = client.get(f"/api/v1/employees/{employee_id}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def earned(client, headers, employee_id) -> dict[tuple[str, int], dict]:
    body = client.get(f"/api/v1/employees/{employee_id}/badges", headers=headers).json
    return {(b["slug"], b["level"]): b for b in body["earned"]}


def shares_on(day: str, n: int, who: str = "E1", **extra) -> list[dict]:
    return [event(who, f"{day}T{8 + i % 10:02d}:{i // 10:02d}:00+00:00", **extra) for i in range(n)]


def test_badges_award_at_the_exact_threshold_with_their_cause(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    # Nine shares over two days: First Share, not yet Sharer Bronze (10).
    post(client, headers, shares_on("2026-11-18", 5) + shares_on("2026-11-19", 4))
    work()
    have = earned(client, headers, "E1")
    assert set(have) == {("first-share", 1)}
    progress = {p["slug"]: p for p in summary(client, headers, "E1")["badges"]["progress"]}
    assert (progress["sharer"]["current"], progress["sharer"]["target"]) == (9, 10)
    assert progress["sharer"]["label"] == "Bronze"
    post(client, headers, [event("E1", "2026-11-20T09:00:00+00:00", id="tenth")])
    work()
    have = earned(client, headers, "E1")
    assert ("sharer", 1) in have and ("sharer", 2) not in have
    award = db.session.scalar(select(BadgeAward).where(BadgeAward.badge == "sharer"))
    tenth = db.session.scalar(select(Event).where(Event.external_id == "tenth"))
    assert (award.cause_type, award.cause_id) == ("event", tenth.id)
    assert award.earned_at == tenth.occurred_at
    # 100 points this week (Mon 16th to Sun 22nd): Centurion, at exactly 100.
    assert ("centurion", 1) in have
    first = db.session.scalar(select(BadgeAward).where(BadgeAward.badge == "first-share"))
    assert first.earned_at.isoformat().startswith("2026-11-18T08:00")


def test_no_badge_twice_under_retries(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(client, headers, shares_on("2026-11-20", 3))
    ids = list(db.session.scalars(select(Event.id)))
    score_events(ids)
    score_events(ids)
    work()
    assert db.session.scalar(select(func.count()).select_from(BadgeAward)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_notifications_for_badges_and_tier_reached(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    # 150 points in 90 days with 20 engagements per share: the Advocate tier.
    post(client, headers, [*shares_on("2026-11-20", 5), event("E1", NOW, type_="like", count=100)])
    work()
    body = client.get("/api/v1/employees/E1/notifications", headers=headers).json
    titles = sorted(n["title"] for n in body["items"])
    assert titles == [
        "You earned Centurion",
        "You earned First Share",
        "You reached the Advocate tier",
    ]
    assert body["unread"] == 3
    assert summary(client, headers, "E1")["tier"]["slug"] == "advocate"
    from scoring.badges import mark_read

    person_id = db.session.scalar(select(Notification.employee_id))
    assert mark_read(person_id) == 3
    unread = client.get("/api/v1/employees/E1/notifications?unread=1", headers=headers).json
    assert unread == {"unread": 0, "items": []}


def _reach_advocate(client, work) -> dict:
    """E1 earns 200 points on 3-4 November with 10 engagements per share (advocate)."""
    add_person("E1")
    headers = token()
    post(
        client,
        headers,
        shares_on("2026-11-03", 5)
        + shares_on("2026-11-04", 5)
        + [event("E1", "2026-11-04T10:00:00+00:00", type_="like", count=100)],
    )
    work()
    return headers


def test_tier_promotion_and_two_week_demotion(client, work, freeze_time, runner):
    freeze_time("2026-11-04T12:00:00+00:00")  # a Wednesday
    headers = _reach_advocate(client, work)
    assert summary(client, headers, "E1")["tier"]["slug"] == "advocate"  # 200 points, 10/share
    promoted = db.session.scalar(select(Notification).where(Notification.kind == "tier_reached"))
    assert promoted is not None and "Advocate" in promoted.title
    # 90 days later the points have rolled out of the window; the tier holds for
    # two full ISO weeks below the threshold before it drops.
    freeze_time("2027-02-02T12:00:00+00:00")  # a Tuesday, 90 days on
    assert runner.invoke(args=["laurel", "review-tiers"]).exit_code == 0
    assert summary(client, headers, "E1")["tier"]["slug"] == "advocate"
    freeze_time("2027-02-21T12:00:00+00:00")  # Sunday: the second full week not over yet
    runner.invoke(args=["laurel", "review-tiers"])
    assert summary(client, headers, "E1")["tier"]["slug"] == "advocate"
    freeze_time("2027-02-22T12:00:00+00:00")  # Monday after two full weeks below
    runner.invoke(args=["laurel", "review-tiers"])
    assert summary(client, headers, "E1")["tier"]["slug"] == "contributor"


def test_revocation_is_kept_in_history_and_survives_a_rescore(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    admin = token("admin")
    post(client, headers, shares_on("2026-11-20", 1))
    work()
    assertion = earned(client, headers, "E1")[("first-share", 1)]["assertion_id"]
    assert client.get(f"/api/v1/badges/assertions/{assertion}").status_code == 200
    refused = client.post(
        f"/api/v1/admin/badges/assertions/{assertion}/revoke", json={}, headers=admin
    )
    assert refused.status_code == 422 and "reason" in refused.json["errors"]
    resp = client.post(
        f"/api/v1/admin/badges/assertions/{assertion}/revoke",
        json={"reason": "shared a post that was not approved"},
        headers=admin,
    )
    assert resp.status_code == 200, resp.json
    assert earned(client, headers, "E1") == {}
    gone = client.get(f"/api/v1/badges/assertions/{assertion}")
    assert gone.status_code == 410 and gone.json["reason"] == "shared a post that was not approved"
    row = db.session.scalar(select(BadgeAward))
    assert row.revoked_reason and row.revoked_by == "test-sync"
    # Another share does not earn the revoked badge again, and nor does a re-score.
    post(client, headers, [event("E1", "2026-11-20T13:00:00+00:00")])
    work()
    from scoring.rescore import rescore

    rescore(1)
    assert earned(client, headers, "E1") == {}
    assert client.get(f"/api/v1/badges/assertions/{assertion}").status_code == 410


def test_manual_badge_is_given_by_an_admin_only(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    admin = token("admin")
    body = {"employee_id": "E1", "badge": "recognised-advocate"}
    assert (
        client.post("/api/v1/admin/badges/award", json=body, headers=token("read")).status_code
        == 403
    )
    resp = client.post("/api/v1/admin/badges/award", json=body, headers=admin)
    assert resp.status_code == 201, resp.json
    again = client.post("/api/v1/admin/badges/award", json=body, headers=admin)
    assert again.status_code == 422
    earned_one = client.post(
        "/api/v1/admin/badges/award", json={"employee_id": "E1", "badge": "sharer"}, headers=admin
    )
    assert earned_one.status_code == 422 and "badge" in earned_one.json["errors"]
    assert ("recognised-advocate", 1) in earned(client, token(), "E1")


def test_rescore_under_a_new_ruleset_switches_generations(client, work, freeze_time, runner):
    freeze_time(NOW)
    add_person("E1")
    add_person("E2", team="marketing")
    headers = token()
    post(client, headers, shares_on("2026-11-20", 2) + shares_on("2026-11-19", 1, who="E2"))
    work()
    notes_before = db.session.scalar(select(func.count()).select_from(Notification))
    doc = copy.deepcopy(load_default_document())
    doc["points"]["share"] = 20
    version = save_ruleset(doc, note="shares count double")
    result = runner.invoke(args=["laurel", "rescore", "--ruleset", str(version), "--here"])
    assert result.exit_code == 0, result.output
    board = client.get("/api/v1/leaderboard?period=all", headers=headers).json
    assert [(e["employee_id"], e["points"]) for e in board["entries"]] == [("E1", 40), ("E2", 20)]
    states = dict(db.session.execute(select(LedgerGeneration.id, LedgerGeneration.state)).all())
    assert states == {1: "retired", 2: "live"}
    # The old generation stays for audit until pruned.
    assert db.session.scalar(select(func.count()).where(PointAward.generation == 1)) == 3
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notes_before
    assert runner.invoke(args=["laurel", "prune-generations"]).exit_code == 0
    assert db.session.scalar(select(func.count()).where(PointAward.generation == 1)) == 0
    # Scoring carries on in the new generation.
    post(client, headers, [event("E2", "2026-11-20T11:00:00+00:00")])
    work()
    assert summary(client, headers, "E2")["periods"]["all"]["points"] == 40


def test_events_arriving_during_a_rescore_count_once(client, work, freeze_time):
    from scoring import rescore as rescoring

    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(client, headers, shares_on("2026-11-19", 2))
    work()
    original_replay = rescoring.replay

    def replay_then_more_arrive(*args, **kwargs):
        done = original_replay(*args, **kwargs)
        # Between the replay and the switch, a new event is accepted and scored live.
        post(client, headers, [event("E1", "2026-11-20T10:00:00+00:00", id="during")])
        work()
        return done

    rescoring.replay = replay_then_more_arrive
    try:
        result = rescoring.rescore(1)
    finally:
        rescoring.replay = original_replay
    assert result["caught_up"] == 1
    during = db.session.scalar(select(Event.id).where(Event.external_id == "during"))
    rows = db.session.scalar(
        select(func.count()).where(PointAward.cause_id == during, PointAward.generation == 2)
    )
    assert rows == 1
    assert summary(client, headers, "E1")["periods"]["all"]["points"] == 30


def test_rescore_job_reports_progress(client, work, freeze_time, app):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(client, headers, shares_on("2026-11-20", 3))
    work()
    resp = client.post("/api/v1/admin/rescore", json={"ruleset": 1}, headers=token("admin"))
    assert resp.status_code == 202
    job_id = resp.json["job_id"]
    work()
    status = client.get(f"/api/v1/admin/jobs/{job_id}", headers=token("admin")).json
    assert status["status"] == "finished"
    assert status["progress"] == {"done": 3, "total": 3}
    bad = client.post("/api/v1/admin/rescore", json={"ruleset": 99}, headers=token("admin"))
    assert bad.status_code == 422


def test_invalid_ruleset_is_refused_naming_the_field(client):
    doc = load_default_document()
    doc["points"]["share"] = -5
    resp = client.post("/api/v1/admin/rulesets", json=doc, headers=token("admin"))
    assert resp.status_code == 422 and "points.share" in resp.json["errors"]
    doc["points"]["share"] = 12
    ok = client.post("/api/v1/admin/rulesets", json=doc, headers=token("admin"))
    assert ok.status_code == 201 and ok.json["version"] == 2


def test_backfilled_history_earns_badges_quietly(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token("events:write", "events:backfill", "read")
    # A backfill of last quarter's shares: badges are earned, nobody is flooded.
    post(client, headers, shares_on("2026-09-01", 5) + shares_on("2026-09-02", 5))
    work()
    assert {("first-share", 1), ("sharer", 1)} <= set(earned(client, headers, "E1"))
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    post(client, headers, shares_on("2026-11-20", 1))
    work()
    titles = [n.title for n in db.session.scalars(select(Notification))]
    assert titles == []  # nothing new was earned by today's share


def test_summary_shows_the_tier_as_of_today(client, work, freeze_time):
    freeze_time("2026-11-04T12:00:00+00:00")
    headers = _reach_advocate(client, work)
    body = summary(client, headers, "E1")
    assert body["tier"]["slug"] == "advocate"
    assert body["tier"]["next"] == "influencer"
    components = {c["name"]: c for c in body["tier"]["progress"]}
    assert components["points_90d"]["current"] == 200
    assert components["points_90d"]["needed"] == 600


def test_assertion_is_a_public_open_badges_credential(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(client, headers, shares_on("2026-11-20", 1))
    work()
    assertion = earned(client, headers, "E1")[("first-share", 1)]["assertion_id"]
    resp = client.get(f"/api/v1/badges/assertions/{assertion}")  # no token needed
    assert resp.status_code == 200 and resp.mimetype == "application/ld+json"
    body = resp.json
    assert body["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert body["id"].endswith(f"/api/v1/badges/assertions/{assertion}")
    achievement = body["credentialSubject"]["achievement"]
    assert achievement["name"] == "First Share"
    assert achievement["criteria"]["narrative"]
    assert achievement["image"]["id"].endswith("/static/badges/first-share.svg")
    identity = body["credentialSubject"]["identifier"][0]
    assert identity["hashed"] is True and identity["identityHash"].startswith("sha256$")
    assert "e1@example.com" not in resp.get_data(as_text=True).lower()
    assert client.get("/api/v1/badges/assertions/not-a-uuid").status_code == 404
    assert (
        client.get("/api/v1/badges/assertions/00000000-0000-4000-8000-000000000000").status_code
        == 404
    )


def test_rescore_writes_in_chunks_while_streaming(client, work, freeze_time, monkeypatch):
    """Chunked commits must not cut the event stream short (a PostgreSQL cursor would close)."""
    from scoring import rescore as rescoring

    freeze_time(NOW)
    for who in ("E1", "E2", "E3"):
        add_person(who)
    headers = token()
    post(
        client,
        headers,
        [event(w, f"2026-11-1{d}T09:00:00+00:00") for w in ("E1", "E2", "E3") for d in range(8)],
    )
    work()
    monkeypatch.setattr(rescoring, "FLUSH_ROWS", 5)
    result = rescoring.rescore(1)
    assert result["events"] == 24 and result["caught_up"] == 0
    rows = db.session.scalar(
        select(func.count()).where(PointAward.generation == result["generation"])
    )
    assert rows == 24
