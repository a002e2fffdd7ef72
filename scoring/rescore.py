"""Re-scoring: replay the event log under a ruleset into a new ledger generation.

The replay streams events person by person (caps, counters and badges are
per person), so it needs no locks and writes with COPY. Each person's events
are folded in the order the live generation scored them (its ledger row ids),
then whatever it has not scored yet in id order: a stranded event scored late
replays in its real place, and replaying the live ruleset gives the live
ledger exactly. Dead letters (events set aside) are left out, as live. Events
that arrive meanwhile are scored live into the old generation; the switch
takes the scoring lock, scores them into the new generation too, carries
over what is not derived from events (manual badges, revocations, assertion
ids, tier history) and makes the new generation live in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable

from flask import current_app
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import aliased

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from recognition.people import Employee
from scoring.achievements import (
    Fact,
    Stats,
    TierMetrics,
    TierState,
    new_awards,
    observe,
    step_tier,
)
from scoring.human_awards import carry_over_human_awards
from scoring.ledger import (
    Target,
    _score_events,
    org_today,
    rebuild_in_transaction,
    unscored_event_ids,
)
from scoring.models import (
    BadgeAward,
    DailyTotal,
    DeadLetter,
    EmployeeScore,
    Event,
    LedgerGeneration,
    PersonProgress,
    PointAward,
)
from scoring.periods import local_day, week_start
from scoring.progress import notify_badges, tier_metrics
from scoring.rules import (
    SHARE,
    DayState,
    Ruleset,
    ScorableEvent,
    arrived_too_late,
    score_event,
)
from scoring.rulesets import ensure_scoring_setup, live_scoring, ruleset
from scoring.storage import among, copy_rows, lock_scoring

FLUSH_ROWS = 20_000
_NO_METRICS = TierMetrics(0, 0, 0)
Progress = Callable[[int, int], None]


def rescore(version: int, progress: Progress | None = None) -> dict[str, int]:
    """Replay every event under ruleset `version` and switch to the result."""
    ensure_scoring_setup()
    rules = ruleset(version)
    begin_write(db.session)
    generation = LedgerGeneration(ruleset_version=version, state="building")
    db.session.add(generation)
    db.session.flush()
    gen = generation.id
    high_water = db.session.scalar(select(func.max(Event.id))) or 0
    total = db.session.scalar(select(func.count()).where(Event.id <= high_water))
    db.session.commit()

    replayed = replay(gen, rules, high_water, total, progress, live_scoring().generation)
    caught_up = switch_to(gen, rules, high_water)
    return {"generation": gen, "events": replayed + caught_up, "caught_up": caught_up}


def replay(
    gen: int,
    rules: Ruleset,
    high_water: int,
    total: int,
    progress: Progress | None,
    live_gen: int | None = None,
) -> int:
    """Fold events up to `high_water` into generation `gen`, one person at a time,
    each person's in the order `live_gen` scored them."""
    tz = current_app.config["LAUREL_TZ"]
    now = utcnow()
    sink = _Sink(gen)
    query = (
        select(
            Employee.id,
            Event.id,
            Event.type,
            Event.network,
            Event.occurred_at,
            Event.count,
            Event.received_at,
            Event.backfill,
        )
        .join(Employee, Employee.external_id == Event.employee_ref)
        .where(Event.id <= high_water, ~exists().where(DeadLetter.event_id == Event.id))
    )
    if live_gen is None:
        query = query.order_by(Employee.id, Event.id)
    else:
        scored = aliased(PointAward)
        query = query.outerjoin(
            scored,
            and_(
                scored.cause_id == Event.id,
                scored.cause_type == "event",
                scored.generation == live_gen,
            ),
        ).order_by(Employee.id, scored.id.nulls_last(), Event.id)
    # The stream gets its own connection: the writes commit in chunks, and a
    # commit on the same connection would close a PostgreSQL server-side cursor.
    with db.engine.connect() as reader:
        return _fold(
            gen,
            rules,
            reader.execution_options(yield_per=10_000).execute(query),
            tz,
            now,
            sink,
            total,
            progress,
            high_water,
        )


def _fold(gen, rules, rows, tz, now, sink, total, progress, high_water) -> int:
    done = 0
    person: _PersonReplay | None = None
    for person_id, event_id, type_, network, occurred_at, count, received_at, backfill in rows:
        if person is None or person.id != person_id:
            if person is not None:
                person.flush(sink)
            person = _PersonReplay(person_id, rules, gen, now)
        event = ScorableEvent(type_, network, count, received_at - occurred_at, backfill)
        person.score(event_id, event, occurred_at, local_day(occurred_at, tz))
        done += 1
        if progress and done % 10_000 == 0:
            progress(done, total)
        if sink.size >= FLUSH_ROWS:
            sink.write()
    if person is not None:
        person.flush(sink)
    sink.write()
    db.session.execute(
        update(LedgerGeneration)
        .where(LedgerGeneration.id == gen)
        .values(replayed_through=high_water)
    )
    db.session.commit()
    if progress:
        progress(done, total)
    return done


