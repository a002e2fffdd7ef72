"""Property tests: replaying the event log is deterministic and equals live scoring.

Event streams are generated with duplicates and delivered in shuffled order,
in batches, through the real API and job; some batches lose their job (as when
Redis is down) and are scored late by the relay, some events wait for a person
who joins the directory midway, some arrived too long after they occurred,
and some come through the backfill scope. Then the log is replayed under the
same ruleset into new generations.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from recognition.directory import after_directory_change
from recognition.extensions import db, redis_connection
from recognition.models import (
    ApiToken,
    BadgeAward,
    DailyTotal,
    DeadLetter,
    Employee,
    EmployeeScore,
    Event,
    LedgerGeneration,
    Notification,
    PendingEvent,
    PersonProgress,
    PointAward,
)
from recognition.people import EmployeeSchema, upsert_employee
from scoring import jobs
from scoring.rescore import rescore
from tests.helpers import add_person, token

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
PEOPLE = ["A", "B", "C"]
LATECOMER = "D"  # joins the directory midway: their earlier events were held

events_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "employee_id": st.sampled_from([*PEOPLE, LATECOMER, "GHOST"]),
            "type": st.sampled_from(["share", "share", "reshare", "comment", "like", "click"]),
            "network": st.sampled_from(["linkedin", "x", "facebook"]),
            # Mostly the last two days, where the daily caps bite; some up to 40
            # days back, which arrive after the 30-day window and earn nothing.
            "minutes_ago": st.one_of(
                st.integers(min_value=0, max_value=2 * 24 * 60),
                st.integers(min_value=0, max_value=40 * 24 * 60),
            ),
            "count": st.integers(min_value=1, max_value=40),
            "backfill": st.booleans(),
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
        PendingEvent,
        DeadLetter,
        Event,
        ApiToken,
    ):
        db.session.execute(delete(model))
    db.session.execute(delete(Employee).where(Employee.external_id == LATECOMER))
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
    stranded=st.floats(min_value=0, max_value=0.6),
    latecomer_joins=st.integers(min_value=0, max_value=20),
)
def test_replay_equals_live_and_is_deterministic(
    app, client, work, freeze_time, events, redeliver, order, batch, stranded, latecomer_joins
):
    """`stranded`: the share of batches whose score job is lost; `latecomer_joins`:
    the batch before which the latecomer joins the directory."""
    _reset()
    freeze_time(NOW)
    for who in PEOPLE:
        add_person(who, team="sales")
    headers = token()
    backfill_headers = token("events:write", "events:backfill")
    payloads = [
        {
            "id": f"e{i}",
            "type": e["type"],
            "employee_id": e["employee_id"],
            "network": e["network"],
            "occurred_at": (NOW - dt.timedelta(minutes=e["minutes_ago"])).isoformat(),
            "count": 1 if e["type"] == "share" else e["count"],
        }
        for i, e in enumerate(events)
    ]
    via_backfill = {p["id"] for p, e in zip(payloads, events, strict=True) if e["backfill"]}
    deliveries = payloads + [payloads[i % len(payloads)] for i in redeliver]
    order.shuffle(deliveries)
    real_enqueue = jobs.enqueue
    lost = False

    def enqueue(*args, **kwargs):
        if lost:
            raise ConnectionError("Redis is down")  # the events wait in the outbox
        return real_enqueue(*args, **kwargs)

    with mock.patch.object(jobs, "enqueue", enqueue):
        for number, start in enumerate(range(0, len(deliveries), batch)):
            if number == latecomer_joins:
                _latecomer_joins()
                work()
            chunk = deliveries[start : start + batch]
            lost = order.random() < stranded
            for items, use in (
                ([d for d in chunk if d["id"] not in via_backfill], headers),
                ([d for d in chunk if d["id"] in via_backfill], backfill_headers),
            ):
                if items:
                    resp = client.post("/api/v1/events", json={"events": items}, headers=use)
                    assert resp.status_code == 202
            lost = False
            work()
        if latecomer_joins * batch >= len(deliveries):
            _latecomer_joins()
            work()
    # The relay scores what lost its job, after everything delivered later.
    jobs.score_pending_job()
    from scoring.rulesets import live_scoring

    gen = live_scoring().generation
    live = (_ledger(gen), _badges(gen), _rollups(gen))
    assert len(live[0]) == sum(1 for p in payloads if p["employee_id"] != "GHOST")

    first = rescore(1)["generation"]
    second = rescore(1)["generation"]
    replayed = (_ledger(first), _badges(first), _rollups(first))
    assert replayed == live
    assert (_ledger(second), _badges(second), _rollups(second)) == replayed


def _latecomer_joins() -> None:
    data = EmployeeSchema().load(
        {"employee_id": LATECOMER, "email": "d@example.com", "name": "Dee", "team": "sales"}
    )
    result = upsert_employee(data)
    db.session.commit()
    after_directory_change([result])  # scores the events held for them
