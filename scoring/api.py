"""JSON API of the scoring spine: event ingestion and leaderboards."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from recognition.inputs import whole_number
from recognition.problems import problem
from recognition.tokens import require_scope
from scoring import standings
from scoring.events import EnvelopeError, ingest, unwrap
from scoring.jobs import enqueue_scoring
from scoring.periods import PERIODS

bp = Blueprint("scoring_api", __name__, url_prefix="/api/v1")


@bp.post("/events")
@require_scope("events:write")
def post_events():
    """Accept one event or a batch; 202 with a result per item, in order."""
    body = request.get_json(silent=True)
    if body is None:
        return problem(
            400, "Bad Request", "The body must be JSON (Content-Type: application/json)."
        )
    try:
        items = unwrap(body, current_app.config["MAX_EVENTS_PER_REQUEST"])
    except EnvelopeError as exc:
        title = "Content Too Large" if exc.status == 413 else "Unprocessable Content"
        return problem(exc.status, title, exc.detail)
    report = ingest(items, default_source=g.api_token.source)
    enqueue_scoring(report.new_event_ids)
    return jsonify(report.as_dict()), 202


@bp.get("/leaderboard")
@require_scope("read")
def get_leaderboard():
    period = request.args.get("period", "week")
    if period not in PERIODS:
        return problem(
            422,
            "Unprocessable Content",
            "Unknown period.",
            errors={"period": [f"must be one of {', '.join(PERIODS)}"]},
        )
    try:
        limit = whole_number(request.args.get("limit", "10"), 1, standings.MAX_LIMIT)
    except ValueError as exc:
        return problem(422, "Unprocessable Content", "Bad limit.", errors={"limit": [str(exc)]})
    team = request.args.get("team") or None
    if team and not standings.team_exists(team):
        return problem(404, "Not Found", f"No team with slug {team!r}.")
    around = request.args.get("around") or None
    view = standings.board(period, team, limit, around)
    if "admin" not in g.api_token.scope_set:
        # People who opted out are on no public board, whatever Redis holds just now.
        view = standings.without_unlisted(view, around)
    return jsonify(view.as_dict(current_app.config["LAUREL_TZ"]))
