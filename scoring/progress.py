"""Achievements' storage side: counters, badge awards, tiers and notifications.

The decisions are pure (`scoring.achievements`); this module loads what they
need, feeds them in scoring order and stores what they decide, inside the
score job's transaction (the person rows are already locked).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select, update

from recognition.extensions import db
from scoring.achievements import (
    Fact,
    Stats,
    TierMetrics,
    TierState,
    new_awards,
    step_tier,
    tier_history,
)
from scoring.achievements import observe as observe_fact
from scoring.models import BadgeAward, DailyTotal, Notification, PersonProgress, PointAward
from scoring.periods import week_start
from scoring.rules import Ruleset
from scoring.storage import among, insert_many, read

TIER_WINDOW_DAYS = 90
# A badge completed by an event older than this (a backfill, a late import)
# is awarded quietly: people are told about what they did lately, not flooded.
NOTIFY_WITHIN = dt.timedelta(days=14)
# Who revokes a badge level when a reversal takes its count back below target.
# Such a level is earned again by the next fact that meets the target; a
# revocation by an admin is final.
UNDONE_BY = "kudos review"


@dataclass
class _Progress:
    stats: Stats
    tier: TierState | None
    tier_since: dt.date | None


class AchievementTracker:
    """Folds one scoring batch's facts into counters and badge awards, in order."""

    def __init__(
        self,
        gen: int,
        rules: Ruleset,
        person_ids: list[int],
        week_points: dict[tuple[int, dt.date], int],
    ):
        """`week_points`: (person, Monday) -> points before this batch, for every
        week the batch lands in (the weekly-points badges judge a fact by its week)."""
        self.gen = gen
        self.rules = rules
        self.progress = load_progress(gen, person_ids)
        self.held, self.undone = held_badges(gen, person_ids)
        self.week_points = week_points
        self.awarded: list[dict] = []
        self.touched: set[int] = set()

    def observe(self, person: int, fact: Fact, cause: tuple[str, int], when: dt.datetime):
        progress = self.progress[person]
        progress.stats = observe_fact(progress.stats, fact)
        self.touched.add(person)
        week = (person, week_start(fact.local_day))
        self.week_points[week] += fact.points
        held = self.held[person]
        for slug, level in new_awards(
            self.rules.badges, progress.stats, self.week_points[week], held
        ):
            held.add((slug, level))
            self.awarded.append(
                {
                    "generation": self.gen,
                    "employee_id": person,
                    "badge": slug,
                    "level": level,
                    # The completing fact's own time, so a replay earns at the same moment.
                    "earned_at": when,
                    "cause_type": cause[0],
                    "cause_id": cause[1],
                    "ruleset_version": self.rules.version,
                    "assertion_id": str(uuid.uuid4()),
                }
            )

    def save(
        self, today: dt.date, notify: bool, metrics: dict[int, TierMetrics] | None = None
    ) -> None:
        """Store awards, tiers and counters. `metrics` (the touched people's 90-day
        metrics after this batch) saves a read when the caller already has them."""
        insert_many(
            BadgeAward.__table__,
            [a for a in self.awarded if _key(a) not in self.undone],
            conflict=("generation", "employee_id", "badge", "level"),
        )
        for award in (a for a in self.awarded if _key(a) in self.undone):
            _earn_again(award)
        promoted = update_tiers(self.gen, self.rules, self.progress, self.touched, today, metrics)
        save_progress(self.gen, {p: self.progress[p] for p in self.touched})
        if notify:
            notify_badges(self.rules, self.awarded)
            notify_tiers(self.rules, promoted)


def _key(award: dict) -> tuple[int, str, int]:
    return award["employee_id"], award["badge"], award["level"]


def _earn_again(award: dict) -> None:
    """A level a reversal took back is earned again: the same row gets the new
    moment, cause and assertion id, so the earlier assertion no longer resolves."""
    b = BadgeAward
    db.session.execute(
        update(b)
        .where(
            b.generation == award["generation"],
            b.employee_id == award["employee_id"],
            b.badge == award["badge"],
            b.level == award["level"],
            b.revoked_by == UNDONE_BY,
        )
        .values(
            earned_at=award["earned_at"],
            cause_type=award["cause_type"],
            cause_id=award["cause_id"],
            ruleset_version=award["ruleset_version"],
            assertion_id=award["assertion_id"],
            revoked_at=None,
            revoked_reason=None,
            revoked_by=None,
        )
        .execution_options(synchronize_session=False)
    )


