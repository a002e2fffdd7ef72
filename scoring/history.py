"""A person's points over time and where they came from, read from the live ledger.

Read-only SQL over `daily_totals` and `point_awards`; the pages shape it for
people. Both read only the person's own ledger rows (the ledger carries the
event's network), through the (generation, employee_id, occurred_at) index,
which on PostgreSQL also carries the columns the breakdown sums.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, select

from recognition.extensions import db
from scoring.ledger import org_today
from scoring.models import DailyTotal, PointAward
from scoring.periods import week_start
from scoring.rules import SHARE
from scoring.rulesets import live_scoring

_WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class BreakdownRow:
    """Ledger rows of one kind: an event rule on a network, or another cause."""

    cause_type: str  # "event", "kudos", "nomination", "adjustment"
    rule: str | None  # the event type for events; None for other causes
    network: str | None
    actions: int  # shares, and the engagements events carry (their count); awards otherwise
    points: int
    capped: int  # ledger rows the daily caps cut


@dataclass(frozen=True)
class Activity:
    """One ledger row as a person's recent activity."""

    occurred_at: dt.datetime
    cause_type: str
    rule: str
    network: str | None
    quantity: int
    points: int
    capped: bool
    reason: str


def weekly_points(
    person_id: int, weeks: int = 12, today: dt.date | None = None
) -> list[tuple[dt.date, int]]:
    """(Monday, points) for the last `weeks` ISO weeks, oldest first, this week included.

    Weeks without points are listed with 0, so a chart has one bar per week.
    """
    today = today or org_today()
    last = week_start(today)
    first = last - (weeks - 1) * _WEEK
    rows = db.session.execute(
        select(DailyTotal.local_day, DailyTotal.points).where(
            DailyTotal.generation == live_scoring().generation,
            DailyTotal.employee_id == person_id,
            DailyTotal.local_day >= first,
            DailyTotal.local_day < last + _WEEK,
        )
    )
    totals = {first + i * _WEEK: 0 for i in range(weeks)}
    for day, points in rows:
        totals[week_start(day)] += points
    return list(totals.items())


def breakdown_query(generation: int, person_id: int) -> Select:
    """Per (cause, rule, network): actions, points and capped rows of one person.

    A share is one action however it was sent; an engagement event carries
    its count of likes, clicks or comments (the ledger's `quantity`), as the
    daily totals count them. Only columns the covering index carries, so
    PostgreSQL answers it from the index alone (a test holds it to that).
    """
    engagement = and_(PointAward.cause_type == "event", PointAward.rule != SHARE)
    return (
        select(
            PointAward.cause_type,
            PointAward.rule,
            PointAward.network,
            func.sum(case((engagement, PointAward.quantity), else_=1)),
            func.sum(PointAward.points),
            func.sum(case((PointAward.capped, 1), else_=0)),
        )
        .where(PointAward.generation == generation, PointAward.employee_id == person_id)
        .group_by(PointAward.cause_type, PointAward.rule, PointAward.network)
    )


def breakdown(person_id: int) -> list[BreakdownRow]:
    """How a person's points were earned: per event rule and network, then other causes.

    Largest point totals first; capped rows are counted so the page can say
    where a daily limit cut in.
    """
    query = breakdown_query(live_scoring().generation, person_id)
    events: list[BreakdownRow] = []
    others: dict[str, BreakdownRow] = {}
    for cause, rule, network, n, points, cut in db.session.execute(query):
        if cause == "event":
            events.append(
                BreakdownRow("event", rule, network, int(n), int(points or 0), int(cut or 0))
            )
            continue
        # Kudos, nominations and adjustments are one line each, whatever their rule.
        held = others.get(cause) or BreakdownRow(cause, None, None, 0, 0, 0)
        others[cause] = BreakdownRow(
            cause,
            None,
            None,
            held.actions + int(n),
            held.points + int(points or 0),
            held.capped + int(cut or 0),
        )
    events.sort(key=lambda r: (-r.points, r.rule, r.network or ""))
    extra = sorted(others.values(), key=lambda r: (-r.points, r.cause_type))
    return events + extra


def recent_activity(person_id: int, limit: int = 10) -> list[Activity]:
    """The person's latest ledger rows, newest first by when they happened."""
    query = (
        select(
            PointAward.occurred_at,
            PointAward.cause_type,
            PointAward.rule,
            PointAward.network,
            PointAward.quantity,
            PointAward.points,
            PointAward.capped,
            PointAward.reason,
        )
        .where(
            PointAward.generation == live_scoring().generation,
            PointAward.employee_id == person_id,
        )
        .order_by(PointAward.occurred_at.desc(), PointAward.id.desc())
        .limit(limit)
    )
    return [Activity(*row) for row in db.session.execute(query)]
