"""JSON API for nominations: submit, list, read with the timeline, decide, the wall.

A token acts for a named person (`nominator_id`, `actor_id`); that person's
rights apply as on the pages (nobody decides their own nomination).
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from recognition.extensions import db
from recognition.inputs import json_object, unsafe_text
from recognition.nominations import service
from recognition.nominations.schemas import (
    ApproveSchema,
    DeclineSchema,
    ListQuerySchema,
    NominateSchema,
    NominationListSchema,
    NominationSchema,
    WallSchema,
    WithdrawSchema,
)
from recognition.people import Employee
from recognition.problems import problem
from recognition.tokens import require_scope

bp = Blueprint("nominations_api", __name__, url_prefix="/api/v1")
MAX_KEY = 200


def _refused(exc: service.NominationRefused):
    titles = {403: "Forbidden", 409: "Conflict", 422: "Unprocessable Content"}
    detail = "A nomination rule was broken: " + str(exc)
    return problem(exc.status, titles.get(exc.status, "Refused"), detail, errors=exc.errors)


def _person(ref: str) -> Employee | None:
    return db.session.scalar(select(Employee).where(Employee.external_id == ref))


def _unknown(field: str, ref: str):
    return problem(
        422, "Unprocessable Content", f"No employee {ref!r}.", errors={field: ["unknown employee"]}
    )


def _answer(nomination, status: int = 200):
    body = NominationSchema().dump(service.to_dict(nomination, with_timeline=True))
    return jsonify(body), status


@bp.post("/nominations")
@require_scope("nominations:write")
def create_nomination():
    """Submit a nomination for `nominator_id`; its evidence is frozen now."""
    data = NominateSchema().load(json_object())
    key = request.headers.get("Idempotency-Key")
    if key is not None and (not 1 <= len(key) <= MAX_KEY or unsafe_text(key)):
        return problem(
            422,
            "Unprocessable Content",
            "Bad Idempotency-Key header.",
            errors={"Idempotency-Key": [f"must be 1 to {MAX_KEY} characters of text"]},
        )
    nominator = _person(data["nominator_id"])
    if nominator is None:
        return _unknown("nominator_id", data["nominator_id"])
    nominee = _person(data["nominee_id"])
    try:
        nomination, created = service.nominate(
            service.NominateRequest(
                nominator_id=nominator.id,
                nominee_id=nominee.id if nominee else None,
                category=data["category"],
                period=data["period"],
                reason=data["reason"],
                idempotency_key=f"api:{g.api_token.source}:{key}" if key else None,
                unknown_nominee=None if nominee else data["nominee_id"],
            )
        )
    except service.NominationRefused as exc:
        return _refused(exc)
    return _answer(nomination, 201 if created else 200)


@bp.get("/nominations")
@require_scope("read")
def list_nominations():
    """Nominations newest first, by status, category, period and nominee."""
    query = ListQuerySchema().load(request.args.to_dict())
    nominee_id = None
    if query["nominee_id"]:
        nominee = _person(query["nominee_id"])
        if nominee is None:
            return problem(404, "Not Found", f"No employee with id {query['nominee_id']!r}.")
        nominee_id = nominee.id
    rows = service.search(
        status=query["status"],
        category_slug=query["category"],
        period=query["period"],
        nominee_id=nominee_id,
        limit=query["limit"],
    )
    return jsonify(NominationListSchema().dump({"items": [service.to_dict(n) for n in rows]}))


@bp.get("/nominations/<int:nomination_id>")
@require_scope("read")
def get_nomination(nomination_id: int):
    nomination = service.get(nomination_id)
    if nomination is None:
        return problem(404, "Not Found", f"No nomination {nomination_id}.")
    return _answer(nomination)


def _act(nomination_id: int, schema, action):
    data = schema.load(json_object())
    actor = _person(data["actor_id"])
    if actor is None:
        return _unknown("actor_id", data["actor_id"])
    try:
        nomination, _changed = action(actor.id, data)
    except service.NominationNotFound:
        return problem(404, "Not Found", f"No nomination {nomination_id}.")
    except service.NominationRefused as exc:
        return _refused(exc)
    return _answer(nomination)


@bp.post("/nominations/<int:nomination_id>/approve")
@require_scope("nominations:decide")
def approve_nomination(nomination_id: int):
    """Approve the waiting step for `actor_id`; again is a no-op with the same answer."""
    return _act(
        nomination_id,
        ApproveSchema(),
        lambda actor, d: service.approve(nomination_id, actor, step=d["step"]),
    )


@bp.post("/nominations/<int:nomination_id>/decline")
@require_scope("nominations:decide")
def decline_nomination(nomination_id: int):
    return _act(
        nomination_id,
        DeclineSchema(),
        lambda actor, d: service.decline(nomination_id, actor, d["reason"], step=d["step"]),
    )


@bp.post("/nominations/<int:nomination_id>/withdraw")
@require_scope("nominations:decide")
def withdraw_nomination(nomination_id: int):
    return _act(
        nomination_id, WithdrawSchema(), lambda actor, d: service.withdraw(nomination_id, actor)
    )


@bp.get("/recognition-wall")
@require_scope("read")
def recognition_wall():
    """Approved nominations (winners), by period; reasons where the nominee allows."""
    period = request.args.get("period") or None
    if period is not None and (len(period) > 16 or unsafe_text(period)):
        return problem(
            422, "Unprocessable Content", "Bad period.", errors={"period": ["not a period"]}
        )
    return jsonify(WallSchema().dump({"items": [e.to_dict() for e in service.wall(period)]}))