def load_progress(gen: int, person_ids) -> dict[int, _Progress]:
    progress = {p: _Progress(Stats(), None, None) for p in person_ids}
    p = PersonProgress
    rows = read(
        select(p.employee_id, p.stats, p.tier, p.tier_below_since, p.tier_since).where(
            p.generation == gen, among(p.employee_id, person_ids)
        )
    )
    for person, stats, tier, below_since, since in rows:
        state = TierState(tier, below_since) if tier else None
        progress[person] = _Progress(Stats.from_json(stats), state, since)
    return progress


def save_progress(gen: int, progress: dict[int, _Progress]) -> None:
    insert_many(
        PersonProgress.__table__,
        [
            {
                "generation": gen,
                "employee_id": person,
                "stats": p.stats.to_json(),
                "tier": p.tier.tier if p.tier else None,
                "tier_below_since": p.tier.below_since if p.tier else None,
                "tier_since": p.tier_since,
            }
            for person, p in progress.items()
        ],
        conflict=("generation", "employee_id"),
        replace=("stats", "tier", "tier_below_since", "tier_since"),
    )


def held_badges(
    gen: int, person_ids
) -> tuple[dict[int, set[tuple[str, int]]], set[tuple[int, str, int]]]:
    """Badge levels a person holds or held, and those a reversal took back.

    A level an admin revoked counts as held, so it is not earned again; one a
    reversal took back (`UNDONE_BY`) does not, so the next fact can earn it.
    """
    held: dict[int, set[tuple[str, int]]] = defaultdict(set)
    undone: set[tuple[int, str, int]] = set()
    b = BadgeAward
    rows = read(
        select(b.employee_id, b.badge, b.level, b.revoked_at, b.revoked_by).where(
            b.generation == gen, among(b.employee_id, person_ids)
        )
    )
    for person, badge, level, revoked_at, revoked_by in rows:
        if revoked_at is not None and revoked_by == UNDONE_BY:
            undone.add((person, badge, level))
        else:
            held[person].add((badge, level))
    return held, undone


def tier_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The local days [first, end) of the tiers' rolling metrics, ending today."""
    return today - dt.timedelta(days=TIER_WINDOW_DAYS - 1), today + dt.timedelta(days=1)


def tier_metrics(gen: int, person_ids, today: dt.date) -> dict[int, TierMetrics]:
    """Rolling 90-day points and engagement per share, from the daily rollup."""
    first = tier_window(today)[0]
    query = (
        select(
            DailyTotal.employee_id,
            func.sum(DailyTotal.points),
            func.sum(DailyTotal.shares),
            func.sum(DailyTotal.engagements),
        )
        .where(
            DailyTotal.generation == gen,
            DailyTotal.local_day >= first,
            DailyTotal.local_day <= today,
        )
        .group_by(DailyTotal.employee_id)
    )
    if person_ids is not None:
        query = query.where(among(DailyTotal.employee_id, person_ids))
    metrics = {p: TierMetrics(0, 0, 0) for p in person_ids or ()}
    for person, points, shares, engagements in db.session.execute(query):
        metrics[person] = TierMetrics(int(points), int(shares), int(engagements))
    return metrics


def update_tiers(
    gen: int,
    rules: Ruleset,
    progress: dict[int, _Progress],
    persons,
    today: dt.date,
    metrics: dict[int, TierMetrics] | None = None,
) -> list[tuple[int, str]]:
    """Step each person's tier; returns (person, tier) for promotions."""
    if metrics is None:
        metrics = tier_metrics(gen, list(persons), today)
    order = [t.slug for t in rules.tiers]
    promoted = []
    for person in persons:
        p = progress[person]
        before = p.tier
        after = step_tier(rules.tiers, before, metrics[person], today)
        if before is None or after.tier != before.tier:
            p.tier_since = today
            if (before is not None and _rank(order, after.tier) > _rank(order, before.tier)) or (
                before is None and _rank(order, after.tier) > 0
            ):
                promoted.append((person, after.tier))
        p.tier = after
    return promoted


def _rank(order: list[str], slug: str) -> int:
    return order.index(slug) if slug in order else -1


def review_tiers(gen: int, rules: Ruleset, today: dt.date, notify: bool = True) -> int:
    """The daily pass: demotions happen with no new events, so every person is stepped."""
    person_ids = list(
        db.session.scalars(
            select(PersonProgress.employee_id).where(PersonProgress.generation == gen)
        )
    )
    changed = 0
    for start in range(0, len(person_ids), 1000):
        chunk = person_ids[start : start + 1000]
        progress = load_progress(gen, chunk)
        before = {p: progress[p].tier for p in chunk}
        promoted = update_tiers(gen, rules, progress, chunk, today)
        moved = {p: progress[p] for p in chunk if progress[p].tier != before[p]}
        save_progress(gen, moved)
        changed += len(moved)
        if notify:
            notify_tiers(rules, promoted)
    return changed


