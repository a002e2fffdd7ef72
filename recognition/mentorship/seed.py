"""The demo organisation's mentorship: topics on its content, a dozen mentors and
mentees, and mentorships in every state (through the same service calls as live)."""

from __future__ import annotations

import random

from sqlalchemy import select

from recognition.extensions import db
from recognition.mentorship import service
from recognition.mentorship.models import Topic
from recognition.people import Employee
from scoring.models import Event, PersonProgress
from scoring.rulesets import live_scoring

TOPICS = (
    "LinkedIn writing",
    "Video",
    "Industry: fintech",
    "Industry: healthcare",
    "Product launches",
    "Employer branding",
    "Data and AI",
    "Public speaking",
)
GOALS = (
    "Write posts people finish reading",
    "Get comfortable on camera",
    "Build a following in our industry",
    "Share launches without sounding like an ad",
    "Turn talks into posts",
)
PEOPLE_EACH = 12


def seed_mentorship(rng: random.Random) -> dict:
    """Topics, content topics, offers, asks, one published run and a new draft."""
    for name in TOPICS:
        db.session.add(Topic(name=name))
    db.session.commit()
    topics = service.topics()
    # The most shared topics come first, so some topics are far more common.
    weights = [1 / (rank + 1) for rank in range(len(topics))]
    content_ids = sorted(
        db.session.scalars(select(Event.content_id).where(Event.content_id.isnot(None)).distinct()),
        key=lambda c: int(c.split("-")[-1]) if c.split("-")[-1].isdigit() else 0,
    )
    for content_id in content_ids:
        chosen = {t.name for t in rng.choices(topics, weights, k=rng.choice((1, 2)))}
        number = content_id.split("-")[-1]
        service.put_content(
            content_id,
            {
                "title": f"Company post {number}",
                "url": f"https://example.com/news/{number}",
                "topics": sorted(chosen),
            },
        )
    mentors, mentees = _people(rng)
    shown = service.demonstrated_topics([m.id for m in mentors])
    names = {t.id: t.name for t in topics}
    for mentor in mentors:
        strongest = sorted(shown.get(mentor.id, {}), key=lambda t: -shown[mentor.id][t])[:2]
        offered = {names[t] for t in strongest} | {rng.choice(topics).name}
        service.save_profile(
            mentor, {"offer": {"topics": sorted(offered), "capacity": rng.randint(1, 3)}}
        )
    for mentee in mentees:
        wanted = {t.name for t in rng.choices(topics, weights, k=rng.choice((1, 2, 2, 3)))}
        ask = {
            "topics": sorted(wanted),
            "goal": rng.choice(GOALS),
            "prefers_other_team": rng.random() < 0.3,
        }
        if rng.random() < 0.3:
            ask["bookmarks"] = [rng.choice(mentors).external_id]
        service.save_profile(mentee, {"ask": ask})
    run = service.start_run("most_matched", None)
    service.execute_run(run.id)
    service.publish_run(run.id, None)
    states = _walk_states(mentors + mentees)
    draft = service.start_run("best_fit", None)
    service.execute_run(draft.id)
    return {"mentors": len(mentors), "mentees": len(mentees), "mentorships": states}


def _people(rng: random.Random) -> tuple[list[Employee], list[Employee]]:
    """The dozen furthest along mentor (the mentor tier is set to let them), the
    next dozen or so ask."""
    live = live_scoring()
    order = {t.slug: rank for rank, t in enumerate(live.ruleset.tiers)}
    tiers = dict(
        db.session.execute(
            select(PersonProgress.employee_id, PersonProgress.tier).where(
                PersonProgress.generation == live.generation
            )
        ).all()
    )
    people = list(db.session.scalars(select(Employee).where(Employee.active).order_by(Employee.id)))
    people.sort(key=lambda e: (-order.get(tiers.get(e.id), 0), e.id))
    mentors = people[:PEOPLE_EACH]
    lowest = min((order.get(tiers.get(e.id), 0) for e in mentors), default=0)
    service.save_settings({"min_tier": live.ruleset.tiers[lowest].slug})
    rest = people[PEOPLE_EACH:]
    mentees = rng.sample(rest, min(len(rest), PEOPLE_EACH))
    return mentors, mentees


def _walk_states(people: list[Employee]) -> dict[str, int]:
    """Move the published proposals on, so every state has a mentorship."""
    by_id = {p.id: p for p in people}
    proposals = [m for m in service.mentorships_of_many(by_id) if m.state == "proposed"]
    plans = [
        [],  # stays proposed
        [("accept", "mentor")],  # accepted, waiting for the mentee
        [("decline", "mentor")],
        [("accept", "mentor"), ("accept", "mentee")],  # active
        [("accept", "mentor"), ("accept", "mentee"), ("complete", "mentee")],
        [("cancel", "mentee")],
    ]
    for k, mentorship in enumerate(proposals):
        for action, side in plans[k % len(plans)]:
            actor = by_id[mentorship.mentor_id if side == "mentor" else mentorship.mentee_id]
            service.transition(mentorship.id, action, actor)
    counts: dict[str, int] = {}
    for m in service.mentorships_of_many(by_id):
        counts[m.state] = counts.get(m.state, 0) + 1
    return counts
