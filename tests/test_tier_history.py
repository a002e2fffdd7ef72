"""Tier history for bulk-scored activity: stepped day by day, told only when recent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from recognition.extensions import db
from scoring.achievements import TierMetrics, TierState, step_tier, tier_history
from scoring.ledger import org_today
from scoring.models import Notification, PersonProgress, PointAward
from scoring.progress import tier_metrics
from scoring.rules import Ruleset, load_default_document
from scoring.rulesets import live_scoring

TIERS = Ruleset.from_document(load_default_document(), 1).tiers  # 150 / 1.0, 600 / 3.0, ...
DAY = dt.date(2026, 9, 1)


def days(*spans: tuple[int, int, tuple[int, int, int]]) -> dict:
    """{day: totals} for runs of days: (first offset, how many, (points, shares, engagements))."""
    out = {}
    for first, count, totals in spans:
        for i in range(count):
            out[DAY + dt.timedelta(days=first + i)] = totals
    return out


def test_history_reaches_tiers_on_the_days_the_thresholds_were_met():
    # 20 points, 1 share and 3 engagements a day: Advocate (150, 1.0) on day 8,
    # Influencer (600, 3.0) on day 30.
    history = tier_history(TIERS, days((0, 40, (20, 1, 3))), DAY + dt.timedelta(days=39))
    assert history.promotions == (
        (DAY + dt.timedelta(days=7), "advocate"),
        (DAY + dt.timedelta(days=29), "influencer"),
    )
    assert history.state == TierState("influencer")
    assert history.since == DAY + dt.timedelta(days=29)


def test_history_keeps_the_daily_reviews_hysteresis():
    """Quiet after a busy month: the 90-day window drains, and the demotion comes
    two full ISO weeks after falling below, as the daily review decides it."""
    daily = days((0, 30, (20, 1, 3)))
    last = DAY + dt.timedelta(days=150)
    history = tier_history(TIERS, daily, last)
    state, day = None, DAY
    while day <= last:
        window = [daily.get(day - dt.timedelta(days=i), (0, 0, 0)) for i in range(90)]
        metrics = TierMetrics(*(sum(t[k] for t in window) for k in range(3)))
        state = step_tier(TIERS, state, metrics, day)
        day += dt.timedelta(days=1)
    assert history.state == state
    assert history.state.tier == "contributor"
    assert [tier for _, tier in history.promotions] == ["advocate", "influencer"]


def test_a_person_who_never_qualifies_starts_and_stays_at_the_first_tier():
    history = tier_history(TIERS, days((5, 3, (10, 1, 0))), DAY + dt.timedelta(days=20))
    assert history.state == TierState("contributor") and history.promotions == ()
    assert history.since == DAY + dt.timedelta(days=5)


def test_seeded_tiers_have_a_history_and_only_recent_promotions_are_told(app):
    from recognition.seed import seed_demo

    seed_demo(people=40, days=60)
    live = live_scoring()
    today = org_today()
    rows = db.session.scalars(
        select(PersonProgress).where(PersonProgress.generation == live.generation)
    ).all()
    above = [r for r in rows if r.tier != "contributor"]
    assert above, "the demo should have people above the first tier"
    # Since when: the day reached, not the day of the seed.
    assert sum(r.tier_since == today for r in rows) < len(rows) / 4
    assert any(r.tier_since < today - dt.timedelta(days=14) for r in above)
    # The stored tiers are what today's daily review would keep.
    metrics = tier_metrics(live.generation, [r.employee_id for r in rows], today)
    for r in rows:
        state = TierState(r.tier, r.tier_below_since)
        assert step_tier(live.ruleset.tiers, state, metrics[r.employee_id], today) == state

    told = db.session.scalars(select(Notification).where(Notification.kind == "tier_reached"))
    told = list(told)
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=14, minutes=5)
    assert all(n.created_at >= recent for n in told)
    # Each at the time of that person's activity, not a pile stamped the same minute.
    for n in told:
        assert db.session.scalar(
            select(PointAward.id).where(
                PointAward.employee_id == n.employee_id, PointAward.occurred_at == n.created_at
            )
        ), n.title
    per_person: dict[int, set] = {}
    for n in told:
        minute = n.created_at.replace(second=0, microsecond=0)
        assert minute not in per_person.setdefault(n.employee_id, set()), n.title
        per_person[n.employee_id].add(minute)