class _PersonReplay:
    """One person's events, folded in scoring order: the same rules the live job applies."""

    def __init__(self, person_id: int, rules: Ruleset, gen: int, now: dt.datetime):
        self.id = person_id
        self.rules = rules
        self.gen = gen
        self.now = now
        self.days: dict[dt.date, DayState] = defaultdict(DayState)
        self.activity: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
        self.week_points: dict[dt.date, int] = defaultdict(int)
        self.stats = Stats()
        self.held: set[tuple[str, int]] = set()
        self.awards: list[dict] = []
        self.badges: list[dict] = []
        self.points = 0
        self.observed = False  # any event that counts (late ones do not)

    def score(self, event_id, event: ScorableEvent, occurred_at, day) -> None:
        type_, network, count = event.type, event.network, event.count
        if arrived_too_late(event, self.rules):
            # A ledger row saying why, and nothing else: no day, no counters.
            award, _ = score_event(event, DayState(), self.rules)
            self.awards.append(self._row(event_id, award, network, count, day, occurred_at))
            return
        award, self.days[day] = score_event(event, self.days[day], self.rules)
        self.points += award.points
        activity = self.activity[day]
        activity[0] += award.points
        if type_ == SHARE:
            activity[1] += 1
        else:
            activity[2] += count
        self.awards.append(self._row(event_id, award, network, count, day, occurred_at))
        self.observed = True
        self.stats = observe(self.stats, Fact("event", type_, network, count, day, award.points))
        week = week_start(day)
        self.week_points[week] += award.points
        for slug, level in new_awards(
            self.rules.badges, self.stats, self.week_points[week], self.held
        ):
            self.held.add((slug, level))
            self.badges.append(
                {
                    "generation": self.gen,
                    "employee_id": self.id,
                    "badge": slug,
                    "level": level,
                    "earned_at": occurred_at,
                    "cause_type": "event",
                    "cause_id": event_id,
                    "ruleset_version": self.rules.version,
                    "assertion_id": str(uuid.uuid4()),
                }
            )

    def _row(self, event_id, award, network, count, day, occurred_at) -> dict:
        return {
            "generation": self.gen,
            "employee_id": self.id,
            "cause_type": "event",
            "cause_id": event_id,
            "rule": award.rule,
            "network": network,
            "quantity": count,
            "points": award.points,
            "base_points": award.base_points,
            "capped": award.capped,
            "ruleset_version": self.rules.version,
            "reason": award.reason,
            "local_day": day,
            "occurred_at": occurred_at,
            "created_at": self.now,
        }

    def flush(self, sink: _Sink) -> None:
        sink.ledger.extend(self.awards)
        sink.badges.extend(self.badges)
        for day, state in self.days.items():
            points, shares, engagements = self.activity[day]
            sink.daily.append(
                {
                    "generation": self.gen,
                    "employee_id": self.id,
                    "local_day": day,
                    "scoring_shares": state.scoring_shares,
                    "share_points": state.share_points,
                    "engagement_points": state.engagement_points,
                    "points": points,
                    "shares": shares,
                    "engagements": engagements,
                }
            )
        sink.scores.append({"generation": self.gen, "employee_id": self.id, "points": self.points})
        if not self.observed:
            return  # only late events: live scoring keeps no progress for them either
        sink.progress.append(
            {
                "generation": self.gen,
                "employee_id": self.id,
                "stats": self.stats.to_json(),
                "tier": None,
                "tier_below_since": None,
                "tier_since": None,
            }
        )


class _Sink:
    """Buffers replay output and writes it in large COPYs."""

    def __init__(self, gen: int):
        self.gen = gen
        self.ledger: list[dict] = []
        self.badges: list[dict] = []
        self.daily: list[dict] = []
        self.scores: list[dict] = []
        self.progress: list[dict] = []

    @property
    def size(self) -> int:
        return len(self.ledger)

    def write(self) -> None:
        copy_rows(PointAward.__table__, self.ledger)
        copy_rows(BadgeAward.__table__, self.badges)
        copy_rows(DailyTotal.__table__, self.daily)
        copy_rows(EmployeeScore.__table__, self.scores)
        copy_rows(PersonProgress.__table__, self.progress)
        db.session.commit()
        for buffer in (self.ledger, self.badges, self.daily, self.scores, self.progress):
            buffer.clear()


