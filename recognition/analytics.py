"""Program analytics: participation, shares, engagement and points, by month and week.

Everything reads the live generation's per-person, per-local-day totals
(`daily_totals`), so a month's figures come from at most one row per person
and day, never from a scan of the ledger. Days are the organisation's local
days, which the scoring job already assigned, so months and ISO weeks follow
the organisation's time zone without any time-zone arithmetic here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select

from recognition.extensions import db
from recognition.people import Employee, Team
from scoring.models import DailyTotal
from scoring.periods import week_start
from scoring.rulesets import live_scoring

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
TREND_WEEKS = 12
NO_TEAM = "No team"
CSV_HEADER = ("row", "employee_id", "name", "team", "shares", "engagements", "points")
# Spreadsheet apps run cells starting with these as formulas (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Month:
    """A calendar month of local days, [first, end)."""

    first: dt.date

    @property
    def end(self) -> dt.date:
        return (self.first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.first:%B %Y}"

    @property
    def previous(self) -> Month:
        return Month((self.first - dt.timedelta(days=1)).replace(day=1))

    @property
    def next(self) -> Month:
        return Month(self.end)


def month_of(day: dt.date) -> Month:
    return Month(day.replace(day=1))


def parse_month(value: str | None, today: dt.date) -> Month:
    """`YYYY-MM` as a Month; blank means the month of `today`. ValueError otherwise."""
    if not value:
        return month_of(today)
    match = MONTH_PATTERN.match(value.strip())
    if not match:
        raise ValueError("Enter a month as YYYY-MM, for example 2026-11.")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 2000:
        raise ValueError("Enter a month as YYYY-MM, for example 2026-11.")
    return Month(dt.date(year, month, 1))


@dataclass(frozen=True)
class TeamFigures:
    slug: str | None
    name: str
    people: int  # active people in the team
    participants: int  # of them, people who shared at least once in the month
    shares: int
    engagements: int
    points: int


@dataclass(frozen=True)
class MonthReport:
    month: Month
    active_people: int
    participants: int
    shares: int
    engagements: int
    points: int
    teams: list[TeamFigures]

    @property
    def participation_rate(self) -> float | None:
        """Share of active people who shared at least once; None with nobody active."""
        return self.participants / self.active_people if self.active_people else None

    @property
    def engagement_per_share(self) -> float | None:
        """Engagements the month's shares earned, per share; None without shares."""
        return self.engagements / self.shares if self.shares else None


@dataclass(frozen=True)
class WeekFigures:
    first: dt.date  # the Monday
    shares: int
    points: int

    @property
    def label(self) -> str:
        iso = self.first.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"


@dataclass(frozen=True)
class PersonFigures:
    employee_id: str
    name: str
    team: str
    active: bool
    shares: int
    engagements: int
    points: int


def _generation(generation: int | None) -> int:
    return live_scoring().generation if generation is None else generation


def _per_person(generation: int, first: dt.date, end: dt.date):
    """Each person's month: one row per person with any totals in [first, end)."""
    return (
        select(
            DailyTotal.employee_id.label("employee_id"),
            func.sum(DailyTotal.shares).label("shares"),
            func.sum(DailyTotal.engagements).label("engagements"),
            func.sum(DailyTotal.points).label("points"),
        )
        .where(
            DailyTotal.generation == generation,
            DailyTotal.local_day >= first,
            DailyTotal.local_day < end,
        )
        .group_by(DailyTotal.employee_id)
        .subquery("per_person")
    )


