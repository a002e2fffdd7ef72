"""The leaderboard page: period tabs, team filter, and the self-refreshing board."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, request, url_for

from recognition.auth import current_person, login_required
from recognition.extensions import htmx
from scoring import standings
from scoring.periods import PERIODS, Window

bp = Blueprint("scoring_pages", __name__)

PERIOD_LABELS = {
    "week": "This week",
    "month": "This month",
    "30d": "Last 30 days",
    "all": "All time",
}


def day_range(window: Window) -> str | None:
    """A window's days as people write them: "23–29 Nov 2026", "27 Oct – 25 Nov 2026".

    The window's end is exclusive, so the range ends on the day before it.
    None for all time, which has no range.
    """
    if window.first is None:
        return None
    first, last = window.first, window.end - dt.timedelta(days=1)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


@bp.get("/leaderboard")
@login_required
def leaderboard():
    """The boards; htmx requests get only the table, so tabs swap it in place."""
    period = request.args.get("period", "week")
    if period not in PERIODS:
        period = "week"
    team = request.args.get("team") or None
    error = None
    if team and not standings.team_exists(team):
        error = f"There is no team {team!r}; showing the whole organisation."
        team = None
    me = current_person()
    view = standings.board(period, team, limit=25, around=me.external_id)
    teams = standings.teams()
    # Boards carry team slugs (as the JSON API shows them); people read names.
    team_names = {t.slug: t.name for t in teams}
    context = {
        "view": view,
        "period": period,
        "team": team,
        "team_name": team_names.get(team) if team else None,
        "team_names": team_names,
        "teams": teams,
        "periods": PERIOD_LABELS,
        "error": error,
        "days": day_range(view.window),
        "me_id": me.external_id,
        "me_in_top": any(e.employee_id == me.external_id for e in view.entries),
        "refresh_url": url_for(".leaderboard", period=period, team=team),
    }
    template = "leaderboard/_table.html" if htmx else "leaderboard/index.html"
    response = current_app.make_response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request"
    return response
