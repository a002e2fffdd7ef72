"""Mentorship use cases. Each public function that writes owns its transaction
and commits; the views, API, CLI and jobs call one of them.

The matching itself is `recognition.mentorship.matching` (pure); this module
loads the organisation into it and stores what it decides.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, func, select

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from recognition.mentorship import matching
from recognition.mentorship.models import (
    MAX_CAPACITY,
    MIN_CAPACITY,
    OPEN_STATES,
    Bookmark,
    ContentItem,
    DraftPair,
    MatchingRun,
    MatchingSettings,
    MenteeAsk,
    MentorOffer,
    Mentorship,
    Topic,
    Transition,
)
from recognition.people import Employee
from scoring.human_awards import record_award
from scoring.ledger import in_write_transaction
from scoring.models import Event, PersonProgress
from scoring.rulesets import live_scoring

WEIGHT_NAMES = tuple(f.name for f in dataclasses.fields(matching.Weights))
SCHEDULES = {"off": None, "daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
DEFAULT_SETTINGS = {
    "mode": matching.Mode.BEST_FIT.value,
    # Who may mentor: this tier (slug) and above.
    "min_tier": "influencer",
    "auto_publish": False,
    "schedule": "off",
    "weights": {name: getattr(matching.Weights(), name) for name in WEIGHT_NAMES},
}
# How quickly demonstrated weight saturates: a topic shared with this much
# (shares plus the engagement they earned) counts half of the full weight.
DEMONSTRATED_HALF = 10
MAX_TOPICS = 10


class MentorshipError(Exception):
    """A refusal the API answers as problem+json and a page shows as a message."""

    status = 400
    title = "Bad Request"

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class NotFound(MentorshipError):
    status, title = 404, "Not Found"


class Forbidden(MentorshipError):
    status, title = 403, "Forbidden"


class Conflict(MentorshipError):
    status, title = 409, "Conflict"


class Invalid(MentorshipError):
    status, title = 422, "Unprocessable Content"


# --- settings and topics --------------------------------------------------------------


def settings() -> dict:
    """The organisation's matching settings, defaults filled in."""
    row = db.session.get(MatchingSettings, 1)
    stored = dict(row.document) if row else {}
    merged = {**DEFAULT_SETTINGS, **{k: v for k, v in stored.items() if k != "weights"}}
    merged["weights"] = {**DEFAULT_SETTINGS["weights"], **stored.get("weights", {})}
    return merged


def weights_of(document: dict) -> matching.Weights:
    return matching.Weights(**document["weights"])


def save_settings(changes: dict) -> dict:
    """Store validated settings (`SettingsSchema`); returns them in full."""
    document = settings()
    weights = {**document["weights"], **changes.pop("weights", {})}
    document.update(changes)
    document["weights"] = weights
    try:
        weights_of(document)
    except ValueError as exc:
        raise Invalid("The weights are not valid.", {"weights": [str(exc)]}) from None
    tiers = [t.slug for t in live_scoring().ruleset.tiers]
    if document["min_tier"] not in tiers:
        raise Invalid(
            "Unknown tier.", {"min_tier": [f"must be one of the ruleset's tiers: {tiers}"]}
        )
    begin_write(db.session)
    row = db.session.get(MatchingSettings, 1)
    if row is None:
        db.session.add(MatchingSettings(id=1, document=document))
    else:
        row.document = document
    db.session.commit()
    return document


def topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.name)))


def add_topic(name: str) -> Topic:
    name = " ".join(name.split())
    if not name:
        raise Invalid("A topic needs a name.", {"name": ["must not be blank"]})
    begin_write(db.session)
    if db.session.scalar(select(Topic).where(func.lower(Topic.name) == name.lower())):
        db.session.rollback()
        raise Conflict(f"The topic {name!r} is already on the list.")
    topic = Topic(name=name)
    db.session.add(topic)
    db.session.commit()
    return topic


