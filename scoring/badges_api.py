"""JSON API for badges, tiers, notifications, and the admin actions on them."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request, url_for
from marshmallow import EXCLUDE, Schema, fields, validate
from sqlalchemy import select

from recognition.extensions import db
from recognition.inputs import MAX_ID, Text, json_object
from recognition.people import Employee
from recognition.problems import problem
from recognition.tokens import require_scope
from scoring import badges
from scoring.jobs import enqueue_rescore, fetch_job
from scoring.openbadges import build_credential
from scoring.rules import RulesetError

bp = Blueprint("badges_api", __name__, url_prefix="/api/v1")


class _Body(Schema):
    class Meta:
        unknown = EXCLUDE


class AwardBody(_Body):
    # Missing or unknown values are the service's to name (BadgeError).
    employee_id = Text(load_default="")
    badge = Text(load_default="")


class RevokeBody(_Body):
    reason = Text(load_default="")


class RescoreBody(_Body):
    ruleset = fields.Integer(strict=True, required=True, validate=validate.Range(1, MAX_ID))


def _person(employee_id: str) -> Employee | None:
    return db.session.scalar(select(Employee).where(Employee.external_id == employee_id))


def _no_person(employee_id: str):
    return problem(404, "Not Found", f"No employee with id {employee_id!r}.")


@bp.get("/employees/<employee_id>/badges")
@require_scope("read")
def employee_badges(employee_id: str):
    person = _person(employee_id)
    if person is None:
        return _no_person(employee_id)
    summary = badges.person_achievements(person)
    return jsonify({"earned": summary["earned"], "progress": summary["progress"]})


@bp.get("/employees/<employee_id>/notifications")
@require_scope("read")
def employee_notifications(employee_id: str):
    person = _person(employee_id)
    if person is None:
        return _no_person(employee_id)
    unread = request.args.get("unread") in ("1", "true")
    items = badges.notifications(person.id, unread_only=unread)
    return jsonify({"unread": sum(1 for n in items if not n["read"]), "items": items})


@bp.get("/badges/assertions/<assertion_id>")
def badge_assertion(assertion_id: str):
    """Public: an earned badge as an Open Badges 3.0 credential, for verification."""
    found = badges.find_assertion(assertion_id)
    if found is None:
        return problem(404, "Not Found", "No badge with this assertion id.")
    award, person, badge = found
    if award.revoked_at is not None:
        return problem(
            410,
            "Gone",
            "This badge was revoked.",
            revoked_at=award.revoked_at.isoformat(),
            reason=award.revoked_reason,
        )
    level = badge.level(award.level) if badge else None
    root = request.url_root.rstrip("/")
    image = badge.image if badge else "/static/badges/default.svg"
    credential = build_credential(
        assertion_url=url_for(".badge_assertion", assertion_id=assertion_id, _external=True),
        achievement_url=url_for(
            "me_pages.achievement", slug=award.badge, level=award.level, _external=True
        ),
        issuer_url=root,
        issuer_name=current_app.config["LAUREL_ISSUER_NAME"],
        badge_name=badge.name if badge else award.badge,
        level_label=level.label if level else None,
        description=badge.description if badge else award.badge,
        criteria=badge.criteria_text(level) if badge and level else "Awarded",
        image_url=image if image.startswith("http") else root + image,
        email=person.email,
        salt=_salt(award.assertion_id),
        earned_at=award.earned_at,
    )
    response = jsonify(credential)
    response.mimetype = "application/ld+json"
    return response


def _salt(assertion_id: str) -> str:
    """A per-assertion salt, so one hash cannot be matched across badges."""
    import hashlib

    key = current_app.config["SECRET_KEY"].encode()
    return hashlib.sha256(key + assertion_id.encode()).hexdigest()[:16]


@bp.post("/admin/badges/award")
@require_scope("admin")
def admin_award_badge():
    body = AwardBody().load(json_object())
    person = _person(body["employee_id"])
    if person is None:
        return problem(
            422, "Unprocessable Content", "Unknown employee.", errors={"employee_id": ["unknown"]}
        )
    try:
        award = badges.award_manual(person, body["badge"], by=g.api_token.source)
    except badges.BadgeError as exc:
        return problem(422, "Unprocessable Content", str(exc), errors={exc.field: [str(exc)]})
    return jsonify({"assertion_id": award.assertion_id, "level": award.level}), 201


@bp.post("/admin/badges/assertions/<assertion_id>/revoke")
@require_scope("admin")
def admin_revoke_badge(assertion_id: str):
    body = RevokeBody().load(json_object())
    try:
        award = badges.revoke_badge(assertion_id, body["reason"], g.api_token.source)
    except LookupError:
        return problem(404, "Not Found", "No badge with this assertion id.")
    except badges.BadgeError as exc:
        return problem(422, "Unprocessable Content", str(exc), errors={exc.field: [str(exc)]})
    return jsonify({"assertion_id": assertion_id, "revoked_at": award.revoked_at.isoformat()})


@bp.post("/admin/rulesets")
@require_scope("admin")
def admin_save_ruleset():
    from scoring.rulesets import save_ruleset

    body = json_object()
    try:
        version = save_ruleset(body, note=request.args.get("note"), by=g.api_token.source)
    except RulesetError as exc:
        return problem(422, "Unprocessable Content", "The ruleset is invalid.", errors=exc.errors)
    return jsonify({"version": version}), 201


@bp.post("/admin/rescore")
@require_scope("admin")
def admin_rescore():
    from scoring.rulesets import ruleset

    version = RescoreBody().load(json_object())["ruleset"]
    try:
        ruleset(version)
    except LookupError:
        return problem(
            422, "Unprocessable Content", "Unknown ruleset.", errors={"ruleset": ["unknown"]}
        )
    job = enqueue_rescore(version)
    return jsonify({"job_id": job.id, "status": job.get_status().value}), 202


@bp.get("/admin/jobs/<job_id>")
@require_scope("admin")
def admin_job(job_id: str):
    job = fetch_job(job_id)
    if job is None:
        return problem(404, "Not Found", "No such job.")
    return jsonify(
        {
            "job_id": job.id,
            "status": job.get_status().value,
            "progress": job.meta.get("progress"),
            "result": job.return_value() if job.is_finished else None,
        }
    )
