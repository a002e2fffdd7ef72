"""Mentorship pages: plain forms and htmx partials, for people and the admin."""

from __future__ import annotations

import re

from recognition.extensions import db
from recognition.mentorship import service
from recognition.mentorship.models import MenteeAsk, MentorOffer, Mentorship, Topic
from tests.helpers import add_person, sign_in
from tests.test_mentorship import set_tier

HX = {"HX-Request": "true"}


def setup_org():
    for name in ("Video", "Industry: fintech"):
        db.session.add(Topic(name=name))
    db.session.commit()
    admin = add_person("A1", role="admin", name="Ada Admin")
    mentor = add_person("M1", team="marketing", name="Mona Mentor")
    mentee = add_person("T1", name="Tom Mentee")
    set_tier(mentor, "thought-leader")
    return admin, mentor, mentee


def topic_id(name):
    return str(db.session.query(Topic).filter_by(name=name).one().id)


def test_offer_and_ask_through_plain_forms(client, app):
    _, mentor, mentee = setup_org()
    csrf = sign_in(client, mentee)
    page = client.get("/mentorship").get_data(as_text=True)
    assert "Ask for a mentor" in page and "Mentors are advocates at the program" in page
    resp = client.post(
        "/mentorship/ask",
        data={"csrf_token": csrf, "topics": [topic_id("Video")], "goal": "Better videos"},
    )
    assert resp.status_code == 303
    ask = db.session.get(MenteeAsk, mentee.id)
    assert [t.name for t in ask.topics] == ["Video"] and ask.goal == "Better videos"
    # Offering is for the mentor tier: refused with a message, not an error page.
    refused = client.post(
        "/mentorship/offer",
        data={"csrf_token": csrf, "topics": [topic_id("Video")], "capacity": "2"},
        follow_redirects=True,
    )
    assert refused.status_code == 200 and "Mentors need the tier Influencer" in refused.get_data(
        as_text=True
    )
    csrf = sign_in(client, mentor)
    client.post(
        "/mentorship/offer",
        data={"csrf_token": csrf, "topics": [topic_id("Video")], "capacity": "3"},
    )
    offer = db.session.get(MentorOffer, mentor.id)
    assert offer.capacity == 3 and offer.open
    bad = client.post(
        "/mentorship/offer",
        data={"csrf_token": csrf, "topics": [topic_id("Video")], "capacity": "9"},
        follow_redirects=True,
    )
    assert "Capacity: choose from 1 to 5" in bad.get_data(as_text=True)
    # The mentee finds the mentor by topic and bookmarks them.
    csrf = sign_in(client, mentee)
    browse = client.get(f"/mentorship?topic={topic_id('Video')}").get_data(as_text=True)
    assert "Mona Mentor" in browse
    client.post("/mentorship/bookmarks", data={"csrf_token": csrf, "mentor_id": "M1"})
    assert service.profile(mentee)["ask"]["bookmarks"] == ["M1"]


