"""Mentorship through the API and a real worker: profiles, content topics, runs,
drafts, publishing and the relationship (on both backends)."""

from __future__ import annotations

import pytest

from recognition.extensions import db
from recognition.mentorship import service
from recognition.mentorship.models import Mentorship, Topic
from scoring.models import PersonProgress
from scoring.rulesets import live_scoring
from tests.helpers import add_person, event, token

NOW = "2026-11-20T12:00:00+00:00"
TOPICS = ("Video", "Industry: fintech", "LinkedIn writing")


def set_tier(person, slug: str) -> None:
    live = live_scoring()
    db.session.add(
        PersonProgress(generation=live.generation, employee_id=person.id, stats={}, tier=slug)
    )
    db.session.commit()


@pytest.fixture
def org(app):
    """Topics, two mentors (one Thought Leader on another team), three mentees."""
    for name in TOPICS:
        db.session.add(Topic(name=name))
    db.session.commit()
    people = {
        "M1": add_person("M1", team="sales", name="Mona"),
        "M2": add_person("M2", team="marketing", name="Milo"),
        "T1": add_person("T1", team="sales", name="Tess"),
        "T2": add_person("T2", team="sales", name="Theo"),
        "T3": add_person("T3", team="support", name="Tia"),
    }
    set_tier(people["M1"], "influencer")
    set_tier(people["M2"], "thought-leader")
    return people


def api(*scopes):
    return token(*(scopes or ("events:write", "mentorship:write", "read")))


def put_profile(client, employee_id, body, headers=None):
    return client.put(
        f"/api/v1/mentorship/profile?employee_id={employee_id}",
        json=body,
        headers=headers or api(),
    )


def offer(client, employee_id, topics, capacity=1):
    resp = put_profile(
        client, employee_id, {"offer": {"topics": list(topics), "capacity": capacity}}
    )
    assert resp.status_code == 200, resp.get_json()


def ask(client, employee_id, topics, **extra):
    resp = put_profile(client, employee_id, {"ask": {"topics": list(topics), **extra}})
    assert resp.status_code == 200, resp.get_json()


def run(client, work, mode="best_fit") -> dict:
    resp = client.post("/api/v1/mentorship/runs", json={"mode": mode}, headers=api("admin"))
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["job_id"]
    work()
    draft = client.get(resp.headers["Location"], headers=api("admin")).get_json()
    assert draft["state"] == "draft", draft
    return draft


def publish(client, run_id) -> dict:
    resp = client.post(f"/api/v1/mentorship/runs/{run_id}/publish", headers=api("admin"))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def act(client, pair_id, action, employee_id):
    return client.post(
        f"/api/v1/mentorship/pairs/{pair_id}/{action}",
        json={"employee_id": employee_id},
        headers=api(),
    )


def pairs(client, employee_id, state=None):
    query = f"employee_id={employee_id}" + (f"&state={state}" if state else "")
    resp = client.get(f"/api/v1/mentorship/pairs?{query}", headers=api())
    assert resp.status_code == 200
    return resp.get_json()["pairs"]


def test_content_topics_and_shares_make_demonstrated_topics(client, org):
    headers = api()
    resp = client.put(
        "/api/v1/content/post-1",
        json={"title": "Our fintech video", "url": "https://example.com/v", "topics": TOPICS[:2]},
        headers=headers,
    )
    assert resp.status_code == 201
    assert resp.get_json()["topics"] == ["Industry: fintech", "Video"]
    events = [
        event("M2", NOW, content_id="post-1"),
        event("M2", NOW, "comment", content_id="post-1", count=9),
    ]
    assert client.post("/api/v1/events", json={"events": events}, headers=headers).status_code < 300
    shown = client.get("/api/v1/mentorship/profile?employee_id=M2", headers=headers).get_json()
    assert shown["demonstrated"] == {"Industry: fintech": 0.5, "Video": 0.5}
    unknown = client.put(
        "/api/v1/content/post-2", json={"title": "x", "topics": ["Nope"]}, headers=headers
    )
    assert unknown.status_code == 422
    assert "Nope" in unknown.get_json()["errors"]["topics"][0]


def test_content_needs_the_events_write_scope(client, org):
    resp = client.put(
        "/api/v1/content/post-1", json={"title": "x", "topics": []}, headers=api("read")
    )
    assert resp.status_code == 403


