"""A person's ledger read back: the breakdown, recent activity, and the index behind them."""

from __future__ import annotations

import datetime as dt
import itertools
import json

from sqlalchemy import text

from recognition.extensions import db
from scoring import history
from scoring.models import LedgerGeneration, PointAward
from scoring.rulesets import live_scoring
from tests.conftest import BACKEND
from tests.helpers import add_person

DAY = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
_causes = itertools.count(1)


def ledger_row(person, rule="share", network="linkedin", points=10, capped=False, **extra):
    """A ledger row as the score job writes it (only what the readers look at varies)."""
    cause_type = extra.pop("cause_type", "event")
    occurred_at = extra.pop("occurred_at", DAY)
    return PointAward(
        generation=extra.pop("generation", live_scoring().generation),
        employee_id=person.id,
        cause_type=cause_type,
        cause_id=next(_causes),
        rule=rule,
        network=network if cause_type == "event" else None,
        quantity=extra.pop("quantity", 1),
        points=points,
        base_points=points,
        capped=capped,
        ruleset_version=1,
        reason=f"{rule}: test",
        local_day=occurred_at.date(),
        occurred_at=occurred_at,
    )


def test_breakdown_groups_events_by_rule_and_network_and_other_causes_by_kind(app):
    ada, grace = add_person("E1"), add_person("E2")
    live = live_scoring().generation  # sets up ruleset 1 and the live generation
    other_gen = LedgerGeneration(ruleset_version=1, state="building")
    db.session.add(other_gen)
    db.session.flush()
    db.session.add_all(
        [
            ledger_row(ada, "share", "linkedin", 10),
            ledger_row(ada, "share", "linkedin", 10),
            ledger_row(ada, "share", "linkedin", 0, capped=True),
            ledger_row(ada, "share", "x", 10),
            ledger_row(ada, "comment", "x", 30, quantity=10),
            # Likes count as many actions as the events carry, capped ones included.
            ledger_row(ada, "like", "linkedin", 7, quantity=7),
            ledger_row(ada, "like", "linkedin", 2, capped=True, quantity=5),
            # Other causes are one line per kind, whatever their rule.
            ledger_row(ada, "bonus", cause_type="adjustment", points=5),
            ledger_row(ada, "correction", cause_type="adjustment", points=-2),
            ledger_row(ada, "peer", cause_type="kudos", points=4),
            # Not Ada's live ledger: another person, and a generation being built.
            ledger_row(grace, "share", "linkedin", 10),
            ledger_row(ada, "share", "linkedin", 99, generation=other_gen.id),
        ]
    )
    db.session.commit()

    rows = history.breakdown(ada.id)
    assert live_scoring().generation == live

    assert [(r.cause_type, r.rule, r.network, r.actions, r.points, r.capped) for r in rows] == [
        ("event", "comment", "x", 10, 30, 0),
        ("event", "share", "linkedin", 3, 20, 1),
        ("event", "share", "x", 1, 10, 0),
        ("event", "like", "linkedin", 12, 9, 1),
        ("kudos", None, None, 1, 4, 0),
        ("adjustment", None, None, 2, 3, 0),
    ]
    assert history.breakdown(add_person("E3").id) == []


def test_recent_activity_is_newest_first_and_limited(app):
    ada = add_person("E1")
    db.session.add_all(
        [ledger_row(ada, points=n, occurred_at=DAY + dt.timedelta(hours=n)) for n in range(5)]
    )
    db.session.commit()
    latest = history.recent_activity(ada.id, limit=3)
    assert [a.points for a in latest] == [4, 3, 2]


def _plan(query) -> str:
    sql = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        # Tiny tables: make the planner show whether the index *can* answer alone.
        conn.execute(text("SET enable_seqscan = off"))
        conn.execute(text("SET enable_bitmapscan = off"))
        return json.dumps(conn.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar())


def test_breakdown_reads_the_persons_index(app):
    """PostgreSQL answers from the covering index alone (index-only scan);
    SQLite, which has no INCLUDE columns, still finds the rows by that index."""
    ada = add_person("E1")
    db.session.add_all([ledger_row(ada), ledger_row(ada, "like", "x", 1)])
    db.session.commit()
    query = history.breakdown_query(live_scoring().generation, ada.id)
    if BACKEND == "server":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE point_awards"))  # as autovacuum would
        plan = _plan(query)
        assert '"Index Only Scan"' in plan
    else:
        sql = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
        plan = " ".join(
            str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
        )
    assert "ix_point_awards_person_covering" in plan
