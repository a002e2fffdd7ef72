"""JSON API of the scoring spine: event ingestion, leaderboards, dead letters."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from recognition.inputs import whole_number
from recognition.problems import problem
from recognition.tokens import require_scope
from scoring import outbox, standings
from scoring.events import EnvelopeError, ingest, unwrap
from scoring.jobs import enqueue_scoring
from scoring.periods import PERIODS

bp = Blueprint("scoring_api", __name__, url_prefix="/api/v1")
MAX_DEAD_LETTERS = 500


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
    token = g.api_token
    # Only a token an admin gave the backfill scope may bring in old history.
    report = ingest(items, token.source, backfill="events:backfill" in token.scope_set)
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


@bp.get("/admin/dead-letters")
@require_scope("admin")
def get_dead_letters():
    """Events set aside because scoring them failed, newest first, with the error."""
    total, items = outbox.dead_letters(limit=MAX_DEAD_LETTERS)
    return jsonify({"total": total, "items": [item.as_dict() for item in items]})


@bp.post("/admin/dead-letters/<int:dead_letter_id>/retry")
@require_scope("admin")
def retry_dead_letter(dead_letter_id: int):
    """Score a set-aside event again (after a fix); it is set aside again if it still fails."""
    event_id = outbox.retry_dead_letter(dead_letter_id)
    if event_id is None:
        return problem(404, "Not Found", f"No dead letter {dead_letter_id}.")
    enqueue_scoring([event_id])
    return jsonify({"id": dead_letter_id, "status": "queued"}), 202