def remove_topic(topic_id: int) -> None:
    """Take a topic off the list (and off content, offers and asks)."""
    begin_write(db.session)
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        db.session.rollback()
        raise NotFound(f"No topic with id {topic_id}.")
    for model in (ContentItem, MentorOffer, MenteeAsk):
        for owner in db.session.scalars(select(model).where(model.topics.contains(topic))):
            owner.topics.remove(topic)
    db.session.delete(topic)
    db.session.commit()


def _topics_named(names: Iterable[str], field: str) -> list[Topic]:
    wanted = list(dict.fromkeys(" ".join(n.split()) for n in names))
    if len(wanted) > MAX_TOPICS:
        raise Invalid("Too many topics.", {field: [f"at most {MAX_TOPICS} topics"]})
    found = {
        t.name.lower(): t
        for t in db.session.scalars(
            select(Topic).where(func.lower(Topic.name).in_([n.lower() for n in wanted]))
        )
    }
    unknown = [n for n in wanted if n.lower() not in found]
    if unknown:
        known = ", ".join(t.name for t in topics()) or "none yet"
        raise Invalid(
            "Unknown topic.",
            {field: [f"not on the topic list: {', '.join(unknown)} (the list: {known})"]},
        )
    return [found[n.lower()] for n in wanted]


def put_content(content_id: str, data: dict) -> tuple[ContentItem, bool]:
    """Create or update a content item and its topics; (item, created)."""
    begin_write(db.session)
    try:
        chosen = _topics_named(data["topics"], "topics")
    except Invalid:
        db.session.rollback()
        raise
    item = db.session.scalar(select(ContentItem).where(ContentItem.content_id == content_id))
    created = item is None
    if created:
        item = ContentItem(content_id=content_id)
        db.session.add(item)
    item.title = data["title"]
    item.url = data.get("url")
    item.topics = chosen
    db.session.commit()
    return item, created


# --- who is who --------------------------------------------------------------------------


def person(employee_id: str) -> Employee:
    found = db.session.scalar(select(Employee).where(Employee.external_id == employee_id))
    if found is None:
        raise NotFound(f"No employee with id {employee_id!r}.")
    return found


def _tier_ranks(employee_ids: Iterable[int]) -> tuple[dict[int, int], dict[int, str], dict]:
    """({employee id: tier rank}, {rank: tier name}, {slug: rank}) in the live generation."""
    live = live_scoring()
    by_slug = {t.slug: rank for rank, t in enumerate(live.ruleset.tiers)}
    names = {rank: t.name for rank, t in enumerate(live.ruleset.tiers)}
    ids = list(employee_ids)
    ranks: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            select(PersonProgress.employee_id, PersonProgress.tier).where(
                PersonProgress.generation == live.generation,
                PersonProgress.employee_id.in_(ids[start : start + 500]),
            )
        )
        ranks.update({e: by_slug.get(tier, 0) for e, tier in rows})
    return ranks, names, by_slug


def may_mentor(employee: Employee, document: dict | None = None) -> bool:
    """The person's tier allows mentoring (the `min_tier` setting)."""
    document = document or settings()
    ranks, _, by_slug = _tier_ranks([employee.id])
    return ranks.get(employee.id, 0) >= by_slug.get(document["min_tier"], 0)


