"""A nominee's advocacy figures for a period: what a nomination freezes at
submission, and what the review shows beside it as today's figures."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import and_, func, select

from recognition.clock import utcnow
from recognition.extensions import db
from recognition.kudos.models import Kudos, KudosReceipt
from recognition.mentorship.models import ContentItem
from recognition.nominations import rules
from recognition.people import Employee
from scoring.models import BadgeAward, DailyTotal, Event, PersonProgress
from scoring.rulesets import live_scoring

TOP_CONTENT = 3
KUDOS_MESSAGES = 5


def _rank(gen: int, first: dt.date, end: dt.date, points: int, team_id: int | None = None):
    """1 + the listed active people with more points in the window (ties share a rank);
    None without points, as on the boards."""
    if points <= 0:
        return None
    sums = (
        select(DailyTotal.employee_id, func.sum(DailyTotal.points).label("points"))
        .where(
            DailyTotal.generation == gen,
            DailyTotal.local_day >= first,
            DailyTotal.local_day < end,
        )
        .group_by(DailyTotal.employee_id)
        .subquery()
    )
    query = (
        select(func.count())
        .select_from(sums)
        .join(Employee, Employee.id == sums.c.employee_id)
        .where(
            Employee.active.is_(True),
            Employee.leaderboard_opt_out.is_(False),
            sums.c.points > points,
        )
    )
    if team_id is not None:
        query = query.where(Employee.team_id == team_id)
    return int(db.session.scalar(query) or 0) + 1


def gather(nominee: Employee, kind: str, label: str) -> dict:
    """The evidence for `nominee` in the period `label` (a `kind` period), as of now."""
    first, end = rules.period_bounds(kind, label)
    tz = current_app.config["LAUREL_TZ"]
    start_at = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end_at = dt.datetime.combine(end, dt.time(), tzinfo=tz)
    live = live_scoring()
    gen, ruleset = live.generation, live.ruleset
    points = int(
        db.session.scalar(
            select(func.coalesce(func.sum(DailyTotal.points), 0)).where(
                DailyTotal.generation == gen,
                DailyTotal.employee_id == nominee.id,
                DailyTotal.local_day >= first,
                DailyTotal.local_day < end,
            )
        )
        or 0
    )
    tier_slug = db.session.scalar(
        select(PersonProgress.tier).where(
            PersonProgress.generation == gen, PersonProgress.employee_id == nominee.id
        )
    )
    tier_names = {t.slug: t.name for t in ruleset.tiers}
    badge_names = {b.slug: b.name for b in ruleset.badges}
    badges = [
        {
            "badge": row.badge,
            "name": badge_names.get(row.badge, row.badge),
            "level": row.level,
            "earned_at": row.earned_at.isoformat(),
        }
        for row in db.session.scalars(
            select(BadgeAward)
            .where(
                BadgeAward.generation == gen,
                BadgeAward.employee_id == nominee.id,
                BadgeAward.revoked_at.is_(None),
                BadgeAward.earned_at >= start_at,
                BadgeAward.earned_at < end_at,
            )
            .order_by(BadgeAward.earned_at, BadgeAward.id)
        )
    ]
    shares = func.count().label("shares")
    content = db.session.execute(
        select(Event.content_id, shares, ContentItem.title)
        .outerjoin(ContentItem, ContentItem.content_id == Event.content_id)
        .where(
            Event.employee_ref == nominee.external_id,
            Event.type == "share",
            Event.content_id.is_not(None),
            Event.occurred_at >= start_at,
            Event.occurred_at < end_at,
        )
        .group_by(Event.content_id, ContentItem.title)
        .order_by(shares.desc(), Event.content_id)
        .limit(TOP_CONTENT)
    ).all()
    in_window = and_(
        KudosReceipt.receiver_id == nominee.id,
        Kudos.reversed_at.is_(None),
        Kudos.created_at >= start_at,
        Kudos.created_at < end_at,
    )
    count, kudos_points = db.session.execute(
        select(func.count(), func.coalesce(func.sum(KudosReceipt.points), 0))
        .join(Kudos, Kudos.id == KudosReceipt.kudos_id)
        .where(in_window)
    ).one()
    messages = db.session.execute(
        select(Employee.name, Kudos.message, Kudos.created_at)
        .join(KudosReceipt, KudosReceipt.kudos_id == Kudos.id)
        .join(Employee, Employee.id == Kudos.giver_id)
        .where(in_window)
        .order_by(Kudos.created_at.desc(), Kudos.id.desc())
        .limit(KUDOS_MESSAGES)
    ).all()
    return {
        "period": label,
        "period_kind": kind,
        "as_of": utcnow().isoformat(),
        "points": points,
        "rank": _rank(gen, first, end, points),
        "team": nominee.team.name if nominee.team else None,
        "team_rank": _rank(gen, first, end, points, nominee.team_id) if nominee.team_id else None,
        "tier": tier_names.get(tier_slug, tier_slug) if tier_slug else None,
        "badges": badges,
        "top_content": [
            {"content_id": c.content_id, "title": c.title, "shares": int(c.shares)} for c in content
        ],
        "kudos": {
            "count": int(count),
            "points": int(kudos_points),
            "messages": [
                {"from": m.name, "message": m.message[:300], "at": m.created_at.isoformat()}
                for m in messages
            ],
        },
    }
