"""Property tests: replaying the event log is deterministic and equals live scoring.

Event streams are generated with duplicates and delivered in shuffled order,
in batches, through the real API and job; then the log is replayed under the
same ruleset into new generations.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from recognition.extensions import db, redis_connection
from recognition.models import (
    ApiToken,
    BadgeAward,
    DailyTotal,
    EmployeeScore,
    Event,
    LedgerGeneration,
    Notification,
    PersonProgress,
    PointAward,
)
from scoring.rescore import rescore
from tests.helpers import add_person, token

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
PEOPLE = ["A", "B", "C"]

events_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "employee_id": st.sampled_from(PEOPLE + ["GHOST"]),
            "type": st.sampled_from(["share", "share", "reshare", "comment", "like", "click"]),
            "network": st.sampled_from(["linkedin", "x", "facebook"]),
            "minutes_ago": st.integers(min_value=0, max_value=40 * 24 * 60),
            "count": st.integers(min_value=1, max_value=40),
        }
    ),
    min_size=1,
    max_size=40,
)


def _reset() -> None:
    """A clean world for each generated example (the fixture's state is per test)."""
    db.session.rollback()
    for model in (
        Notification,
        BadgeAward,
        PersonProgress,
        PointAward,
        DailyTotal,
        EmployeeScore,
        LedgerGeneration,
        Event,
        ApiToken,
    ):
        db.session.execute(delete(model))
    db.session.commit()
    redis_connection().flushdb()


def _ledger(gen: int):
    return sorted(
        db.session.execute(
            select(
                PointAward.employee_id,
                PointAward.cause_id,
                PointAward.rule,
                PointAward.network,
                PointAward.points,
                PointAward.capped,
                PointAward.quantity,
                PointAward.local_day,
            ).where(PointAward.generation == gen)
        ).all()
    )


def _badges(gen: int):
    return sorted(
        db.session.execute(
            select(
                BadgeAward.employee_id,
                BadgeAward.badge,
                BadgeAward.level,
                BadgeAward.cause_id,
                BadgeAward.earned_at,
            ).where(BadgeAward.generation == gen)
        ).all()
    )


def _rollups(gen: int):
    daily = sorted(
        tuple(r)[1:]
        for r in db.session.execute(
            select(DailyTotal.__table__).where(DailyTotal.generation == gen)
        ).all()
    )
    stats = sorted(
        (r.employee_id, str(sorted(r.stats.items())))
        for r in db.session.scalars(select(PersonProgress).where(PersonProgress.generation == gen))
    )
    return daily, stats


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=events_strategy,
    redeliver=st.lists(st.integers(min_value=0, max_value=39), max_size=10),
    order=st.randoms(use_true_random=False),
    batch=st.integers(min_value=1, max_value=15),
)
def test_replay_equals_live_and_is_deterministic(
    app, client, work, freeze_time, events, redeliver, order, batch
):
    _reset()
    freeze_time(NOW)
    for who in PEOPLE:
        add_person(who, team="sales")
    headers = token()
    payloads = [
        {
            "id": f"e{i}",
            "type": e["type"],
            "employee_id": e["employee_id"],
            "network": e["network"],
            "occurred_at": (NOW - dt.timedelta(minutes=e["minutes_ago"])).isoformat(),
            "count": e["count"],
        }
        for i, e in enumerate(events)
    ]
    deliveries = payloads + [payloads[i % len(payloads)] for i in redeliver]
    order.shuffle(deliveries)
    for start in range(0, len(deliveries), batch):
        resp = client.post(
            "/api/v1/events", json={"events": deliveries[start : start + batch]}, headers=headers
        )
        assert resp.status_code == 202
        work()
    from scoring.rulesets import live_scoring

    gen = live_scoring().generation
    live = (_ledger(gen), _badges(gen), _rollups(gen))
    assert len(live[0]) == sum(1 for p in payloads if p["employee_id"] != "GHOST")

    first = rescore(1)["generation"]
    second = rescore(1)["generation"]
    replayed = (_ledger(first), _badges(first), _rollups(first))
    assert replayed == live
    assert (_ledger(second), _badges(second), _rollups(second)) == replayed