def test_profile_and_pair_actions_need_the_mentorship_write_scope(client, org):
    body = {"offer": {"topics": ["Video"], "capacity": 1}}
    for scopes in (("read",), ("events:write", "read")):
        resp = put_profile(client, "M1", body, headers=api(*scopes))
        assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
        resp = client.post(
            "/api/v1/mentorship/pairs/1/accept?employee_id=M1", json={}, headers=api(*scopes)
        )
        assert resp.status_code == 403
    assert put_profile(client, "M1", body, headers=api("mentorship:write")).status_code == 200


def test_profile_offer_needs_the_mentor_tier(client, org):
    resp = put_profile(client, "T1", {"offer": {"topics": ["Video"], "capacity": 2}})
    assert resp.status_code == 403
    assert "Influencer" in resp.get_json()["detail"]
    ok = put_profile(client, "M1", {"offer": {"topics": ["Video"], "capacity": 2}})
    assert ok.get_json()["offer"] == {
        "topics": ["Video"],
        "capacity": 2,
        "open": True,
        "mentees": 0,
    }
    bad = put_profile(client, "M1", {"offer": {"topics": ["Video"], "capacity": 9}})
    assert bad.status_code == 422


def test_a_run_explains_pairs_with_real_shared_topics(client, work, org):
    headers = api()
    client.put("/api/v1/content/post-1", json={"title": "v", "topics": ["Video"]}, headers=headers)
    client.post(
        "/api/v1/events", json={"events": [event("M2", NOW, content_id="post-1")]}, headers=headers
    )
    offer(client, "M2", ["LinkedIn writing"], capacity=2)
    ask(client, "T1", ["Video"], goal="Make better videos")
    draft = run(client, work)
    [pair] = draft["pairs"]
    assert (pair["mentee_id"], pair["mentor_id"]) == ("T1", "M2")
    assert pair["explanation"] == (
        "shares about Video, which you want to grow in; Thought Leader; another team"
    )
    assert draft["summary"]["pairs"] == 1 and draft["summary"]["mean_fit"] == pair["fit"]
    publish(client, draft["id"])
    [proposal] = pairs(client, "T1", "proposed")
    assert proposal["explanation"] == pair["explanation"]
    assert proposal["transitions"][0]["to"] == "proposed"


def test_only_admins_run_and_publish(client, work, org):
    offer(client, "M1", ["Video"])
    ask(client, "T1", ["Video"])
    for scopes in (("read",), ("mentorship:write",)):
        refused = client.post("/api/v1/mentorship/runs", json={}, headers=api(*scopes))
        assert refused.status_code == 403
        assert refused.mimetype == "application/problem+json"
    draft = run(client, work)
    for scopes in (("read",), ("mentorship:write", "read")):
        assert (
            client.get(f"/api/v1/mentorship/runs/{draft['id']}", headers=api(*scopes)).status_code
            == 403
        )
        resp = client.post(f"/api/v1/mentorship/runs/{draft['id']}/publish", headers=api(*scopes))
        assert resp.status_code == 403
    assert pairs(client, "T1") == []
    publish(client, draft["id"])
    again = client.post(f"/api/v1/mentorship/runs/{draft['id']}/publish", headers=api("admin"))
    assert again.status_code == 409
    assert len(pairs(client, "T1")) == 1


def test_unmatched_mentees_say_why_and_capacity_holds(client, work, org):
    offer(client, "M1", ["Video"], capacity=1)
    ask(client, "T1", ["Video"])
    ask(client, "T2", ["Video"])
    ask(client, "T3", ["Industry: fintech"])
    draft = run(client, work, "most_matched")
    assert len(draft["pairs"]) == 1
    reasons = {u["mentee_id"]: u["reason"] for u in draft["summary"]["unmatched"]}
    assert reasons == {
        ({"T1", "T2"} - {draft["pairs"][0]["mentee_id"]}).pop(): "at_capacity",
        "T3": "no_topic_match",
    }
    assert draft["summary"]["load"] == [{"mentor_id": "M1", "assigned": 1, "open_slots": 1}]


