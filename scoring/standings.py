"""Read side of the leaderboards, shared by the JSON API and the pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from recognition.extensions import db, redis_connection
from recognition.people import Employee, Team
from scoring.leaderboard import BoardReader, Boards, BoardView, Entry
from scoring.ledger import (
    build_rolling_boards,
    ensure_boards,
    org_boards,
    org_today,
    person_totals,
)
from scoring.models import DailyTotal
from scoring.periods import PERIODS, Window, window_for
from scoring.rules import DayState, GapAdvice, closing_advice
from scoring.rulesets import live_scoring
from scoring.storage import among

MAX_LIMIT = 100


def reader() -> BoardReader:
    """One reader per app (its Lua scripts are registered once)."""
    ext = current_app.extensions
    if "laurel_board_reader" not in ext:
        ext["laurel_board_reader"] = BoardReader(redis_connection(), org_boards())
    return ext["laurel_board_reader"]


def current_window(period: str) -> Window:
    window = window_for(period, org_today())
    if period == "30d":
        _ensure_rolling(window)
    return window


def _ensure_rolling(window: Window) -> None:
    """Today's rolling board is built on its first read of the day (or by the first job)."""
    r = redis_connection()
    boards: Boards = org_boards()
    if r.exists(boards.rolling_ready(window)):
        return
    if r.set(boards.build_lock, "1", nx=True, ex=120):
        try:
            build_rolling_boards(window.end - dt.timedelta(days=1))
        finally:
            r.delete(boards.build_lock)
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not r.exists(boards.rolling_ready(window)):
        time.sleep(0.05)


def board(
    period: str,
    team: str | None = None,
    limit: int = 10,
    around: str | None = None,
    max_limit: int = MAX_LIMIT,
) -> BoardView:
    """Top `limit` (at most `max_limit`) of a current board, plus `around` (an
    employee id) with neighbours."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    limit = max(0, min(limit, max_limit))
    ensure_boards()  # Redis lost them: rebuilt here, or by whoever got there first
    return reader().read(current_window(period), team, limit, around)


@dataclass(frozen=True)
class BoardSearch:
    """People whose name matches, with their place on one board."""

    ranked: list[Entry]  # best rank first
    unranked: list[Employee]  # matching, but not on this board (no points, or private)
    more: bool  # more people match than were looked at


def matching_people(query: str, team: str | None = None, limit: int = 25) -> list[Employee]:
    """Active people whose name contains `query` (any case), by name; `limit` + 1 at most,
    so a caller can tell there are more."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    select_people = (
        select(Employee)
        .where(Employee.active.is_(True), Employee.name.ilike(f"%{escaped}%", escape="\\"))
        .order_by(Employee.name, Employee.id)
        .limit(limit + 1)
    )
    if team:
        select_people = select_people.join(Team, Team.id == Employee.team_id).where(
            Team.slug == team
        )
    return list(db.session.scalars(select_people))


SEARCH_CANDIDATES = 500  # matching names looked up on the board, best ranks shown first


def search_board(period: str, team: str | None, query: str, limit: int = 25) -> BoardSearch:
    """Find colleagues by name on a current board (org-wide or a team's): the best
    placed of them first, then those not on it, `limit` people in all."""
    found = matching_people(query, team, SEARCH_CANDIDATES)
    more = len(found) > SEARCH_CANDIDATES
    found = found[:SEARCH_CANDIDATES]
    key = org_boards().key(current_window(period), team)
    places = reader().places(key, [str(p.id) for p in found])
    ranked, unranked = [], []
    for person in found:
        place = places.get(str(person.id))
        if place is None:
            unranked.append(person)
            continue
        team_slug = person.team.slug if person.team else None
        ranked.append(
            Entry(place[0], str(person.id), person.external_id, person.name, team_slug, place[1])
        )
    ranked.sort(key=lambda e: (e.rank, e.name))
    more = more or len(ranked) + len(unranked) > limit
    ranked = ranked[:limit]
    return BoardSearch(ranked, unranked[: limit - len(ranked)], more)


def team_exists(slug: str) -> bool:
    return db.session.scalar(select(Team.id).where(Team.slug == slug)) is not None


def teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def standing(person: Employee) -> dict[str, dict]:
    """Points (from SQL) and rank (from Redis) per current period, org-wide and in team."""
    today = org_today()
    gen = live_scoring().generation
    points = person_totals(gen, person.id, today)
    ensure_boards()
    windows = [current_window(period) for period in PERIODS]
    boards = org_boards()
    keys = [boards.key(w) for w in windows]
    team = person.team.slug if person.team else None
    if team:
        keys += [boards.key(w, team) for w in windows]
    unlisted = None
    if person.active and person.leaderboard_opt_out:
        # Off the public boards by choice, but they still see where they stand.
        unlisted = [points[w.period] for w in windows] * (2 if team else 1)
    ranks = reader().ranks(str(person.id), keys, unlisted)
    out = {}
    for i, window in enumerate(windows):
        start, end = window.bounds(current_app.config["LAUREL_TZ"])
        org_rank = ranks[i]
        team_rank = ranks[i + len(windows)] if team else None
        out[window.period] = {
            "points": points[window.period],
            "rank": org_rank[0] if org_rank else None,
            "team_rank": team_rank[0] if team_rank else None,
            "window": {
                "start": start.isoformat() if start else None,
                "end": end.isoformat() if end else None,
            },
        }
    return out


def snapshot_week(today: dt.date | None = None) -> None:
    """Keep the all-time boards as they stood when this week began (once a week)."""
    today = today or org_today()
    week = window_for("week", today)
    everything = window_for("all", today)
    boards = org_boards()
    r = redis_connection()
    target = boards.snapshot(week)
    if r.exists(target):
        return
    keys = [(boards.key(everything), target)]
    keys += [(boards.key(everything, t.slug), boards.snapshot(week, t.slug)) for t in teams()]
    ttl = dt.timedelta(days=15)
    pipe = r.pipeline(transaction=False)
    for source, snap in keys:
        pipe.copy(source, snap, replace=False)
        pipe.expire(snap, ttl)
    pipe.execute()


def movement(person: Employee) -> dict | None:
    """All-time rank now and when the week began: {"rank", "before", "up"}."""
    today = org_today()
    boards = org_boards()
    snapshot_week(today)
    week = window_for("week", today)
    now, before = reader().ranks(
        str(person.id), [boards.key(window_for("all", today)), boards.snapshot(week)]
    )
    if now is None:
        return None
    return {
        "rank": now[0],
        "before": before[0] if before else None,
        "up": (before[0] - now[0]) if before else None,
    }


def gap_to_next(person: Employee, period: str = "all", points: int | None = None) -> dict | None:
    """How far the person is behind the next score up: {"points", "rank"}.

    `points`: the person's points in the period, when the caller has just read them.
    """
    from scoring.leaderboard import gap_above

    window = current_window(period)
    if points is None:
        points = person_totals(live_scoring().generation, person.id, org_today())[period]
    found = gap_above(redis_connection(), org_boards().key(window), points)
    if found is None:
        return None
    return {"points": found[0], "rank": found[1]}


def gap_advice(person: Employee, period: str, gap: int) -> GapAdvice | None:
    """What would close `gap` points on the person's `period` board, under the live
    rules and what today's caps still allow them (see `scoring.rules.closing_advice`)."""
    live = live_scoring()
    today = org_today()
    row = db.session.get(DailyTotal, (live.generation, person.id, today))
    state = (
        DayState(row.scoring_shares, row.share_points, row.engagement_points) if row else DayState()
    )
    window = window_for(period, today)
    days_left = (window.end - today).days if window.first is not None else None
    return closing_advice(gap, live.ruleset, state, days_left)


def without_unlisted(view: BoardView, around: str | None = None) -> BoardView:
    """The board without people who chose to be off public boards; no neighbourhood
    at all when `around` (the employee id it was read for) is one of them.

    The boards drop them when their choice is saved; this holds until then too
    (and whenever a board update is still on its way), so a public read never
    lists them.
    """
    shown = {e.employee_id for e in [*view.entries, *view.around]} | ({around} - {None})
    if not shown:
        return view
    hidden = set(
        db.session.scalars(
            select(Employee.external_id).where(
                among(Employee.external_id, shown), Employee.leaderboard_opt_out.is_(True)
            )
        )
    )
    if not hidden:
        return view
    return dataclasses.replace(
        view,
        entries=[e for e in view.entries if e.employee_id not in hidden],
        around=[] if around in hidden else [e for e in view.around if e.employee_id not in hidden],
    )
