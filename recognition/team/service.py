"""A manager's direct reports with this month's figures, read from SQL.

Every figure names its period: this month so far (local days from the 1st to
today), and the same days of last month for the trend, so the comparison is
like for like.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from recognition.extensions import db
from recognition.kudos.models import Kudos, KudosReceipt
from recognition.people import Employee
from scoring.ledger import org_today, window_totals
from scoring.models import BadgeAward, DailyTotal, Event, PersonProgress
from scoring.periods import month_start, window_for
from scoring.rulesets import ensure_scoring_setup, live_scoring

NEWEST_BADGES = 3


@dataclass(frozen=True)
class Periods:
    today: dt.date
    month_first: dt.date
    last_first: dt.date
    last_end: dt.date  # exclusive: the same days of last month as this month so far

    @property
    def this_label(self) -> str:
        return f"{self.month_first:%B %Y}, 1–{self.today.day}"

    @property
    def last_label(self) -> str:
        last_day = self.last_end - dt.timedelta(days=1)
        return f"{self.last_first:%B %Y}, 1–{last_day.day}"


def periods(today: dt.date | None = None) -> Periods:
    today = today or org_today()
    first = month_start(today)
    last_first = month_start(first - dt.timedelta(days=1))
    days = (today - first).days + 1
    last_end = min(last_first + dt.timedelta(days=days), first)
    return Periods(today, first, last_first, last_end)


@dataclass(frozen=True)
class Member:
    person: Employee
    hidden: bool  # opted out of the boards: points and rank are theirs alone
    points: int | None
    rank: int | None
    last_points: int | None
    tier: str | None
    badges: tuple[str, ...]
    shares: int
    kudos_given: int
    kudos_received: int

    @property
    def trend(self) -> int | None:
        if self.points is None or self.last_points is None:
            return None
        return self.points - self.last_points


@dataclass(frozen=True)
class Team:
    manager: Employee
    members: list[Member]
    periods: Periods
    kudos_given: int
    kudos_received: int

    @property
    def not_shared(self) -> list[Member]:
        return [m for m in self.members if m.shares == 0]


def managers() -> list[Employee]:
    """Everyone with active direct reports, by name (an admin's choice of team)."""
    boss = select(Employee.manager_id).where(
        Employee.active.is_(True), Employee.manager_id.is_not(None)
    )
    return list(
        db.session.scalars(select(Employee).where(Employee.id.in_(boss)).order_by(Employee.name))
    )


def _org_ranks(gen: int, first: dt.date, end: dt.date) -> dict[int, int]:
    """Ranks on this month's organisation board so far (listed people, ties share)."""
    sums = window_totals(gen, window_for("month", first))
    listed = set(
        db.session.scalars(
            select(Employee.id).where(
                Employee.active.is_(True), Employee.leaderboard_opt_out.is_(False)
            )
        )
    )
    scores = sorted((p for pid, p in sums.items() if pid in listed and p > 0), reverse=True)
    ranks: dict[int, int] = {}
    for pid, points in sums.items():
        if pid in listed and points > 0:
            # 1 + how many have more: ties share a rank (1, 2, 2, 4).
            ranks[pid] = next(i for i, s in enumerate(scores) if s == points) + 1
    return ranks


def team_of(manager: Employee, today: dt.date | None = None) -> Team:
    ensure_scoring_setup()
    p = periods(today)
    live = live_scoring()
    gen = live.generation
    reports = list(
        db.session.scalars(
            select(Employee)
            .where(Employee.manager_id == manager.id, Employee.active.is_(True))
            .order_by(Employee.name)
        )
    )
    ids = [r.id for r in reports]
    if not ids:
        return Team(manager, [], p, 0, 0)
    month_end = p.today + dt.timedelta(days=1)
    this = _sums(gen, ids, p.month_first, month_end)
    last = _sums(gen, ids, p.last_first, p.last_end)
    ranks = _org_ranks(gen, p.month_first, month_end)
    tiers = dict(
        db.session.execute(
            select(PersonProgress.employee_id, PersonProgress.tier).where(
                PersonProgress.generation == gen, PersonProgress.employee_id.in_(ids)
            )
        ).all()
    )
    tier_names = {t.slug: t.name for t in live.ruleset.tiers}
    badge_names = {b.slug: b.name for b in live.ruleset.badges}
    newest: dict[int, list[str]] = {}
    for row in db.session.execute(
        select(BadgeAward.employee_id, BadgeAward.badge)
        .where(
            BadgeAward.generation == gen,
            BadgeAward.employee_id.in_(ids),
            BadgeAward.revoked_at.is_(None),
        )
        .order_by(BadgeAward.earned_at.desc(), BadgeAward.id.desc())
    ):
        got = newest.setdefault(row.employee_id, [])
        if len(got) < NEWEST_BADGES:
            got.append(badge_names.get(row.badge, row.badge))
    tz = current_app.config["LAUREL_TZ"]
    start_at = dt.datetime.combine(p.month_first, dt.time(), tzinfo=tz)
    refs = {r.external_id: r.id for r in reports}
    shares = {
        refs[ref]: n
        for ref, n in db.session.execute(
            select(Event.employee_ref, func.count())
            .where(
                Event.employee_ref.in_(list(refs)),
                Event.type == "share",
                Event.occurred_at >= start_at,
            )
            .group_by(Event.employee_ref)
        )
    }
    given = dict(
        db.session.execute(
            select(Kudos.giver_id, func.count())
            .where(
                Kudos.giver_id.in_(ids),
                Kudos.month == p.month_first,
                Kudos.reversed_at.is_(None),
            )
            .group_by(Kudos.giver_id)
        ).all()
    )
    received = dict(
        db.session.execute(
            select(KudosReceipt.receiver_id, func.count())
            .join(Kudos, Kudos.id == KudosReceipt.kudos_id)
            .where(
                KudosReceipt.receiver_id.in_(ids),
                Kudos.month == p.month_first,
                Kudos.reversed_at.is_(None),
            )
            .group_by(KudosReceipt.receiver_id)
        ).all()
    )
    members = []
    for r in reports:
        hidden = r.leaderboard_opt_out
        members.append(
            Member(
                person=r,
                hidden=hidden,
                points=None if hidden else this.get(r.id, 0),
                rank=None if hidden else ranks.get(r.id),
                last_points=None if hidden else last.get(r.id, 0),
                tier=tier_names.get(tiers.get(r.id), tiers.get(r.id)) if tiers.get(r.id) else None,
                badges=tuple(newest.get(r.id, ())),
                shares=shares.get(r.id, 0),
                kudos_given=given.get(r.id, 0),
                kudos_received=received.get(r.id, 0),
            )
        )
    return Team(manager, members, p, sum(given.values()), sum(received.values()))


def _sums(gen: int, ids: list[int], first: dt.date, end: dt.date) -> dict[int, int]:
    if end <= first:
        return {}
    rows = db.session.execute(
        select(DailyTotal.employee_id, func.sum(DailyTotal.points))
        .where(
            DailyTotal.generation == gen,
            DailyTotal.employee_id.in_(ids),
            DailyTotal.local_day >= first,
            DailyTotal.local_day < end,
        )
        .group_by(DailyTotal.employee_id)
    )
    return {pid: int(points) for pid, points in rows}


SORTS = {
    "name": (lambda m: m.person.name.lower(), False),
    "points": (lambda m: -1 if m.points is None else m.points, True),
    "rank": (lambda m: m.rank if m.rank is not None else 10**9, False),
    "trend": (lambda m: -(10**9) if m.trend is None else m.trend, True),
}


def sorted_members(members: list[Member], sort: str) -> list[Member]:
    key, reverse = SORTS.get(sort, SORTS["name"])
    return sorted(members, key=key, reverse=reverse)
