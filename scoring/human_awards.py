"""Points and facts that people cause (kudos, nominations, mentorship, adjustments).

They go through the same ledger as event points: one `point_awards` row per
(cause, rule) in the live generation, the daily rollup and the all-time score
in the same transaction, and the row's rule as a fact for badge progress.
The caller (a product service) owns the transaction: `record_award` inside
it, `refresh_after_awards` after the commit for the boards.

A re-score copies these rows into the new generation unchanged and replays
them as facts (`carry_over_human_awards`), so points and badges they earned
survive it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import insert, select

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from scoring.achievements import FACT_KINDS, Fact
from scoring.ledger import (
    GenerationSwitched,
    _lock_people,
    _people_by_id,
    org_today,
    refresh_boards,
    rollup_sums,
)
from scoring.models import BadgeAward, DailyTotal, EmployeeScore, PointAward
from scoring.periods import local_day, week_start, window_for
from scoring.progress import UNDONE_BY, AchievementTracker
from scoring.rules import Ruleset
from scoring.rulesets import LiveScoring, live_generation, live_scoring
from scoring.storage import among, insert_many

# The CHECK on point_awards.cause_type allows these besides "event".
HUMAN_CAUSES = ("kudos", "nomination", "mentorship", "adjustment")
_TOUCHED = "laurel_human_award_days"
# Badge metrics a reversal can take back below a level's target.
_REVERSIBLE = {"kudos_reversed": "kudos_received"}


@dataclass(frozen=True)
class Award:
    """One ledger row a person's action causes (not an event)."""

    employee_id: int
    cause_type: str
    cause_id: int
    rule: str
    points: int
    occurred_at: dt.datetime
    reason: str
    quantity: int = 1


@dataclass(frozen=True)
class AwardLock:
    """The score rows a transaction holds, and the live generation they belong to.
    While they are held a re-score cannot switch, so the generation stays live."""

    live: LiveScoring
    employee_ids: frozenset[int]


def lock_for_awards(employee_ids) -> AwardLock:
    """Lock the score rows of everyone a use case will award, in id order, before
    its first award: two gives between the same people (A to B, B to A) then queue
    instead of deadlocking. Raises GenerationSwitched if a re-score went live
    meanwhile (the caller rolls back and tries again)."""
    live = live_scoring()
    ids = sorted(set(employee_ids))
    _lock_people(live.generation, ids)
    if live_generation() != live.generation:
        raise GenerationSwitched(live.generation)
    return AwardLock(live, frozenset(ids))


def record_award(
    *,
    employee_id: int,
    cause_type: str,
    cause_id: int,
    rule: str,
    points: int,
    quantity: int = 1,
    occurred_at: dt.datetime,
    reason: str,
) -> bool:
    """`record_awards` for one award; True if it was written."""
    award = Award(employee_id, cause_type, cause_id, rule, points, occurred_at, reason, quantity)
    return record_awards([award])[0]