def test_the_relationship_moves_through_its_states_and_refuses_illegal_steps(client, work, org):
    offer(client, "M1", ["Video"], capacity=2)
    ask(client, "T1", ["Video"])
    publish(client, run(client, work)["id"])
    [proposal] = pairs(client, "T1")
    pid = proposal["id"]
    # The mentee cannot accept for the mentor, nobody completes a proposal.
    for action, who in (("accept", "T1"), ("complete", "M1"), ("decline", "T1")):
        resp = act(client, pid, action, who)
        assert resp.status_code == 409, (action, who)
        assert resp.mimetype == "application/problem+json"
    assert act(client, pid, "accept", "T2").status_code == 403  # not a party
    assert act(client, pid, "accept", "M1").get_json()["state"] == "accepted"
    assert act(client, pid, "accept", "T1").get_json()["state"] == "active"
    assert act(client, pid, "decline", "M1").status_code == 409
    done = act(client, pid, "complete", "T1").get_json()
    assert done["state"] == "completed"
    assert [(t["from"], t["to"], t["by"]) for t in done["transitions"]] == [
        (None, "proposed", None),
        ("proposed", "accepted", "M1"),
        ("accepted", "active", "T1"),
        ("active", "completed", "T1"),
    ]
    assert all(t["at"] for t in done["transitions"])
    assert act(client, pid, "cancel", "M1").status_code == 409
    assert act(client, 999, "cancel", "M1").status_code == 404


def test_declined_pairs_are_never_proposed_again_and_bookmarks_come_first(client, work, org):
    offer(client, "M1", ["Video"], capacity=1)
    offer(client, "M2", ["LinkedIn writing"], capacity=1)
    # M1 fits T1 best; M2 is bookmarked but offers another topic.
    ask(client, "T1", ["Video"], bookmarks=["M2"])
    draft = run(client, work)
    assert [(p["mentee_id"], p["mentor_id"]) for p in draft["pairs"]] == [("T1", "M1")]
    publish(client, draft["id"])
    [proposal] = pairs(client, "T1")
    assert act(client, proposal["id"], "decline", "M1").get_json()["state"] == "declined"
    for _ in range(2):
        draft = run(client, work)
        assert [(p["mentee_id"], p["mentor_id"]) for p in draft["pairs"]] == [("T1", "M2")]
        assert "you bookmarked them" in draft["pairs"][0]["explanation"]
    # With the bookmark gone, M1 is still never proposed again.
    ask(client, "T1", ["Video"], bookmarks=[])
    offer(client, "M2", ["Industry: fintech"], capacity=1)
    draft = run(client, work)
    assert draft["pairs"] == []
    assert draft["summary"]["unmatched"][0]["reason"] == "ruled_out"


def test_accepted_pairs_are_untouched_by_a_new_run(client, work, org):
    offer(client, "M1", ["Video"], capacity=1)
    offer(client, "M2", ["Video"], capacity=1)
    ask(client, "T1", ["Video"])
    publish(client, run(client, work)["id"])
    [proposal] = pairs(client, "T1")
    mentor = proposal["mentor_id"]
    act(client, proposal["id"], "accept", mentor)
    ask(client, "T2", ["Video"])
    draft = run(client, work)
    # T1 is not matched again; T1's mentor has no slot left, so T2 gets the other one.
    assert [(p["mentee_id"], p["mentor_id"]) for p in draft["pairs"]] == [
        ("T2", ({"M1", "M2"} - {mentor}).pop())
    ]
    publish(client, draft["id"])
    mine = pairs(client, "T1")
    assert [(p["state"], p["mentor_id"]) for p in mine] == [("accepted", mentor)]
    assert db.session.query(Mentorship).count() == 2


def test_dropped_pairs_are_not_published_and_auto_publish_sends_proposals(client, work, org):
    offer(client, "M1", ["Video"], capacity=2)
    ask(client, "T1", ["Video"])
    ask(client, "T2", ["Video"])
    draft = run(client, work)
    dropped = draft["pairs"][0]
    service.drop_pair(draft["id"], dropped["id"])
    assert publish(client, draft["id"]) == {"run": draft["id"], "proposed": 1, "skipped": 0}
    assert pairs(client, dropped["mentee_id"]) == []
    service.save_settings({"auto_publish": True})
    resp = client.post("/api/v1/mentorship/runs", json={}, headers=api("admin"))
    work()
    auto = client.get(resp.headers["Location"], headers=api("admin")).get_json()
    assert auto["state"] == "published" and auto["summary"]["proposed"] == 1
    assert len(pairs(client, dropped["mentee_id"], "proposed")) == 1


