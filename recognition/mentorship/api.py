"""Mentorship JSON API: content topics, profiles, runs, pairs (problem+json errors)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from recognition.mentorship import jobs, service
from recognition.mentorship.models import STATES
from recognition.mentorship.schemas import ActorSchema, ContentSchema, ProfileSchema, RunSchema
from recognition.problems import problem
from recognition.tokens import require_scope

bp = Blueprint("mentorship_api", __name__, url_prefix="/api/v1")


@bp.errorhandler(service.MentorshipError)
def refused(exc: service.MentorshipError):
    extra = {"errors": exc.errors} if exc.errors else {}
    return problem(exc.status, exc.title, exc.detail, **extra)


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise service.MentorshipError("The body must be a JSON object.")
    return body


def _person_from_query():
    employee_id = request.args.get("employee_id", "").strip()
    if not employee_id:
        raise service.Invalid(
            "Say whose profile.", {"employee_id": ["a query parameter naming an employee"]}
        )
    return service.person(employee_id)


@bp.put("/content/<content_id>")
@require_scope("events:write")
def put_content(content_id: str):
    """Create or update a content item with its topics (shares link by content_id)."""
    if len(content_id) > 200:
        raise service.Invalid("Too long.", {"content_id": ["at most 200 characters"]})
    data = ContentSchema().load(_body())
    item, created = service.put_content(content_id, data)
    body = {
        "content_id": item.content_id,
        "title": item.title,
        "url": item.url,
        "topics": [t.name for t in item.topics],
    }
    return jsonify(body), 201 if created else 200


@bp.get("/mentorship/profile")
@require_scope("read")
def get_profile():
    return jsonify(service.profile(_person_from_query()))


@bp.put("/mentorship/profile")
@require_scope("mentorship:write")
def put_profile():
    """Offer to mentor and/or ask for a mentor, for the person `employee_id`."""
    employee = _person_from_query()
    data = ProfileSchema().load(_body())
    return jsonify(service.save_profile(employee, data))


@bp.post("/mentorship/runs")
@require_scope("admin")
def start_run():
    """Queue a matching run; 202 with the job id and where to follow the run."""
    data = RunSchema().load(request.get_json(silent=True) or {})
    run = service.start_run(data.get("mode"), None)
    job = jobs.enqueue_run(run.id)
    location = url_for(".get_run", run_id=run.id)
    response = jsonify({"run_id": run.id, "job_id": job.id, "state": "queued", "url": location})
    response.status_code = 202
    response.headers["Location"] = location
    return response


@bp.get("/mentorship/runs/<int:run_id>")
@require_scope("admin")
def get_run(run_id: int):
    """The run: its state and, once done, the draft (pairs) and its summary."""
    return jsonify(service.run_dict(service.get_run(run_id)))


@bp.post("/mentorship/runs/<int:run_id>/publish")
@require_scope("admin")
def publish_run(run_id: int):
    return jsonify(service.publish_run(run_id, None))


@bp.get("/mentorship/pairs")
@require_scope("read")
def list_pairs():
    employee = _person_from_query()
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        raise service.Invalid("Unknown state.", {"state": [f"must be one of {list(STATES)}"]})
    found = service.mentorships_of(employee, state)
    return jsonify({"pairs": [service.mentorship_dict(m) for m in found]})


@bp.post("/mentorship/pairs/<int:pair_id>/<any(accept, decline, complete, cancel):action>")
@require_scope("mentorship:write")
def act_on_pair(pair_id: int, action: str):
    """The mentee or mentor named by `employee_id` moves the mentorship on."""
    actor = service.person(ActorSchema().load(_body())["employee_id"])
    return jsonify(service.mentorship_dict(service.transition(pair_id, action, actor)))