def test_admin_runs_reviews_drops_and_publishes_and_the_mentor_accepts_by_htmx(client, app, work):
    admin, mentor, mentee = setup_org()
    other = add_person("T2", name="Tina Two")
    service.save_profile(mentor, {"offer": {"topics": ["Video"], "capacity": 2}})
    service.save_profile(mentee, {"ask": {"topics": ["Video"]}})
    service.save_profile(other, {"ask": {"topics": ["Video"]}})
    csrf = sign_in(client, admin)
    assert "Run matching" in client.get("/admin/mentorship").get_data(as_text=True)
    resp = client.post("/admin/mentorship/runs", data={"csrf_token": csrf, "mode": "most_matched"})
    assert resp.status_code == 303
    run_url = resp.headers["Location"]
    waiting = client.get(run_url).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in waiting and "queued" in waiting
    work()
    draft = client.get(run_url).get_data(as_text=True)
    assert "Mean fit of the pairs" in draft and "Publish: send 2 proposals" in draft
    assert "offers Video, which you want to grow in; Thought Leader; another team" in draft
    run_id = int(re.search(r"/runs/(\d+)", run_url).group(1))
    pair = next(p for p in service.get_run(run_id).pairs if p.mentee_id == other.id)
    client.post(f"/admin/mentorship/runs/{run_id}/pairs/{pair.id}/drop", data={"csrf_token": csrf})
    assert "Publish: send 1 proposals" in client.get(run_url).get_data(as_text=True)
    client.post(f"/admin/mentorship/runs/{run_id}/publish", data={"csrf_token": csrf})
    [proposal] = db.session.query(Mentorship).all()
    assert proposal.mentee_id == mentee.id and proposal.state == "proposed"
    # The mentor sees the proposal with its explanation and accepts it in place.
    csrf = sign_in(client, mentor)
    page = client.get("/mentorship").get_data(as_text=True)
    assert "Why: offers Video" in page and "Mentoring Tom Mentee" in page
    swap = client.post(
        f"/mentorship/pairs/{proposal.id}/accept", headers={**HX, "X-CSRF-Token": csrf}
    )
    html = swap.get_data(as_text=True)
    assert swap.status_code == 200 and "<html" not in html and "Mentorship accepted." in html
    again = client.post(
        f"/mentorship/pairs/{proposal.id}/decline", headers={**HX, "X-CSRF-Token": csrf}
    )
    assert again.status_code == 200 and "cannot be declined" in again.get_data(as_text=True)


def test_admin_mentorship_pages_are_for_admins_only(client, app):
    _, _, mentee = setup_org()
    csrf = sign_in(client, mentee)
    assert client.get("/admin/mentorship").status_code == 403
    assert client.post("/admin/mentorship/runs", data={"csrf_token": csrf}).status_code == 403
    assert (
        client.post("/admin/mentorship/runs/1/publish", data={"csrf_token": csrf}).status_code
        == 403
    )


def test_admin_keeps_topics_and_settings(client, app):
    admin, _, _ = setup_org()
    csrf = sign_in(client, admin)
    client.post("/admin/mentorship/topics", data={"csrf_token": csrf, "name": "  Podcasts "})
    assert [t.name for t in service.topics()] == ["Industry: fintech", "Podcasts", "Video"]
    dup = client.post(
        "/admin/mentorship/topics",
        data={"csrf_token": csrf, "name": "video"},
        follow_redirects=True,
    )
    assert "already on the list" in dup.get_data(as_text=True)
    form = {
        "csrf_token": csrf,
        "mode": "most_matched",
        "schedule": "weekly",
        "min_tier": "advocate",
        "auto_publish": "1",
        **{name: "1" for name in ("offered", "demonstrated", "tier_gap", "cross_team")},
        **{name: "0.5" for name in ("cross_team_asked", "bookmark", "bookmark_after_decline")},
    }
    client.post("/admin/mentorship/settings", data=form)
    saved = service.settings()
    assert (saved["mode"], saved["schedule"], saved["min_tier"], saved["auto_publish"]) == (
        "most_matched",
        "weekly",
        "advocate",
        True,
    )
    assert saved["weights"]["demonstrated"] == 1.0
    bad = client.post(
        "/admin/mentorship/settings", data={**form, "offered": "lots"}, follow_redirects=True
    )
    assert "Not saved. Offered topics: a number from 0 to 100" in bad.get_data(as_text=True)


def test_the_demo_seed_has_topics_a_dozen_mentors_and_mentees_and_every_state(app):
    from recognition.seed import seed_demo

    summary = seed_demo(people=60, days=30, random_seed=5)
    assert set(summary["mentorships"]) == {
        "proposed",
        "accepted",
        "declined",
        "active",
        "completed",
        "cancelled",
    }
    assert db.session.query(MentorOffer).count() == 12
    assert db.session.query(MenteeAsk).count() == 12
    assert len(service.topics()) >= 5
    drafts = [r for r in service.latest_runs() if r.state == "draft"]
    assert drafts, "a draft waits for the admin's review"
    # Every proposal names real topics of the mentee's ask in its explanation.
    for mentorship in db.session.query(Mentorship).all():
        wanted = {t.name for t in db.session.get(MenteeAsk, mentorship.mentee_id).topics}
        assert any(name in mentorship.explanation for name in wanted), mentorship.explanation