def test_scheduled_runs_follow_the_schedule_setting(app, work, org, client, freeze_time):
    from recognition.mentorship.jobs import scheduled_matching_job

    offer(client, "M1", ["Video"], capacity=2)
    ask(client, "T1", ["Video"])
    freeze_time("2026-11-20T08:00:00+00:00")
    assert scheduled_matching_job() is None  # schedule off by default
    service.save_settings({"schedule": "daily"})
    assert scheduled_matching_job()["state"] == "draft"
    freeze_time("2026-11-20T20:00:00+00:00")
    assert scheduled_matching_job() is None  # not due yet
    freeze_time("2026-11-21T08:00:01+00:00")
    assert scheduled_matching_job()["state"] == "draft"


def test_bad_mentorship_input_is_a_problem_not_a_crash(client, org):
    headers = api()
    assert client.get("/api/v1/mentorship/profile", headers=headers).status_code == 422
    assert (
        client.get("/api/v1/mentorship/profile?employee_id=NOPE", headers=headers).status_code
        == 404
    )
    resp = put_profile(client, "T1", {"ask": {"topics": ["Video"], "bookmarks": ["T1"]}})
    assert resp.status_code == 422
    resp = client.post("/api/v1/mentorship/runs", json={"mode": "fastest"}, headers=api("admin"))
    assert resp.status_code == 422
    resp = client.get("/api/v1/mentorship/pairs?employee_id=T1&state=odd", headers=headers)
    assert resp.status_code == 422


def test_a_completed_mentorship_writes_one_ledger_fact_and_earns_the_mentor_badge(
    client, work, org
):
    from scoring.models import BadgeAward, PointAward

    offer(client, "M1", ["Video"], capacity=2)
    ask(client, "T1", ["Video"])
    publish(client, run(client, work)["id"])
    [proposal] = pairs(client, "T1")
    act(client, proposal["id"], "accept", "M1")
    act(client, proposal["id"], "accept", "T1")
    assert db.session.query(BadgeAward).filter_by(badge="mentor").count() == 0
    assert act(client, proposal["id"], "complete", "M1").status_code == 200
    [row] = db.session.query(PointAward).filter_by(cause_type="mentorship").all()
    assert (row.employee_id, row.cause_id, row.rule, row.points, row.quantity) == (
        org["M1"].id,
        proposal["id"],
        "mentorships_completed",
        0,
        1,
    )
    [badge] = db.session.query(BadgeAward).filter_by(badge="mentor").all()
    assert badge.employee_id == org["M1"].id
    progress = db.session.query(PersonProgress).filter_by(employee_id=org["M1"].id).one()
    assert progress.stats["mentorships_completed"] == 1
    # Recording the same completion again changes nothing.
    from scoring.human_awards import record_award

    assert not record_award(
        employee_id=org["M1"].id,
        cause_type="mentorship",
        cause_id=proposal["id"],
        rule="mentorships_completed",
        points=0,
        occurred_at=row.occurred_at,
        reason="again",
    )
    db.session.commit()
    assert db.session.query(PointAward).filter_by(cause_type="mentorship").count() == 1


def test_a_completed_mentorship_keeps_its_fact_and_badge_through_a_rescore(client, work, org):
    from scoring.models import BadgeAward, PointAward
    from scoring.rescore import rescore

    offer(client, "M1", ["Video"], capacity=2)
    ask(client, "T1", ["Video"])
    publish(client, run(client, work)["id"])
    [proposal] = pairs(client, "T1")
    for action, who in (("accept", "M1"), ("accept", "T1"), ("complete", "T1")):
        assert act(client, proposal["id"], action, who).status_code == 200
    rescore(live_scoring().ruleset.version)
    db.session.expire_all()
    gen = live_scoring().generation
    [row] = db.session.query(PointAward).filter_by(generation=gen, cause_type="mentorship").all()
    assert (row.employee_id, row.cause_id) == (org["M1"].id, proposal["id"])
    [badge] = db.session.query(BadgeAward).filter_by(generation=gen, badge="mentor").all()
    assert badge.employee_id == org["M1"].id and badge.revoked_at is None
    progress = (
        db.session.query(PersonProgress).filter_by(generation=gen, employee_id=org["M1"].id).one()
    )
    assert progress.stats["mentorships_completed"] == 1