def month_report(month: Month, generation: int | None = None) -> MonthReport:
    """The month's program figures, in total and per team (most points first).

    People count when they are active now; a person who has left still
    contributes the shares, engagements and points they earned while here.
    """
    per = _per_person(_generation(generation), month.first, month.end)
    active = Employee.active.is_(True)
    rows = db.session.execute(
        select(
            Team.slug,
            Team.name,
            func.sum(case((active, 1), else_=0)),
            func.sum(case((and_(active, per.c.shares > 0), 1), else_=0)),
            func.coalesce(func.sum(per.c.shares), 0),
            func.coalesce(func.sum(per.c.engagements), 0),
            func.coalesce(func.sum(per.c.points), 0),
        )
        .select_from(Employee)
        .outerjoin(Team, Team.id == Employee.team_id)
        .outerjoin(per, per.c.employee_id == Employee.id)
        .where(or_(active, per.c.employee_id.is_not(None)))
        .group_by(Team.id, Team.slug, Team.name)
    ).all()
    teams = [
        TeamFigures(slug, name or NO_TEAM, *(int(n) for n in numbers))
        for slug, name, *numbers in rows
    ]
    teams.sort(key=lambda t: (-t.points, -t.shares, t.slug is None, t.name.lower()))
    return MonthReport(
        month=month,
        active_people=sum(t.people for t in teams),
        participants=sum(t.participants for t in teams),
        shares=sum(t.shares for t in teams),
        engagements=sum(t.engagements for t in teams),
        points=sum(t.points for t in teams),
        teams=teams,
    )


def weekly_trend(
    through: dt.date, weeks: int = TREND_WEEKS, generation: int | None = None
) -> list[WeekFigures]:
    """Shares and points per ISO week, for `weeks` weeks ending with the week of `through`."""
    last = week_start(through)
    first = last - dt.timedelta(weeks=weeks - 1)
    end = last + dt.timedelta(days=7)
    rows = db.session.execute(
        select(DailyTotal.local_day, func.sum(DailyTotal.shares), func.sum(DailyTotal.points))
        .where(
            DailyTotal.generation == _generation(generation),
            DailyTotal.local_day >= first,
            DailyTotal.local_day < end,
        )
        .group_by(DailyTotal.local_day)
    ).all()
    # At most weeks x 7 rows: folding days into ISO weeks here keeps the SQL portable.
    totals = {first + dt.timedelta(weeks=n): [0, 0] for n in range(weeks)}
    for day, shares, points in rows:
        bucket = totals[week_start(day)]
        bucket[0] += int(shares or 0)
        bucket[1] += int(points or 0)
    return [WeekFigures(monday, shares, points) for monday, (shares, points) in totals.items()]


def person_figures(month: Month, generation: int | None = None) -> list[PersonFigures]:
    """Every active person (with zeros when quiet) and anyone else with activity in the month."""
    per = _per_person(_generation(generation), month.first, month.end)
    rows = db.session.execute(
        select(
            Employee.external_id,
            Employee.name,
            Team.name,
            Employee.active,
            func.coalesce(per.c.shares, 0),
            func.coalesce(per.c.engagements, 0),
            func.coalesce(per.c.points, 0),
        )
        .select_from(Employee)
        .outerjoin(Team, Team.id == Employee.team_id)
        .outerjoin(per, per.c.employee_id == Employee.id)
        .where(or_(Employee.active.is_(True), per.c.employee_id.is_not(None)))
    ).all()
    people = [
        PersonFigures(ref, name, team or NO_TEAM, bool(active), int(s), int(e), int(p))
        for ref, name, team, active, s, e, p in rows
    ]
    people.sort(key=lambda p: (p.team == NO_TEAM, p.team.lower(), p.name.lower(), p.employee_id))
    return people


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def month_csv(month: Month, generation: int | None = None) -> str:
    """The month as CSV: a header, one row per team, then one row per person.

    The first column says which kind of row it is, so a spreadsheet can
    filter and total either kind without counting anything twice.
    """
    generation = _generation(generation)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for team in month_report(month, generation).teams:
        writer.writerow(
            ["team", "", "", _cell(team.name), team.shares, team.engagements, team.points]
        )
    for person in person_figures(month, generation):
        writer.writerow(
            [
                "person",
                _cell(person.employee_id),
                _cell(person.name),
                _cell(person.team),
                person.shares,
                person.engagements,
                person.points,
            ]
        )
    return out.getvalue()