def demonstrated_topics(employee_ids: Iterable[int]) -> dict[int, dict[int, float]]:
    """{employee id: {topic id: weight in [0, 1)}} from what each person shared.

    A topic's evidence is the person's shares of content with that topic plus the
    engagement those shares earned (events with the same person and content_id);
    the weight is evidence / (evidence + DEMONSTRATED_HALF), so a few strong
    shares count and one quiet share counts little.
    """
    people = {
        e.external_id: e.id
        for e in db.session.scalars(select(Employee).where(Employee.id.in_(list(employee_ids))))
    }
    if not people:
        return {}
    item_topics: dict[str, list[int]] = defaultdict(list)
    rows = db.session.execute(select(ContentItem.content_id, Topic.id).join(ContentItem.topics))
    for content_id, topic_id in rows:
        item_topics[content_id].append(topic_id)
    if not item_topics:
        return {}
    evidence: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    refs = list(people)
    for start in range(0, len(refs), 500):
        rows = db.session.execute(
            select(
                Event.employee_ref,
                Event.content_id,
                Event.type,
                func.count(),
                func.sum(Event.count),
            )
            .where(
                Event.employee_ref.in_(refs[start : start + 500]),
                Event.content_id.in_(list(item_topics)),
            )
            .group_by(Event.employee_ref, Event.content_id, Event.type)
        )
        for ref, content_id, type_, events, counted in rows:
            # A share is one action whatever its count; engagements count in full.
            amount = events if type_ == "share" else int(counted or 0)
            for topic_id in item_topics[content_id]:
                evidence[people[ref]][topic_id] += amount
    return {
        person_id: {t: n / (n + DEMONSTRATED_HALF) for t, n in by_topic.items() if n > 0}
        for person_id, by_topic in evidence.items()
    }


# --- profiles -----------------------------------------------------------------------------


def profile(employee: Employee) -> dict:
    """What the person offers and asks for, and whether they may mentor."""
    offer = db.session.get(MentorOffer, employee.id)
    ask = db.session.get(MenteeAsk, employee.id)
    bookmarks = db.session.scalars(
        select(Employee.external_id)
        .join(Bookmark, Bookmark.mentor_id == Employee.id)
        .where(Bookmark.mentee_id == employee.id)
        .order_by(Employee.external_id)
    ).all()
    shown = demonstrated_topics([employee.id]).get(employee.id, {})
    names = {t.id: t.name for t in topics()}
    return {
        "employee_id": employee.external_id,
        "may_mentor": may_mentor(employee),
        "offer": None
        if offer is None
        else {
            "topics": [t.name for t in offer.topics],
            "capacity": offer.capacity,
            "open": offer.open,
            "mentees": _open_count(mentor_id=employee.id),
        },
        "ask": None
        if ask is None
        else {
            "topics": [t.name for t in ask.topics],
            "goal": ask.goal,
            "prefers_other_team": ask.prefers_other_team,
            "bookmarks": list(bookmarks),
        },
        "demonstrated": {
            names[t]: round(w, 3)
            for t, w in sorted(shown.items(), key=lambda kv: -kv[1])
            if t in names
        },
    }


def _open_count(*, mentor_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(
            Mentorship.mentor_id == mentor_id, Mentorship.state.in_(OPEN_STATES)
        )
    )


def save_profile(employee: Employee, data: dict) -> dict:
    """Offer to mentor and/or ask for a mentor (`ProfileSchema` data). A key left
    out keeps what was there; `null` withdraws the offer or the ask."""
    document = settings()
    if data.get("offer") and not may_mentor(employee, document):
        tiers = {t.slug: t.name for t in live_scoring().ruleset.tiers}
        needed = tiers.get(document["min_tier"], document["min_tier"])
        raise Forbidden(f"Mentors need the tier {needed} or above.")
    begin_write(db.session)
    try:
        if "offer" in data:
            _save_offer(employee, data["offer"])
        if "ask" in data:
            _save_ask(employee, data["ask"])
    except MentorshipError:
        db.session.rollback()
        raise
    db.session.commit()
    return profile(employee)


def _profile_row(model, employee: Employee, body: dict | None, field: str):
    """The person's offer or ask row with its topics from `body`, created when
    missing; None (the row deleted) when `body` is None."""
    row = db.session.get(model, employee.id)
    if body is None:
        if row is not None:
            row.topics = []
            db.session.delete(row)
        return None
    if row is None:
        row = model(employee_id=employee.id)
        db.session.add(row)
    row.topics = _topics_named(body["topics"], f"{field}.topics")
    return row


