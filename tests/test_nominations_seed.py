"""The demo's nominations: categories and a season in every state."""

from __future__ import annotations

from sqlalchemy import func, select

from recognition.extensions import db
from recognition.nominations.models import Nomination, NominationCategory
from recognition.seed import seed_demo
from scoring.models import PointAward


def test_the_demo_seeds_categories_and_nominations_in_every_state(app, freeze_time):
    freeze_time("2026-11-20T12:00:00+00:00")
    summary = seed_demo(people=40, days=14, random_seed=3)
    assert summary["nominations"] == 6
    slugs = set(db.session.scalars(select(NominationCategory.slug)))
    assert slugs == {"advocate-of-the-month", "community-champion"}
    states = set(db.session.scalars(select(Nomination.status)))
    assert states == {"submitted", "in_review", "approved", "declined", "withdrawn"}
    paid = db.session.scalar(select(func.count()).where(PointAward.cause_type == "nomination"))
    assert paid == 1
    periods = set(db.session.scalars(select(Nomination.period)))
    assert {"2026-10", "2026-11", "2026-Q4"} <= periods


def test_seeding_nominations_early_in_a_month_stays_in_the_past(app, freeze_time):
    now = freeze_time("2026-12-01T07:00:00+00:00")
    seed_demo(people=40, days=14, random_seed=5)
    latest = db.session.scalar(select(func.max(Nomination.created_at)))
    assert latest <= now
    assert db.session.scalar(select(func.count()).select_from(Nomination)) >= 5
