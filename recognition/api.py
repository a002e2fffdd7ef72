"""JSON API for the directory: one person at a time."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import select

from recognition.extensions import begin_write, db
from recognition.people import Employee, EmployeeSchema, upsert_employee
from recognition.problems import problem
from recognition.tokens import require_scope

bp = Blueprint("people_api", __name__, url_prefix="/api/v1")


def _person(employee_id: str) -> Employee | None:
    return db.session.scalar(select(Employee).where(Employee.external_id == employee_id))


@bp.put("/employees/<employee_id>")
@require_scope("directory:write")
def put_employee(employee_id: str):
    """Create or update one person; the path's id wins over any id in the body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, "Bad Request", "The body must be a JSON object.")
    data = EmployeeSchema().load({**body, "employee_id": employee_id})
    begin_write(db.session)
    try:
        result = upsert_employee(data)
    except ValidationError:
        db.session.rollback()
        raise
    db.session.commit()
    from recognition.directory import after_directory_change

    after_directory_change([result])
    return jsonify(result.employee.to_dict()), 201 if result.created else 200


@bp.get("/employees/<employee_id>")
@require_scope("read")
def get_employee(employee_id: str):
    from scoring.standings import standing

    person = _person(employee_id)
    if person is None:
        return problem(404, "Not Found", f"No employee with id {employee_id!r}.")
    from scoring.badges import person_achievements

    achievements = person_achievements(person)
    periods = standing(person)
    if person.leaderboard_opt_out and "admin" not in g.api_token.scope_set:
        # Off the public boards by their choice: no rank for integrations to show.
        for figures in periods.values():
            figures["rank"] = figures["team_rank"] = None
    return jsonify(
        {
            **person.to_dict(),
            "periods": periods,
            "tier": achievements["tier"],
            "badges": {"earned": achievements["earned"], "progress": achievements["progress"]},
        }
    )