def _save_offer(employee: Employee, offer: dict | None) -> None:
    row = _profile_row(MentorOffer, employee, offer, "offer")
    if row is None:
        return
    row.capacity = offer.get("capacity", row.capacity or MIN_CAPACITY)
    row.open = offer.get("open", True if row.open is None else row.open)
    if not MIN_CAPACITY <= row.capacity <= MAX_CAPACITY:
        raise Invalid("Capacity out of range.", {"offer.capacity": ["must be from 1 to 5"]})


def _save_ask(employee: Employee, ask: dict | None) -> None:
    db.session.execute(delete(Bookmark).where(Bookmark.mentee_id == employee.id))
    row = _profile_row(MenteeAsk, employee, ask, "ask")
    if row is None:
        return
    row.goal = ask.get("goal", row.goal or "")
    row.prefers_other_team = ask.get("prefers_other_team", bool(row.prefers_other_team))
    for mentor_ref in dict.fromkeys(ask.get("bookmarks", [])):
        mentor = db.session.scalar(select(Employee).where(Employee.external_id == mentor_ref))
        if mentor is None or mentor.id == employee.id:
            raise Invalid(
                "Unknown mentor.", {"ask.bookmarks": [f"no other employee {mentor_ref!r}"]}
            )
        db.session.add(Bookmark(mentee_id=employee.id, mentor_id=mentor.id))


def toggle_bookmark(employee: Employee, mentor_ref: str) -> bool:
    """Bookmark a mentor, or take the bookmark away; True when now bookmarked."""
    mentor = person(mentor_ref)
    if mentor.id == employee.id:
        raise Invalid("You cannot bookmark yourself.", {"mentor_id": ["must be someone else"]})
    begin_write(db.session)
    row = db.session.get(Bookmark, (employee.id, mentor.id))
    if row is None:
        db.session.add(Bookmark(mentee_id=employee.id, mentor_id=mentor.id))
    else:
        db.session.delete(row)
    db.session.commit()
    return row is None


def browse_mentors(topic_id: int | None = None) -> list[dict]:
    """Open mentors (eligible, with a free slot), optionally offering or sharing
    about a topic, the most strongly demonstrated first."""
    document = settings()
    offers = list(db.session.scalars(select(MentorOffer).where(MentorOffer.open.is_(True))))
    ids = [o.employee_id for o in offers]
    ranks, tier_names, by_slug = _tier_ranks(ids)
    least = by_slug.get(document["min_tier"], 0)
    shown = demonstrated_topics(ids)
    people = {e.id: e for e in db.session.scalars(select(Employee).where(Employee.id.in_(ids)))}
    load = _loads(ids)
    names = {t.id: t.name for t in topics()}
    found = []
    for offer in offers:
        employee = people.get(offer.employee_id)
        if employee is None or not employee.active or ranks.get(employee.id, 0) < least:
            continue
        offered = {t.id for t in offer.topics}
        demonstrated = shown.get(employee.id, {})
        if topic_id is not None and topic_id not in offered and topic_id not in demonstrated:
            continue
        found.append(
            {
                "employee": employee,
                "tier": tier_names.get(ranks.get(employee.id, 0)),
                "offers": [t.name for t in offer.topics],
                "shares_about": [
                    names[t]
                    for t in sorted(demonstrated, key=lambda t: -demonstrated[t])
                    if t in names
                ],
                "free": max(0, offer.capacity - load.get(employee.id, 0)),
                "strength": demonstrated.get(topic_id, 0.0) if topic_id else 0.0,
            }
        )
    found.sort(key=lambda m: (-m["strength"], -m["free"], m["employee"].name))
    return [m for m in found if m["free"] > 0]


def _loads(mentor_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Mentorship.mentor_id, func.count())
        .where(Mentorship.mentor_id.in_(mentor_ids), Mentorship.state.in_(OPEN_STATES))
        .group_by(Mentorship.mentor_id)
    )
    return dict(rows.all())


# --- runs ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Organisation:
    mentees: list[matching.Mentee]
    mentors: list[matching.Mentor]
    topic_names: dict[int, str]
    tier_names: dict[int, str]