def backfill_history(gen: int, rules: Ruleset, today: dt.date) -> dict[str, int]:
    """Tiers and notifications for history scored in bulk (the demo seed, an import).

    Scored in bulk, history reaches everyone's tier on one day, in steps that
    each notify "now". Instead each person's tier is stepped through their
    days as the daily review would have, so it says since when they hold it;
    badges and promotions of the last NOTIFY_WITHIN are told at the time they
    happened, older ones are kept quiet (as old badges always are).
    Runs in the caller's transaction.
    """
    from recognition.clock import utcnow

    daily: dict[int, dict[dt.date, tuple[int, int, int]]] = defaultdict(dict)
    rows = db.session.execute(
        select(
            DailyTotal.employee_id,
            DailyTotal.local_day,
            DailyTotal.points,
            DailyTotal.shares,
            DailyTotal.engagements,
        ).where(DailyTotal.generation == gen, DailyTotal.local_day <= today)
    )
    for person, day, points, shares, engagements in rows:
        daily[person][day] = (points, shares, engagements)
    progress = load_progress(gen, list(daily))
    recent = utcnow() - NOTIFY_WITHIN
    promoted: list[tuple[int, dt.date, str]] = []
    for person, days in daily.items():
        history = tier_history(rules.tiers, days, today, TIER_WINDOW_DAYS)
        progress[person].tier = history.state
        progress[person].tier_since = history.since
        promoted += [(person, day, tier) for day, tier in history.promotions]
    save_progress(gen, progress)

    last_moment = {}
    latest = func.max(PointAward.occurred_at)
    for person, day, moment in db.session.execute(
        select(PointAward.employee_id, PointAward.local_day, latest)
        .where(PointAward.generation == gen, PointAward.local_day >= recent.date())
        .group_by(PointAward.employee_id, PointAward.local_day)
    ):
        last_moment[(person, day)] = moment
    names = {t.slug: t.name for t in rules.tiers}
    told = []
    for person, day, tier in promoted:
        # The day's last scored activity: the review would have promoted them by then.
        moment = last_moment.get((person, day))
        if moment is None or moment < recent:
            continue
        told.append(
            {
                "employee_id": person,
                "kind": "tier_reached",
                "key": f"tier:{tier}",
                "title": f"You reached the {names.get(tier, tier)} tier",
                "body": None,
                "link": None,
                "created_at": moment,
            }
        )
    notify(told)
    awards = [
        {
            "employee_id": b.employee_id,
            "badge": b.badge,
            "level": b.level,
            "assertion_id": b.assertion_id,
            "earned_at": b.earned_at,
        }
        for b in db.session.scalars(
            select(BadgeAward).where(
                BadgeAward.generation == gen,
                BadgeAward.revoked_at.is_(None),
                BadgeAward.earned_at >= recent,
            )
        )
    ]
    notify_badges(rules, awards)
    return {"people": len(daily), "promotions_told": len(told), "badges_told": len(awards)}


def notify(rows: list[dict]) -> None:
    insert_many(Notification.__table__, rows, conflict=("employee_id", "key"))


def notify_badges(rules: Ruleset, awarded: list[dict]) -> None:
    from recognition.clock import utcnow

    names = {b.slug: b for b in rules.badges}
    recent = utcnow() - NOTIFY_WITHIN
    rows = []
    for award in awarded:
        badge = names.get(award["badge"])
        if badge is None or award["earned_at"] < recent:
            continue
        label = _level_label(badge, award["level"])
        rows.append(
            {
                "employee_id": award["employee_id"],
                "kind": "badge_earned",
                "key": f"badge:{award['badge']}:{award['level']}",
                "title": f"You earned {badge.name}{label}",
                "body": badge.description,
                "link": f"/api/v1/badges/assertions/{award['assertion_id']}",
                "created_at": award["earned_at"],
            }
        )
    notify(rows)


def notify_tiers(rules: Ruleset, promoted: list[tuple[int, str]]) -> None:
    names = {t.slug: t.name for t in rules.tiers}
    from recognition.clock import utcnow

    now = utcnow()
    notify(
        [
            {
                "employee_id": person,
                "kind": "tier_reached",
                "key": f"tier:{tier}",
                "title": f"You reached the {names.get(tier, tier)} tier",
                "body": None,
                "link": None,
                "created_at": now,
            }
            for person, tier in promoted
        ]
    )


def _level_label(badge, level: int) -> str:
    for lv in badge.levels:
        if lv.level == level and lv.label:
            return f" ({lv.label})"
    return ""
