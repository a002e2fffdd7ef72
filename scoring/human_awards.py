"""Awards people (not events) cause: ledger rows for mentorship, kudos, nominations.

The product's service calls `record_award` inside its own transaction; the row
goes into the live generation's ledger (one per cause and rule, by the unique
key), its fact is folded into the person's badge counters in the same
transaction, and badges it completes are awarded and notified.

This version carries zero-point facts only (a completed mentorship counts for
badges, its points default to 0); rows with points also need the day totals,
scores and boards, which the kudos and nomination work adds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import current_app

from recognition.clock import utcnow
from scoring.achievements import Fact
from scoring.ledger import _lock_people, org_today
from scoring.models import PointAward
from scoring.periods import local_day
from scoring.progress import AchievementTracker
from scoring.rulesets import live_scoring
from scoring.storage import insert_many

CAUSE_TYPES = ("kudos", "nomination", "mentorship", "adjustment")


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
    """Write the ledger row and fold its fact; False if that (cause, rule) row exists."""
    if cause_type not in CAUSE_TYPES:
        raise ValueError(f"cause_type must be one of {CAUSE_TYPES}")
    if points != 0:
        raise ValueError("only zero-point awards are supported here")
    live = live_scoring()
    # The person's score row is the lock every writer of their counters takes.
    _lock_people(live.generation, [employee_id])
    day = local_day(occurred_at, current_app.config["LAUREL_TZ"])
    written = insert_many(
        PointAward.__table__,
        [
            {
                "generation": live.generation,
                "employee_id": employee_id,
                "cause_type": cause_type,
                "cause_id": cause_id,
                "rule": rule,
                "network": None,
                "quantity": quantity,
                "points": points,
                "base_points": points,
                "capped": False,
                "ruleset_version": live.ruleset.version,
                "reason": reason[:300],
                "local_day": day,
                "occurred_at": occurred_at,
                "created_at": utcnow(),
            }
        ],
        conflict=("cause_id", "cause_type", "generation", "rule"),
        returning=("id",),
    )
    if not written:
        return False
    tracker = AchievementTracker(live.generation, live.ruleset, [employee_id], defaultdict(int))
    tracker.observe(
        employee_id,
        Fact(rule, None, None, quantity, day, points),
        (cause_type, cause_id),
        occurred_at,
    )
    tracker.save(org_today(), notify=True)
    return True