def load_organisation(document: dict) -> Organisation:
    """Every open ask and every offer, as the engine takes them.

    Mentees with an open mentorship (proposed, accepted or active) are left out,
    so a run never touches those pairs; a mentor's open slots are their capacity
    less their open mentorships. Declined pairs are passed as `declined_by`.
    """
    active = {e.id: e for e in db.session.scalars(select(Employee).where(Employee.active))}
    busy_mentees = set(
        db.session.scalars(select(Mentorship.mentee_id).where(Mentorship.state.in_(OPEN_STATES)))
    )
    declined: dict[int, set[int]] = defaultdict(set)
    for mentee_id, mentor_id in db.session.execute(
        select(Mentorship.mentee_id, Mentorship.mentor_id).where(Mentorship.state == "declined")
    ):
        declined[mentee_id].add(mentor_id)
    bookmarks: dict[int, set[int]] = defaultdict(set)
    for mentee_id, mentor_id in db.session.execute(select(Bookmark.mentee_id, Bookmark.mentor_id)):
        bookmarks[mentee_id].add(mentor_id)
    asks = [
        a
        for a in db.session.scalars(select(MenteeAsk))
        if a.employee_id in active and a.employee_id not in busy_mentees
    ]
    offers = [o for o in db.session.scalars(select(MentorOffer)) if o.employee_id in active]
    ranks, tier_names, by_slug = _tier_ranks(
        {a.employee_id for a in asks} | {o.employee_id for o in offers}
    )
    least = by_slug.get(document["min_tier"], 0)
    load = _loads([o.employee_id for o in offers])
    shown = demonstrated_topics([o.employee_id for o in offers])
    mentees = [
        matching.Mentee(
            id=a.employee_id,
            wants={t.id for t in a.topics},
            team=active[a.employee_id].team_id,
            manager_id=active[a.employee_id].manager_id,
            tier_rank=ranks.get(a.employee_id, 0),
            bookmarks=bookmarks.get(a.employee_id, set()),
            declined_by=declined.get(a.employee_id, set()),
            prefers_other_team=a.prefers_other_team,
        )
        for a in asks
    ]
    mentors = [
        matching.Mentor(
            id=o.employee_id,
            offers={t.id for t in o.topics},
            shares=shown.get(o.employee_id, {}),
            team=active[o.employee_id].team_id,
            manager_id=active[o.employee_id].manager_id,
            tier_rank=ranks.get(o.employee_id, 0),
            open_slots=max(0, o.capacity - load.get(o.employee_id, 0)),
            eligible=ranks.get(o.employee_id, 0) >= least,
            open=o.open,
        )
        for o in offers
    ]
    return Organisation(mentees, mentors, {t.id: t.name for t in topics()}, tier_names)


def start_run(
    mode: str | None, requested_by: Employee | None, scheduled: bool = False
) -> MatchingRun:
    """Record a queued run (the caller enqueues its job after this commits)."""
    mode = mode or settings()["mode"]
    try:
        matching.Mode(mode)
    except ValueError:
        raise Invalid(
            "Unknown mode.", {"mode": [f"must be one of {[m.value for m in matching.Mode]}"]}
        ) from None
    begin_write(db.session)
    run = MatchingRun(
        mode=mode,
        state="queued",
        scheduled=scheduled,
        requested_by=requested_by.id if requested_by else None,
    )
    db.session.add(run)
    db.session.commit()
    return run


def set_run_job(run_id: int, job_id: str) -> None:
    begin_write(db.session)
    run = db.session.get(MatchingRun, run_id)
    run.job_id = job_id
    db.session.commit()


