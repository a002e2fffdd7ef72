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


PAGE_SIZE = 25
MAX_SHOWN = 500  # "show more" stops here; find-a-colleague reaches everyone else
SEARCH_LIMIT = 25
MAX_QUERY = 100


def _shown(raw: str | None) -> int:
    """How many rows of the board to show: whole pages of PAGE_SIZE, up to MAX_SHOWN."""
    try:
        wanted = int(raw or PAGE_SIZE)
    except ValueError:
        return PAGE_SIZE
    pages = -(-max(wanted, PAGE_SIZE) // PAGE_SIZE)
    return min(pages * PAGE_SIZE, MAX_SHOWN)


@bp.get("/leaderboard")
@login_required
def leaderboard():
    """The boards; htmx requests get only the board region, so tabs swap it in place.

    `period` and `team` pick the board, `shown` how many of its top rows to
    show ("show more"), `q` finds colleagues by name on it instead.
    """
    errors = []
    period = request.args.get("period", "week")
    if period not in PERIODS:
        errors.append(f"There is no period {period!r}; showing this week.")
        period = "week"
    team = request.args.get("team") or None
    if team and not standings.team_exists(team):
        errors.append(f"There is no team {team!r}; showing the whole organisation.")
        team = None
    shown = _shown(request.args.get("shown"))
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    me = current_person()
    view = standings.board(
        period, team, limit=0 if query else shown, around=me.external_id, max_limit=MAX_SHOWN
    )
    found = standings.search_board(period, team, query, SEARCH_LIMIT) if query else None
    teams = standings.teams()
    # Boards carry team slugs (as the JSON API shows them); people read names.
    team_names = {t.slug: t.name for t in teams}
    more = not query and len(view.entries) < view.total and shown < MAX_SHOWN
    context = {
        "view": view,
        "period": period,
        "team": team,
        "team_name": team_names.get(team) if team else None,
        "team_names": team_names,
        "teams": teams,
        "periods": PERIOD_LABELS,
        "errors": errors,
        "days": day_range(view.window),
        "me_id": me.external_id,
        "me_in_top": any(e.employee_id == me.external_id for e in view.entries),
        "query": query,
        "found": found,
        "shown": shown,
        "more_url": (
            url_for(".leaderboard", period=period, team=team, shown=shown + PAGE_SIZE)
            if more
            else None
        ),
        "all_shown": not query and len(view.entries) >= view.total and shown > PAGE_SIZE,
        "capped_at": MAX_SHOWN if not query and shown >= MAX_SHOWN < view.total else None,
        "clear_url": url_for(".leaderboard", period=period, team=team),
        "refresh_url": url_for(
            ".leaderboard",
            period=period,
            team=team,
            shown=shown if shown > PAGE_SIZE else None,
            q=query or None,
        ),
    }
    template = "leaderboard/_table.html" if htmx else "leaderboard/index.html"
    response = current_app.make_response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request"
    return response