def record_awards(awards: list[Award], lock: AwardLock | None = None) -> list[bool]:
    """Write the ledger rows (with their rollups and badge progress) in the caller's
    transaction, in one statement per table; for each award, whether it was
    written (False, changing nothing, when that (cause, rule) row exists).

    Everyone awarded must hold their score row lock: `lock` from
    `lock_for_awards`, or this takes it. Raises GenerationSwitched as that does.
    """
    if not awards:
        return []
    for award in awards:
        if award.cause_type not in HUMAN_CAUSES:
            raise ValueError(f"not a human-award cause: {award.cause_type!r}")
    people = {a.employee_id for a in awards}
    if lock is None or not people <= lock.employee_ids:
        lock = lock_for_awards(people)
    gen, rules = lock.live.generation, lock.live.ruleset
    tz = current_app.config["LAUREL_TZ"]
    days = [local_day(a.occurred_at, tz) for a in awards]
    now = utcnow()
    written = {
        (row.cause_type, row.cause_id, row.rule)
        for row in insert_many(
            PointAward.__table__,
            [
                {
                    "generation": gen,
                    "employee_id": a.employee_id,
                    "cause_type": a.cause_type,
                    "cause_id": a.cause_id,
                    "rule": a.rule,
                    "network": None,
                    "quantity": a.quantity,
                    "points": a.points,
                    "base_points": a.points,
                    "capped": False,
                    "ruleset_version": rules.version,
                    "reason": a.reason[:300],
                    "local_day": day,
                    "occurred_at": a.occurred_at,
                    "created_at": now,
                }
                for a, day in zip(awards, days, strict=True)
            ],
            conflict=("cause_id", "cause_type", "generation", "rule"),
            returning=("cause_type", "cause_id", "rule"),
        )
    }
    new = [(a.cause_type, a.cause_id, a.rule) in written for a in awards]
    done = [(a, day) for a, day, is_new in zip(awards, days, new, strict=True) if is_new]
    if not done:
        return new
    # The weeks' points before these awards, for the weekly-points badges.
    mondays = sorted({week_start(day) for _, day in done})
    persons = {a.employee_id for a, _ in done}
    sums = rollup_sums(gen, persons, [window_for("week", m) for m in mondays])[0]
    week_points: defaultdict = defaultdict(int)
    for person, figures in sums.items():
        for monday, value in zip(mondays, figures, strict=True):
            week_points[(person, monday)] = value
    _add_points(gen, [(a.employee_id, day, a.points) for a, day in done if a.points])
    facts = [(a, day) for a, day in done if a.rule in FACT_KINDS]
    if facts:
        tracker = AchievementTracker(
            gen, rules, sorted({a.employee_id for a, _ in facts}), week_points
        )
        for a, day in facts:
            tracker.observe(
                a.employee_id,
                Fact(a.rule, None, None, a.quantity, day, a.points),
                (a.cause_type, a.cause_id),
                a.occurred_at,
            )
        tracker.save(org_today(), notify=True)
        for a, _ in facts:
            if a.rule in _REVERSIBLE:
                _revoke_unmet(gen, rules, a.employee_id, tracker, a.rule, a.reason)
    db.session.info.setdefault(_TOUCHED, set()).update((a.employee_id, day) for a, day in done)
    return new


def _add_points(gen: int, points: list[tuple[int, dt.date, int]]) -> None:
    """Add (person, day, points) to the daily rollup and the all-time scores, one
    row per key (an upsert must not touch a row twice)."""
    if not points:
        return
    by_day: defaultdict = defaultdict(int)
    by_person: defaultdict = defaultdict(int)
    for person, day, value in points:
        by_day[(person, day)] += value
        by_person[person] += value
    insert_many(
        DailyTotal.__table__,
        [
            {
                "generation": gen,
                "employee_id": person,
                "local_day": day,
                "scoring_shares": 0,
                "share_points": 0,
                "engagement_points": 0,
                "points": value,
                "shares": 0,
                "engagements": 0,
            }
            for (person, day), value in sorted(by_day.items())
        ],
        conflict=("generation", "employee_id", "local_day"),
        add=("points",),
    )
    insert_many(
        EmployeeScore.__table__,
        [
            {"generation": gen, "employee_id": person, "points": value}
            for person, value in sorted(by_person.items())
        ],
        conflict=("generation", "employee_id"),
        add=("points",),
    )


def _revoke_unmet(
    gen: int, rules: Ruleset, employee_id: int, tracker: AchievementTracker, rule: str, reason: str
) -> None:
    """A reversal takes back badge levels whose count metric is now below target."""
    metric = _REVERSIBLE[rule]
    value = getattr(tracker.progress[employee_id].stats, metric)
    targets = {
        (b.slug, level.level): level.target
        for b in rules.badges
        if b.metric == metric and b.kind in ("first", "count")
        for level in b.levels
    }
    held = db.session.scalars(
        select(BadgeAward).where(
            BadgeAward.generation == gen,
            BadgeAward.employee_id == employee_id,
            BadgeAward.revoked_at.is_(None),
        )
    ).all()
    for award in held:
        target = targets.get((award.badge, award.level))
        if target is not None and value < target:
            award.revoked_at = utcnow()
            award.revoked_reason = f"kudos reversed: {reason}"[:1000]
            award.revoked_by = UNDONE_BY
    db.session.flush()