def execute_run(run_id: int) -> dict:
    """Match the organisation and store the draft. Safe to run twice: a run that
    already has its draft (or was published) is left as it is."""
    run = db.session.get(MatchingRun, run_id)
    if run is None or run.state in ("draft", "published"):
        return {"run": run_id, "state": run.state if run else None}
    document = settings()
    started = utcnow()
    org = load_organisation(document)
    result = matching.match(
        org.mentees,
        org.mentors,
        weights_of(document),
        run.mode,
        topic_names=org.topic_names,
        tier_names=org.tier_names,
    )
    begin_write(db.session)
    run = db.session.get(MatchingRun, run_id)
    run.pairs = [
        DraftPair(
            mentee_id=p.mentee_id,
            mentor_id=p.mentor_id,
            fit_units=p.fit_units,
            explanation=p.explanation[:1000],
        )
        for p in result.pairs
    ]
    run.summary = {
        "mentees": len(org.mentees),
        "mentors": len(org.mentors),
        "pairs": len(result.pairs),
        "mean_fit": round(result.mean_fit, 3),
        "matched_share": round(result.matched_share, 3),
        "unmatched": [
            {"mentee_id": u.mentee_id, "reason": u.reason.value, "why": u.message}
            for u in result.unmatched
        ],
        "load": [
            {"mentor_id": m.mentor_id, "assigned": m.assigned, "open_slots": m.open_slots}
            for m in result.load
        ],
        "candidate_pairs": result.candidate_pairs,
        "seconds": round((utcnow() - started).total_seconds(), 3),
    }
    run.state = "draft"
    run.finished_at = utcnow()
    db.session.commit()
    if document["auto_publish"]:
        publish_run(run_id, None)
    return {"run": run_id, "state": "draft", "pairs": len(result.pairs)}


def fail_run(run_id: int, error: str) -> None:
    begin_write(db.session)
    run = db.session.get(MatchingRun, run_id)
    if run is not None and run.state in ("queued", "running"):
        run.state = "failed"
        run.error = error[:2000]
        run.finished_at = utcnow()
    db.session.commit()


def get_run(run_id: int) -> MatchingRun:
    run = db.session.get(MatchingRun, run_id)
    if run is None:
        raise NotFound(f"No matching run with id {run_id}.")
    return run


def latest_runs(limit: int = 10) -> list[MatchingRun]:
    return list(
        db.session.scalars(select(MatchingRun).order_by(MatchingRun.id.desc()).limit(limit))
    )


def drop_pair(run_id: int, pair_id: int, dropped: bool = True) -> DraftPair:
    """Leave a pair out of the draft (or take it back in) before publishing."""
    begin_write(db.session)
    pair = db.session.get(DraftPair, pair_id)
    if pair is None or pair.run_id != run_id:
        db.session.rollback()
        raise NotFound(f"No pair {pair_id} in run {run_id}.")
    if pair.run.state != "draft":
        db.session.rollback()
        raise Conflict(f"Run {run_id} is {pair.run.state}; only a draft can change.")
    pair.dropped = dropped
    db.session.commit()
    return pair


def publish_run(run_id: int, by: Employee | None) -> dict:
    """Turn the draft's pairs (less those dropped) into proposals.

    What changed since the run is honoured: a mentee who has an open mentorship
    by now, a mentor whose slots filled, or a pair declined in between is
    skipped, and counted as skipped.
    """
    begin_write(db.session)
    run = db.session.get(MatchingRun, run_id)
    if run is None:
        db.session.rollback()
        raise NotFound(f"No matching run with id {run_id}.")
    if run.state != "draft":
        db.session.rollback()
        raise Conflict(f"Run {run_id} is {run.state}; only a draft can be published.")
    kept = [p for p in run.pairs if not p.dropped]
    mentor_ids = sorted({p.mentor_id for p in kept})
    offers = {
        o.employee_id: o
        for o in db.session.scalars(
            select(MentorOffer)
            .where(MentorOffer.employee_id.in_(mentor_ids))
            .order_by(MentorOffer.employee_id)
            .with_for_update()
        )
    }
    load = _loads(mentor_ids)
    busy = set(
        db.session.scalars(
            select(Mentorship.mentee_id).where(
                Mentorship.mentee_id.in_([p.mentee_id for p in kept]),
                Mentorship.state.in_(OPEN_STATES),
            )
        )
    )
    declined = set(
        db.session.execute(
            select(Mentorship.mentee_id, Mentorship.mentor_id).where(Mentorship.state == "declined")
        ).all()
    )
    now = utcnow()
    proposed, skipped = 0, 0
    for pair in kept:
        offer = offers.get(pair.mentor_id)
        if (
            pair.mentee_id in busy
            or (pair.mentee_id, pair.mentor_id) in declined
            or offer is None
            or load.get(pair.mentor_id, 0) >= offer.capacity
        ):
            skipped += 1
            continue
        mentorship = Mentorship(
            mentee_id=pair.mentee_id,
            mentor_id=pair.mentor_id,
            state="proposed",
            fit_units=pair.fit_units,
            explanation=pair.explanation,
            run_id=run.id,
            created_at=now,
            updated_at=now,
        )
        mentorship.transitions.append(
            Transition(
                from_state=None, to_state="proposed", by_employee_id=by.id if by else None, at=now
            )
        )
        db.session.add(mentorship)
        busy.add(pair.mentee_id)
        load[pair.mentor_id] = load.get(pair.mentor_id, 0) + 1
        proposed += 1
    run.state = "published"
    run.published_at = now
    run.summary = {**run.summary, "proposed": proposed, "skipped": skipped}
    db.session.commit()
    return {"run": run.id, "proposed": proposed, "skipped": skipped}


