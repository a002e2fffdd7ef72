"""HTML pages of the scoring spine (the full page design comes with sign-in)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, request, url_for

from recognition.auth import current_person, login_required
from recognition.extensions import htmx
from scoring import standings
from scoring.periods import PERIODS

bp = Blueprint("scoring_pages", __name__)

PERIOD_LABELS = {
    "week": "This week",
    "month": "This month",
    "30d": "Last 30 days",
    "all": "All time",
}


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
    context = {
        "view": view,
        "window": view.as_dict(current_app.config["LAUREL_TZ"])["window"],
        "period": period,
        "team": team,
        "teams": standings.teams(),
        "periods": PERIOD_LABELS,
        "error": error,
        # The window's end is exclusive; people read ranges by their last day.
        "last_day": (view.window.end - dt.timedelta(days=1)).isoformat()
        if view.window.end
        else None,
        "me_id": me.external_id,
        "me_in_top": any(e.employee_id == me.external_id for e in view.entries),
        "refresh_url": url_for(".leaderboard", period=period, team=team),
    }
    template = "leaderboard/_table.html" if htmx else "leaderboard/index.html"
    response = current_app.make_response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request"
    return response