def refresh_after_awards(employee_ids) -> None:
    """After the commit: absolute board totals for the people awarded, from SQL.

    Takes their score rows' locks, so two refreshes (or a refresh and a score
    job) cannot write one person's totals out of order.
    """
    ids = sorted(set(employee_ids))
    if not ids:
        return
    touched = db.session.info.get(_TOUCHED, set())
    days = {(p, d) for p, d in touched if p in ids}
    touched -= days
    today = org_today()
    days |= {(p, today) for p in ids if not any(q == p for q, _ in days)}
    begin_write(db.session)
    gen = live_generation() or live_scoring().generation
    _lock_people(gen, ids)
    people = _people_by_id(set(ids))
    refresh_boards(gen, people, {(p, d) for p, d in days if p in people})
    db.session.commit()


def carry_over_human_awards(old: int, gen: int, rules: Ruleset) -> int:
    """Copy the non-event ledger rows of `old` into `gen` unchanged and replay
    them as facts for badge progress, in time order. Runs inside the re-score's
    switch (the scoring lock held); the caller rebuilds rollups afterwards."""
    a = PointAward.__table__
    columns = [c.name for c in a.columns if c.name not in ("id", "generation")]
    source = (
        select(db.literal(gen), *(a.c[c] for c in columns))
        .where(a.c.generation == old, a.c.cause_type != "event")
        .order_by(a.c.id)
    )
    result = db.session.execute(insert(a).from_select(["generation", *columns], source))
    rows = db.session.execute(
        select(
            a.c.employee_id,
            a.c.cause_type,
            a.c.cause_id,
            a.c.rule,
            a.c.quantity,
            a.c.points,
            a.c.local_day,
            a.c.occurred_at,
        )
        .where(a.c.generation == gen, a.c.cause_type != "event", among(a.c.rule, FACT_KINDS))
        .order_by(a.c.employee_id, a.c.occurred_at, a.c.id)
    ).all()
    by_person: dict[int, list] = defaultdict(list)
    for row in rows:
        by_person[row.employee_id].append(row)
    persons = sorted(by_person)
    for start in range(0, len(persons), 1000):
        chunk = persons[start : start + 1000]
        tracker = AchievementTracker(gen, rules, chunk, _event_week_points(gen, chunk, by_person))
        for person in chunk:
            for row in by_person[person]:
                tracker.observe(
                    person,
                    Fact(row.rule, None, None, row.quantity, row.local_day, row.points),
                    (row.cause_type, row.cause_id),
                    row.occurred_at,
                )
        tracker.save(org_today(), notify=False)
    return result.rowcount or 0


def _event_week_points(gen: int, persons: list[int], by_person) -> defaultdict:
    """(person, Monday) -> the week's event points in `gen`, for the weeks these
    people's human facts land in: the daily rollup holds only event points while
    the re-score replays, and a weekly-points badge judges a fact by its whole week."""
    weeks = {(p, week_start(row.local_day)) for p in persons for row in by_person[p]}
    points: defaultdict = defaultdict(int)
    if not weeks:
        return points
    first = min(monday for _, monday in weeks)
    end = max(monday for _, monday in weeks) + dt.timedelta(days=7)
    d = DailyTotal
    rows = db.session.execute(
        select(d.employee_id, d.local_day, d.points).where(
            d.generation == gen,
            among(d.employee_id, persons),
            d.local_day >= first,
            d.local_day < end,
        )
    )
    for person, day, day_points in rows:
        week = (person, week_start(day))
        if week in weeks:
            points[week] += day_points
    return points