def scheduled_run_due(now: dt.datetime | None = None) -> str | None:
    """The mode of a scheduled run that is due now, or None."""
    document = settings()
    period = SCHEDULES.get(document["schedule"])
    if period is None:
        return None
    last = db.session.scalar(
        select(func.max(MatchingRun.created_at)).where(MatchingRun.scheduled.is_(True))
    )
    now = now or utcnow()
    if last is not None and now - last < period:
        return None
    return document["mode"]


# --- the relationship ------------------------------------------------------------------------

# action -> {from state: (to state, who may: "mentor" | "mentee" | "either")}
TRANSITIONS = {
    "accept": {"proposed": ("accepted", "mentor"), "accepted": ("active", "mentee")},
    "decline": {"proposed": ("declined", "mentor")},
    "complete": {"active": ("completed", "either")},
    "cancel": {
        "proposed": ("cancelled", "mentee"),
        "accepted": ("cancelled", "either"),
        "active": ("cancelled", "either"),
    },
}
ACTIONS = tuple(TRANSITIONS)


def get_mentorship(mentorship_id: int) -> Mentorship:
    found = db.session.get(Mentorship, mentorship_id)
    if found is None:
        raise NotFound(f"No mentorship with id {mentorship_id}.")
    return found


def transition(mentorship_id: int, action: str, actor: Employee) -> Mentorship:
    """Move a mentorship on: `accept` (the mentor accepts a proposal; then the
    mentee confirms, which makes it active), `decline` (the mentor), `complete`
    (either side, once active), `cancel` (the mentee withdraws a proposal, or
    either side ends it once accepted). Anything else is refused (409)."""
    if action not in TRANSITIONS:
        raise NotFound(f"No action {action!r}; choose from {', '.join(ACTIONS)}.")
    return in_write_transaction(lambda: _transition(mentorship_id, action, actor))


def _transition(mentorship_id: int, action: str, actor: Employee) -> Mentorship:
    query = select(Mentorship).where(Mentorship.id == mentorship_id).with_for_update()
    mentorship = db.session.scalar(query)
    if mentorship is None:
        raise NotFound(f"No mentorship with id {mentorship_id}.")
    side = (
        "mentor"
        if actor.id == mentorship.mentor_id
        else "mentee"
        if actor.id == mentorship.mentee_id
        else None
    )
    if side is None:
        raise Forbidden("Only the mentor and the mentee act on their mentorship.")
    step = TRANSITIONS[action].get(mentorship.state)
    if step is None:
        state = mentorship.state
        raise Conflict(f"A {state} mentorship cannot be {_past(action)}.")
    to_state, who = step
    if who != "either" and who != side:
        state = mentorship.state
        raise Conflict(f"Only the {who} can {action} a {state} mentorship.")
    now = utcnow()
    mentorship.transitions.append(
        Transition(from_state=mentorship.state, to_state=to_state, by_employee_id=actor.id, at=now)
    )
    mentorship.state = to_state
    mentorship.updated_at = now
    if to_state == "completed":
        # The mentor's fact for the "Mentor" badge; the ledger's unique key makes
        # it once per mentorship.
        record_award(
            employee_id=mentorship.mentor_id,
            cause_type="mentorship",
            cause_id=mentorship.id,
            rule="mentorships_completed",
            points=0,
            quantity=1,
            occurred_at=now,
            reason="mentorship completed",
        )
    return mentorship