def switch_to(gen: int, rules: Ruleset, high_water: int) -> int:
    """Catch up on events that arrived during the replay, then make `gen` live."""
    begin_write(db.session)
    lock_scoring(["employee_scores", "daily_totals"])
    old = live_scoring().generation
    # Everything not yet in the new generation: events after the replay's high
    # water mark, and any whose id was taken before it but committed after.
    ids: list[int] = []
    while batch := unscored_event_ids(gen, ids[-1] if ids else 0):
        ids += batch
    caught_up = 0
    if ids:
        # In the order the live generation scored them, as the replay does.
        order = dict(
            db.session.execute(
                select(PointAward.cause_id, PointAward.id).where(
                    PointAward.generation == old,
                    PointAward.cause_type == "event",
                    among(PointAward.cause_id, ids),
                )
            ).all()
        )
        caught_up = _score_events(ids, Target(gen, rules, live=False), order).scored
    last = max(ids[-1] if ids else 0, high_water)
    carry_over_human_awards(old, gen, rules)
    _carry_over_badges(old, gen)
    _carry_over_tiers(old, gen, rules)
    _notify_new_badges(old, gen, rules)
    db.session.execute(
        update(LedgerGeneration).where(LedgerGeneration.id == old).values(state="retired")
    )
    db.session.flush()
    db.session.execute(
        update(LedgerGeneration)
        .where(LedgerGeneration.id == gen)
        .values(state="live", switched_at=utcnow(), replayed_through=last)
    )
    rebuild_in_transaction(gen)
    db.session.commit()
    return caught_up


# Badges people give (manual awards, approved nominations): a replay never decides them.
GIVEN_CAUSES = (None, "nomination")


def _carry_over_badges(old: int, gen: int) -> None:
    """Keep what people hold that events do not decide: manual awards, revocations,
    and the public assertion ids already handed out."""
    previous = db.session.scalars(select(BadgeAward).where(BadgeAward.generation == old)).all()
    current = {
        (b.employee_id, b.badge, b.level): b
        for b in db.session.scalars(select(BadgeAward).where(BadgeAward.generation == gen))
    }
    for before in previous:
        key = (before.employee_id, before.badge, before.level)
        now = current.get(key)
        if now is None:
            if before.cause_type not in GIVEN_CAUSES and before.revoked_at is None:
                continue  # earned from events the new rules no longer reward
            now = BadgeAward(
                generation=gen,
                employee_id=before.employee_id,
                badge=before.badge,
                level=before.level,
                earned_at=before.earned_at,
                cause_type=before.cause_type,
                cause_id=before.cause_id,
                ruleset_version=before.ruleset_version,
                awarded_by=before.awarded_by,
                assertion_id=before.assertion_id,
            )
            db.session.add(now)
        else:
            now.assertion_id = before.assertion_id
        now.revoked_at = before.revoked_at
        now.revoked_reason = before.revoked_reason
        now.revoked_by = before.revoked_by
    db.session.flush()


def _carry_over_tiers(old: int, gen: int, rules: Ruleset) -> None:
    """Step each person's tier from their old state, so a re-score does not flicker it."""
    today = org_today()
    before = {
        row.employee_id: row
        for row in db.session.scalars(
            select(PersonProgress).where(PersonProgress.generation == old)
        )
    }
    rows = db.session.scalars(select(PersonProgress).where(PersonProgress.generation == gen)).all()
    metrics = tier_metrics(gen, None, today)
    for row in rows:
        prior = before.get(row.employee_id)
        state = TierState(prior.tier, prior.tier_below_since) if prior and prior.tier else None
        after = step_tier(rules.tiers, state, metrics.get(row.employee_id, _NO_METRICS), today)
        row.tier = after.tier
        row.tier_below_since = after.below_since
        row.tier_since = prior.tier_since if prior and prior.tier == after.tier else today
    db.session.flush()


def _notify_new_badges(old: int, gen: int, rules: Ruleset) -> None:
    """Tell people only about badges the old generation did not give them."""
    had = set(
        db.session.execute(
            select(BadgeAward.employee_id, BadgeAward.badge, BadgeAward.level).where(
                BadgeAward.generation == old
            )
        ).all()
    )
    fresh = [
        {
            "employee_id": b.employee_id,
            "badge": b.badge,
            "level": b.level,
            "assertion_id": b.assertion_id,
            "earned_at": b.earned_at,
        }
        for b in db.session.scalars(
            select(BadgeAward).where(BadgeAward.generation == gen, BadgeAward.revoked_at.is_(None))
        )
        if (b.employee_id, b.badge, b.level) not in had
    ]
    notify_badges(rules, fresh)
