"""JSON API for kudos: give, read the feed, react, the allowance, admin review."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from recognition.extensions import db
from recognition.inputs import json_object, unsafe_text, whole_number
from recognition.kudos import fairness, service
from recognition.kudos.schemas import CommentSchema, GiveSchema, ReactionSchema, ReverseSchema
from recognition.people import Employee, Team
from recognition.problems import problem
from recognition.tokens import require_scope
from scoring.models import Event

bp = Blueprint("kudos_api", __name__, url_prefix="/api/v1")
MAX_KEY = 200


def _unprocessable(errors: dict, detail: str = "A kudos rule was broken."):
    return problem(422, "Unprocessable Content", detail, errors=errors)


def _refused(exc: service.KudosRefused):
    if exc.status == 409:
        return problem(409, "Conflict", str(exc), errors=exc.errors)
    return _unprocessable(exc.errors)


def _by_refs(refs) -> dict[str, Employee]:
    refs = list(refs)
    if not refs:
        return {}
    rows = db.session.scalars(select(Employee).where(Employee.external_id.in_(refs)))
    return {p.external_id: p for p in rows}


@bp.post("/kudos")
@require_scope("kudos:write")
def give_kudos():
    """Give a kudos for `giver_id` (a chat integration acting for them)."""
    data = GiveSchema().load(json_object())
    key = request.headers.get("Idempotency-Key")
    if key is not None and (not 1 <= len(key) <= MAX_KEY or unsafe_text(key)):
        return _unprocessable(
            {"Idempotency-Key": [f"must be 1 to {MAX_KEY} characters of text"]},
            "Bad Idempotency-Key header.",
        )
    people = _by_refs({data["giver_id"], *data["receiver_ids"]})
    giver = people.get(data["giver_id"])
    if giver is None:
        return _unprocessable({"giver_id": [f"unknown employee {data['giver_id']!r}"]})
    event_id = None
    if data["event"] is not None:
        event_id = db.session.scalar(
            select(Event.id).where(
                Event.source == data["event"]["source"],
                Event.external_id == data["event"]["id"],
            )
        )
        if event_id is None:
            return _unprocessable({"event": ["no such event"]})
    request_ = service.GiveRequest(
        giver_id=giver.id,
        receiver_ids=tuple(people[r].id for r in data["receiver_ids"] if r in people),
        message=data["message"],
        value=data["value"],
        points=data["points"],
        event_id=event_id,
        idempotency_key=f"api:{g.api_token.source}:{key}" if key else None,
        unknown_receivers=tuple(r for r in data["receiver_ids"] if r not in people),
    )
    try:
        kudos, created = service.give(request_)
    except service.KudosRefused as exc:
        return _refused(exc)
    body = service.views([kudos])[0].to_dict()
    return jsonify(body), 201 if created else 200


@bp.get("/kudos")
@require_scope("read")
def list_kudos():
    """Kudos newest first; `cursor` from the previous page's `next_cursor`."""
    errors: dict[str, list[str]] = {}
    try:
        limit = whole_number(request.args.get("limit", "20"), 1, service.MAX_FEED)
    except ValueError as exc:
        errors["limit"] = [str(exc)]
    before = None
    if request.args.get("cursor"):
        try:
            before = whole_number(request.args["cursor"], 1)
        except ValueError:
            errors["cursor"] = ["not a cursor this API gave out"]
    direction = request.args.get("direction", "received")
    if direction not in ("received", "given"):
        errors["direction"] = ["must be received or given"]
    employee_id = None
    if ref := request.args.get("employee_id"):
        person = _by_refs([ref]).get(ref)
        if person is None:
            return problem(404, "Not Found", f"No employee with id {ref!r}.")
        employee_id = person.id
    team_id = None
    if slug := request.args.get("team"):
        team_id = db.session.scalar(select(Team.id).where(Team.slug == slug))
        if team_id is None:
            return problem(404, "Not Found", f"No team with slug {slug!r}.")
    if errors:
        return _unprocessable(errors, "Bad query parameters.")
    page, cursor = service.feed(
        employee_id=employee_id, direction=direction, team_id=team_id, limit=limit, before=before
    )
    return jsonify(
        {
            "items": [k.to_dict() for k in page],
            "next_cursor": str(cursor) if cursor is not None else None,
        }
    )


def _reaction(kudos_id: int, add: bool):
    data = ReactionSchema().load(json_object())
    person = _by_refs([data["employee_id"]]).get(data["employee_id"])
    if person is None:
        return _unprocessable({"employee_id": [f"unknown employee {data['employee_id']!r}"]})
    try:
        count = (service.react if add else service.unreact)(kudos_id, person.id)
    except service.KudosNotFound:
        return problem(404, "Not Found", f"No kudos {kudos_id}.")
    except service.KudosRefused as exc:
        return _refused(exc)
    return jsonify({"id": kudos_id, "reactions": count})


@bp.post("/kudos/<int:kudos_id>/reactions")
@require_scope("kudos:write")
def add_reaction(kudos_id: int):
    """Add this person's "+1" (once; again changes nothing)."""
    return _reaction(kudos_id, add=True)


@bp.delete("/kudos/<int:kudos_id>/reactions")
@require_scope("kudos:write")
def remove_reaction(kudos_id: int):
    return _reaction(kudos_id, add=False)


@bp.post("/kudos/<int:kudos_id>/comments")
@require_scope("kudos:write")
def add_comment(kudos_id: int):
    """Comment under a kudos for `employee_id` (one level; 1 to 500 characters)."""
    data = CommentSchema().load(json_object())
    person = _by_refs([data["employee_id"]]).get(data["employee_id"])
    if person is None:
        return _unprocessable({"employee_id": [f"unknown employee {data['employee_id']!r}"]})
    try:
        view = service.comment(kudos_id, person.id, data["message"])
    except service.KudosNotFound:
        return problem(404, "Not Found", f"No kudos {kudos_id}.")
    except service.KudosRefused as exc:
        return _refused(exc)
    return jsonify({"kudos_id": kudos_id, **view.to_dict()}), 201


@bp.get("/kudos/<int:kudos_id>/comments")
@require_scope("read")
def list_comments(kudos_id: int):
    """A kudos' comments, oldest first (at most MAX_COMMENTS_SHOWN)."""
    try:
        items = service.comments(kudos_id)
    except service.KudosNotFound:
        return problem(404, "Not Found", f"No kudos {kudos_id}.")
    return jsonify({"kudos_id": kudos_id, "items": [c.to_dict() for c in items]})


@bp.get("/employees/<employee_id>/allowance")
@require_scope("read")
def get_allowance(employee_id: str):
    person = _by_refs([employee_id]).get(employee_id)
    if person is None:
        return problem(404, "Not Found", f"No employee with id {employee_id!r}.")
    return jsonify(service.allowance(person).to_dict())


@bp.post("/admin/kudos/<int:kudos_id>/reverse")
@require_scope("admin")
def reverse_kudos(kudos_id: int):
    data = ReverseSchema().load(json_object())
    try:
        kudos = service.reverse(kudos_id, data["reason"], by=f"token:{g.api_token.source}")
    except service.KudosNotFound:
        return problem(404, "Not Found", f"No kudos {kudos_id}.")
    except service.KudosRefused as exc:
        return _refused(exc)
    return jsonify({**service.views([kudos])[0].to_dict(), "reason": kudos.reversed_reason})


@bp.get("/admin/kudos/flags")
@require_scope("admin")
def get_flags():
    """The fairness review's flags for the current and the previous month."""
    return jsonify({"items": [f.to_dict() for f in fairness.current_flags()]})