def _past(action: str) -> str:
    return {"accept": "accepted", "decline": "declined", "complete": "completed"}.get(
        action, "cancelled"
    )


def mentorships_of(employee: Employee, state: str | None = None) -> list[Mentorship]:
    query = select(Mentorship).where(
        (Mentorship.mentee_id == employee.id) | (Mentorship.mentor_id == employee.id)
    )
    if state:
        query = query.where(Mentorship.state == state)
    return list(db.session.scalars(query.order_by(Mentorship.id.desc())))


def mentorships_of_many(employee_ids: Iterable[int]) -> list[Mentorship]:
    """Mentorships where any of these people is the mentee, oldest first."""
    ids = list(employee_ids)
    query = select(Mentorship).where(Mentorship.mentee_id.in_(ids)).order_by(Mentorship.id)
    return list(db.session.scalars(query))


def mentorship_dict(mentorship: Mentorship) -> dict:
    people = {
        e.id: e
        for e in db.session.scalars(
            select(Employee).where(
                Employee.id.in_(
                    [mentorship.mentee_id, mentorship.mentor_id]
                    + [t.by_employee_id for t in mentorship.transitions if t.by_employee_id]
                )
            )
        )
    }

    def ref(employee_id: int | None) -> str | None:
        return people[employee_id].external_id if employee_id in people else None

    return {
        "id": mentorship.id,
        "mentee_id": ref(mentorship.mentee_id),
        "mentor_id": ref(mentorship.mentor_id),
        "state": mentorship.state,
        "fit": mentorship.fit_units / matching.FIT_SCALE,
        "explanation": mentorship.explanation,
        "run_id": mentorship.run_id,
        "transitions": [
            {
                "from": t.from_state,
                "to": t.to_state,
                "by": ref(t.by_employee_id),
                "at": t.at.isoformat(),
            }
            for t in mentorship.transitions
        ],
    }


def run_dict(run: MatchingRun) -> dict:
    ids = {p.mentee_id for p in run.pairs} | {p.mentor_id for p in run.pairs}
    summary = dict(run.summary or {})
    ids |= {u["mentee_id"] for u in summary.get("unmatched", [])}
    ids |= {m["mentor_id"] for m in summary.get("load", [])}
    refs = dict(
        db.session.execute(
            select(Employee.id, Employee.external_id).where(Employee.id.in_(ids))
        ).all()
    )
    if "unmatched" in summary:
        summary["unmatched"] = [
            {**u, "mentee_id": refs.get(u["mentee_id"])} for u in summary["unmatched"]
        ]
    if "load" in summary:
        summary["load"] = [{**m, "mentor_id": refs.get(m["mentor_id"])} for m in summary["load"]]
    return {
        "id": run.id,
        "mode": run.mode,
        "state": run.state,
        "scheduled": run.scheduled,
        "job_id": run.job_id,
        "error": run.error,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "published_at": run.published_at.isoformat() if run.published_at else None,
        "summary": summary,
        "pairs": [
            {
                "id": p.id,
                "mentee_id": refs.get(p.mentee_id),
                "mentor_id": refs.get(p.mentor_id),
                "fit": p.fit_units / matching.FIT_SCALE,
                "explanation": p.explanation,
                "dropped": p.dropped,
            }
            for p in run.pairs
        ],
    }
