"""The JSON API described as one OpenAPI 3.1 document, built from marshmallow schemas.

`OPERATIONS` below is the one table of every `/api/v1` operation: its Flask rule
(exactly as the view's `@bp.get(...)` spells it, with the blueprint's prefix), the
method, a summary, the scope its token needs (`None`: public), the request body
schema, the success answers and their schemas, the error statuses beyond the
common ones, and its query and header parameters. `build_document()` turns the
table into the document with apispec and its marshmallow plugin; the schemas'
fields, validators and `required`/`allow_none` become JSON Schema. Nothing in the
document is written by hand except the words.

To add an operation (say a new `POST /api/v1/nominations`):

1. describe what it takes and gives as marshmallow schemas beside the feature
   (`recognition/<feature>/schemas.py`; product-wide shapes in
   `recognition/api_schemas.py`), with `required=True` on every key the answer
   always has and `allow_none=True` where it may be null;
2. add one `Op(...)` to `OPERATIONS` (keep the feature's operations together and
   give it the feature's tag, adding the tag to `TAGS` if new);
3. add its `Fuzz` entry to `tests/test_fuzz.py` and a real answer of it to
   `tests/test_openapi.py`'s checks.

`tests/test_openapi.py` fails while a route under `/api/v1` has no `Op` (or an
`Op` names no route), while an `Op`'s scope differs from what its view's
`require_scope` asks, and when a real answer does not match its schema.

Errors every operation can answer are added by `build_document`: 401, 403 and
429 for one that needs a token; 400 and 422 for one with a body. All errors are
`application/problem+json` (RFC 9457), described by `ProblemSchema`.

Served at `GET /api/v1/openapi.json` without a token: it describes shapes, not
data, integrators read it before they hold a token, and the docs page fetches it
from a browser that has none. `GET /api/docs` renders it with the vendored Redoc.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, jsonify, make_response, render_template
from marshmallow import Schema

from recognition import api_schemas as api
from recognition.headers import API_DOCS_CONTENT_SECURITY_POLICY
from recognition.inputs import MAX_ID
from recognition.kudos import schemas as kudos
from recognition.mentorship import schemas as mentorship
from recognition.mentorship.matching import Mode
from recognition.mentorship.models import STATES
from recognition.nominations import schemas as nominations
from recognition.nominations.models import STATUSES as NOMINATION_STATUSES
from recognition.problems import RETRY_AFTER_SECONDS
from recognition.tokens import SCOPES
from scoring.badges_api import AwardBody, RescoreBody, RevokeBody
from scoring.events import EventSchema
from scoring.periods import PERIODS
from scoring.standings import MAX_LIMIT

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "bearerToken"
PROBLEM_MEDIA_TYPE = "application/problem+json"

# What each scope lets a token do (tokens.SCOPES; a test checks both name the same).
SCOPE_TEXT = {
    "events:write": "post share and engagement events for the token's own source; "
    "content items and their topics",
    "events:backfill": "with events:write, old events still earn points (an import of history)",
    "directory:write": "create and update people in the directory",
    "kudos:write": "give kudos, react and comment, for a named person (chat integrations)",
    "mentorship:write": "set mentorship profiles and act on mentorships, for a named person",
    "nominations:write": "submit nominations for a named nominator",
    "nominations:decide": "approve, decline or withdraw nominations as a named person, "
    "whose own rights still apply",
    "read": "read boards, people, badges, notifications, kudos, mentorship profiles and pairs",
    "admin": "everything above, and the admin operations",
}

TAGS = [
    ("Events", "Share and engagement events in: the scoring spine's intake."),
    ("Leaderboards", "Ranks by period and team."),
    ("Directory", "People and their standing."),
    ("Achievements", "Badges, tiers, notifications and Open Badges credentials."),
    ("Kudos", "Peer recognition from a monthly allowance."),
    ("Mentorship", "Topics, mentor offers and mentee asks, matching runs, mentorships."),
    ("Nominations", "Managers nominate advocates; staged approval pays badge and points once."),
    ("Admin", "Rulesets, re-scores, jobs, manual badges, dead letters, kudos review."),
    ("Meta", "This description of the API."),
]

ERROR_TEXT = {
    400: "The body is not JSON, or not a JSON object.",
    401: "No valid API token (`Authorization: Bearer <token>`).",
    403: "The token lacks the scope this operation needs.",
    404: "What the path names does not exist.",
    409: "Conflicts with what is already there.",
    410: "Gone.",
    413: "Too many items in one request.",
    422: "A field or query parameter broke a rule; `errors` names each one.",
    429: "Too many requests for this token (or bad tokens from this address); see Retry-After.",
    503: "Leaderboards and jobs (Redis) are unavailable for a moment; see Retry-After.",
}
SUCCESS_TEXT = {200: "OK", 201: "Created", 202: "Accepted"}


@dataclass(frozen=True)
class Param:
    """A query or header parameter."""

    name: str
    description: str
    where: str = "query"
    required: bool = False
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "in": self.where,
            "required": self.required,
            "description": self.description,
            "schema": self.schema,
        }


def query(name: str, description: str, **schema: Any) -> Param:
    return Param(name, description, "query", False, schema or {"type": "string"})


SchemaRef = type[Schema] | Schema


@dataclass(frozen=True)
class Op:
    """One operation: a Flask rule and method, and what it needs, takes and gives."""

    method: str
    rule: str
    summary: str
    tag: str
    scope: str | None
    # Success statuses and what each answers: a schema, or (description, schema).
    responses: dict[int, SchemaRef | tuple[str, SchemaRef]]
    body: SchemaRef | list[SchemaRef] | None = None  # a list: any one of them
    body_required: bool = True
    errors: tuple[int, ...] = ()
    params: tuple[Param, ...] = ()
    description: str | None = None
    media_type: str = "application/json"
    # Response headers per status: {status: {header: description}}.
    headers: dict[int, dict[str, str]] = field(default_factory=dict)


PERSON = "an employee id (the HR id the directory knows)"
LIMIT_FEED = 100

OPERATIONS: list[Op] = [
    # --- events
    Op(
        "POST",
        "/api/v1/events",
        "Post one event or a batch",
        "Events",
        "events:write",
        {202: ("One result per item, in order.", api.IngestReportSchema)},
        body=[EventSchema, api.EventBatchSchema],
        errors=(413,),
        description='One event, or `{"events": [...]}` with up to 1,000. Valid items of a '
        "batch are stored while bad ones are reported by index (`rejected`, with `errors`). "
        "A redelivered `(source, id)` is a `duplicate` (same payload) or `conflict`; an event "
        "for a person not in the directory yet is `held`.",
    ),
    # --- leaderboards
    Op(
        "GET",
        "/api/v1/leaderboard",
        "A leaderboard",
        "Leaderboards",
        "read",
        {200: api.LeaderboardSchema},
        errors=(404, 422, 503),
        params=(
            query("period", "the board's period", type="string", enum=list(PERIODS)),
            query("team", "a team slug; the organisation's board without it"),
            query("limit", "how many from the top", type="integer", minimum=1, maximum=MAX_LIMIT),
            query("around", f"{PERSON}: also them and their neighbours"),
        ),
    ),
    # --- directory
    Op(
        "PUT",
        "/api/v1/employees/<employee_id>",
        "Create or update a person",
        "Directory",
        "directory:write",
        {200: ("Updated.", api.EmployeeOut), 201: ("Created.", api.EmployeeOut)},
        body=api.EmployeeBodySchema,
    ),
    Op(
        "GET",
        "/api/v1/employees/<employee_id>",
        "A person with points, ranks, tier and badges",
        "Directory",
        "read",
        {200: api.EmployeeSummarySchema},
        errors=(404, 503),
        description="Ranks are null for a person hidden from the boards by choice "
        "(unless the token is an admin's).",
    ),
    # --- achievements
    Op(
        "GET",
        "/api/v1/employees/<employee_id>/badges",
        "A person's badges and progress to the next ones",
        "Achievements",
        "read",
        {200: api.BadgesSchema},
        errors=(404,),
    ),
    Op(
        "GET",
        "/api/v1/employees/<employee_id>/notifications",
        "A person's notifications, newest first",
        "Achievements",
        "read",
        {200: api.NotificationsSchema},
        errors=(404,),
        params=(query("unread", "`1` or `true`: unread ones only"),),
    ),
    Op(
        "GET",
        "/api/v1/badges/assertions/<assertion_id>",
        "An earned badge as an Open Badges 3.0 credential",
        "Achievements",
        None,
        {200: api.CredentialSchema},
        errors=(404, 410),
        media_type="application/ld+json",
        description="Public, at an unguessable id, for verifiers. A revoked badge is a 410 "
        "whose problem carries `revoked_at` and `reason`.",
    ),
    # --- kudos
    Op(
        "POST",
        "/api/v1/kudos",
        "Give a kudos for a person",
        "Kudos",
        "kudos:write",
        {
            201: ("Given.", kudos.KudosOut),
            200: ("The same Idempotency-Key and body again: the same kudos.", kudos.KudosOut),
        },
        body=kudos.GiveSchema,
        errors=(409,),
        params=(
            Param(
                "Idempotency-Key",
                "makes a retried give one kudos; the same key with another body is a 409",
                where="header",
                schema={"type": "string", "minLength": 1, "maxLength": 200},
            ),
        ),
    ),
    Op(
        "GET",
        "/api/v1/kudos",
        "Kudos, newest first",
        "Kudos",
        "read",
        {200: kudos.KudosPageOut},
        errors=(404, 422),
        params=(
            query("employee_id", f"{PERSON}: their kudos only"),
            query("direction", "with employee_id", type="string", enum=["received", "given"]),
            query("team", "a team slug: kudos to its people"),
            query("limit", "page size", type="integer", minimum=1, maximum=LIMIT_FEED),
            query("cursor", "`next_cursor` of the previous page"),
        ),
    ),
    Op(
        "POST",
        "/api/v1/kudos/<int:kudos_id>/reactions",
        'Add a person\'s "+1" (once)',
        "Kudos",
        "kudos:write",
        {200: kudos.ReactionsOut},
        body=kudos.ReactionSchema,
        errors=(404, 409),
    ),
    Op(
        "DELETE",
        "/api/v1/kudos/<int:kudos_id>/reactions",
        'Take a person\'s "+1" back',
        "Kudos",
        "kudos:write",
        {200: kudos.ReactionsOut},
        body=kudos.ReactionSchema,
        errors=(404, 409),
    ),
    Op(
        "POST",
        "/api/v1/kudos/<int:kudos_id>/comments",
        "Comment under a kudos for a person (one level, 1 to 500 characters)",
        "Kudos",
        "kudos:write",
        {201: ("Added; the giver and receivers are told.", kudos.NewCommentOut)},
        body=kudos.CommentSchema,
        errors=(404, 409),
        description="A reversed kudos takes no comments (409).",
    ),
    Op(
        "GET",
        "/api/v1/kudos/<int:kudos_id>/comments",
        "A kudos' comments, oldest first",
        "Kudos",
        "read",
        {200: kudos.CommentsOut},
        errors=(404,),
    ),
    Op(
        "GET",
        "/api/v1/employees/<employee_id>/allowance",
        "A person's kudos allowance this month",
        "Kudos",
        "read",
        {200: kudos.AllowanceOut},
        errors=(404,),
    ),
    # --- nominations
    Op(
        "POST",
        "/api/v1/nominations",
        "Submit a nomination for a nominator (its evidence is frozen now)",
        "Nominations",
        "nominations:write",
        {
            201: ("Submitted.", nominations.NominationSchema),
            200: ("The same Idempotency-Key again: that nomination.", nominations.NominationSchema),
        },
        body=nominations.NominateSchema,
        errors=(403, 409),
        params=(
            Param(
                "Idempotency-Key",
                "makes a retried submission one nomination",
                where="header",
                schema={"type": "string", "minLength": 1, "maxLength": 200},
            ),
        ),
    ),
    Op(
        "GET",
        "/api/v1/nominations",
        "Nominations, newest first",
        "Nominations",
        "read",
        {200: nominations.NominationListSchema},
        errors=(404, 422),
        params=(
            query("status", "one state", type="string", enum=list(NOMINATION_STATUSES)),
            query("category", "a category slug"),
            query("period", "e.g. 2026-11, 2026-Q4 or 2026"),
            query("nominee_id", PERSON),
            query("limit", "page size", type="integer", minimum=1, maximum=100),
        ),
    ),
    Op(
        "GET",
        "/api/v1/nominations/<int:nomination_id>",
        "A nomination with its evidence and timeline",
        "Nominations",
        "read",
        {200: nominations.NominationSchema},
        errors=(404,),
    ),
    Op(
        "POST",
        "/api/v1/nominations/<int:nomination_id>/approve",
        "Approve the waiting step as a named person (again: the same answer)",
        "Nominations",
        "nominations:decide",
        {200: nominations.NominationSchema},
        body=nominations.ApproveSchema,
        errors=(403, 404, 409),
        description="The last step's approval pays the category's badge and bonus points "
        "through the ledger, exactly once.",
    ),
    Op(
        "POST",
        "/api/v1/nominations/<int:nomination_id>/decline",
        "Decline the waiting step as a named person, with a reason",
        "Nominations",
        "nominations:decide",
        {200: nominations.NominationSchema},
        body=nominations.DeclineSchema,
        errors=(403, 404, 409),
    ),
    Op(
        "POST",
        "/api/v1/nominations/<int:nomination_id>/withdraw",
        "Withdraw an open nomination as its nominator",
        "Nominations",
        "nominations:decide",
        {200: nominations.NominationSchema},
        body=nominations.WithdrawSchema,
        errors=(403, 404, 409),
    ),
    Op(
        "GET",
        "/api/v1/recognition-wall",
        "Winners by period and category (reasons where the winner allows)",
        "Nominations",
        "read",
        {200: nominations.WallSchema},
        errors=(422,),
        params=(query("period", "e.g. 2026-11; all periods when left out"),),
    ),
    # --- mentorship
    Op(
        "PUT",
        "/api/v1/content/<content_id>",
        "Create or update a content item with its topics",
        "Mentorship",
        "events:write",
        {200: ("Updated.", mentorship.ContentOut), 201: ("Created.", mentorship.ContentOut)},
        body=mentorship.ContentSchema,
        description="Shares link to it by the events' `content_id`; its topics count as "
        "demonstrated for whoever shares it.",
    ),
    Op(
        "GET",
        "/api/v1/mentorship/profile",
        "What a person offers and asks for",
        "Mentorship",
        "read",
        {200: mentorship.ProfileOut},
        errors=(404, 422),
        params=(Param("employee_id", PERSON, required=True),),
    ),
    Op(
        "PUT",
        "/api/v1/mentorship/profile",
        "Offer to mentor and/or ask for a mentor",
        "Mentorship",
        "mentorship:write",
        {200: mentorship.ProfileOut},
        body=mentorship.ProfileSchema,
        errors=(404,),
        params=(Param("employee_id", PERSON, required=True),),
        description="A key left out keeps what was there; `null` withdraws the offer or "
        "the ask. Offering needs the configured tier (403 otherwise).",
    ),
    Op(
        "POST",
        "/api/v1/mentorship/runs",
        "Queue a matching run",
        "Mentorship",
        "admin",
        {202: mentorship.RunQueuedOut},
        body=mentorship.RunSchema,
        body_required=False,
        errors=(409, 503),
        headers={202: {"Location": "the run's URL"}},
        description=f"Modes: {', '.join(m.value for m in Mode)}; the configured one when "
        "left out. The run ends as a draft that an admin publishes.",
    ),
    Op(
        "GET",
        "/api/v1/mentorship/runs/<int:run_id>",
        "A matching run: state, draft pairs and summary",
        "Mentorship",
        "admin",
        {200: mentorship.RunOut},
        errors=(404,),
    ),
    Op(
        "POST",
        "/api/v1/mentorship/runs/<int:run_id>/publish",
        "Publish a draft: its pairs become proposals",
        "Mentorship",
        "admin",
        {200: mentorship.PublishedOut},
        errors=(404, 409),
    ),
    Op(
        "GET",
        "/api/v1/mentorship/pairs",
        "A person's mentorships",
        "Mentorship",
        "read",
        {200: mentorship.PairsOut},
        errors=(404, 422),
        params=(
            Param("employee_id", PERSON, required=True),
            query("state", "only mentorships in this state", type="string", enum=list(STATES)),
        ),
    ),
    Op(
        "POST",
        "/api/v1/mentorship/pairs/<int:pair_id>/<any(accept, decline, complete, cancel):action>",
        "Move a mentorship on (as its mentee or mentor)",
        "Mentorship",
        "mentorship:write",
        {200: mentorship.MentorshipOut},
        body=mentorship.ActorSchema,
        errors=(403, 404, 409),
        description="proposed -> accepted | declined (by the mentor; the mentee may cancel) "
        "-> active -> completed | cancelled (either side).",
    ),
    # --- admin
    Op(
        "POST",
        "/api/v1/admin/rulesets",
        "Store a ruleset document as the next version",
        "Admin",
        "admin",
        {201: api.RulesetSavedSchema},
        body=api.RulesetDocumentSchema,
        params=(query("note", "why this version"),),
    ),
    Op(
        "POST",
        "/api/v1/admin/rescore",
        "Re-score every event under a ruleset",
        "Admin",
        "admin",
        {202: api.JobQueuedSchema},
        body=RescoreBody,
        errors=(503,),
    ),
    Op(
        "GET",
        "/api/v1/admin/jobs/<job_id>",
        "A job's status and progress",
        "Admin",
        "admin",
        {200: api.JobSchema},
        errors=(404, 503),
    ),
    Op(
        "POST",
        "/api/v1/admin/badges/award",
        "Give a manual badge",
        "Admin",
        "admin",
        {201: api.AwardedBadgeSchema},
        body=AwardBody,
    ),
    Op(
        "POST",
        "/api/v1/admin/badges/assertions/<assertion_id>/revoke",
        "Revoke an earned badge",
        "Admin",
        "admin",
        {200: api.RevokedBadgeSchema},
        body=RevokeBody,
        errors=(404,),
    ),
    Op(
        "GET",
        "/api/v1/admin/dead-letters",
        "Events set aside because scoring them failed",
        "Admin",
        "admin",
        {200: api.DeadLettersSchema},
    ),
    Op(
        "POST",
        "/api/v1/admin/dead-letters/<int:dead_letter_id>/retry",
        "Score a set-aside event again",
        "Admin",
        "admin",
        {202: api.DeadLetterQueuedSchema},
        errors=(404,),
    ),
    Op(
        "POST",
        "/api/v1/admin/kudos/<int:kudos_id>/reverse",
        "Reverse a kudos (its points are taken back; it stays in history)",
        "Admin",
        "admin",
        {200: kudos.ReversedKudosOut},
        body=kudos.ReverseSchema,
        errors=(404, 409),
    ),
    Op(
        "GET",
        "/api/v1/admin/kudos/flags",
        "The fairness review's flags (this month and the last)",
        "Admin",
        "admin",
        {200: kudos.FlagsOut},
    ),
    # --- meta
    Op(
        "GET",
        "/api/v1/openapi.json",
        "This document",
        "Meta",
        None,
        {200: api.OpenApiDocumentSchema},
    ),
]


# --- building the document -----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: `/kudos/<int:kudos_id>` -> `/kudos/{kudos_id}`."""
    return _PLACEHOLDER.sub(lambda m: "{" + m["name"] + "}", rule)


def _path_parameters(rule: str) -> list[dict]:
    params = []
    for match in _PLACEHOLDER.finditer(rule):
        converter, name = match["converter"] or "default", match["name"]
        if converter == "int":
            schema: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        elif converter == "any":
            schema = {"type": "string", "enum": [a.strip() for a in match["args"].split(",")]}
        else:
            schema = {"type": "string", "pattern": "^[^/]+$"}
        description = PERSON if name == "employee_id" else None
        param = {"name": name, "in": "path", "required": True, "schema": schema}
        if description:
            param["description"] = description
        params.append(param)
    return params


def _name(schema: SchemaRef) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name.removesuffix("Schema") or name


def _schema_name_resolver(schema: SchemaRef) -> str:
    return _name(schema)


def _problem(status: int, text: str | None = None) -> dict:
    response: dict[str, Any] = {
        "description": text or ERROR_TEXT[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": api.ProblemSchema}},
    }
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {
                "description": f"seconds to wait (for 503, {RETRY_AFTER_SECONDS})",
                "schema": {"type": "integer"},
            }
        }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": 'Bearer realm="laurel"',
                "schema": {"type": "string"},
            }
        }
    return response


def _operation(op: Op) -> dict:
    operation: dict[str, Any] = {
        "operationId": _operation_id(op),
        "summary": op.summary,
        "tags": [op.tag],
        "security": [{SECURITY_SCHEME: [op.scope]}] if op.scope else [],
        "responses": {},
    }
    who = f"Needs a token with the scope `{op.scope}`." if op.scope else "Public: no token."
    operation["description"] = f"{who} {op.description}" if op.description else who
    params = _path_parameters(op.rule) + [p.as_dict() for p in op.params]
    if params:
        operation["parameters"] = params
    if op.body is not None:
        bodies = op.body if isinstance(op.body, list) else [op.body]
        schema = bodies[0] if len(bodies) == 1 else {"oneOf": bodies}
        operation["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": schema}},
        }
    for status, answer in sorted(op.responses.items()):
        text, schema = answer if isinstance(answer, tuple) else (SUCCESS_TEXT[status], answer)
        response: dict[str, Any] = {
            "description": text,
            "content": {op.media_type: {"schema": schema}},
        }
        if status in op.headers:
            response["headers"] = {
                name: {"description": words, "schema": {"type": "string"}}
                for name, words in op.headers[status].items()
            }
        operation["responses"][str(status)] = response
    errors = set(op.errors)
    if op.scope:
        errors |= {401, 403, 429}
    if op.body is not None:
        errors |= {400, 422}
    for status in sorted(errors):
        operation["responses"][str(status)] = _problem(status)
    return operation


def _operation_id(op: Op) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", openapi_path(op.rule).lower().removeprefix("/api/v1"))
    return "_".join([op.method.lower(), *words.split()])


def _security_scheme() -> dict:
    scopes = "\n".join(f"- `{s}`: {SCOPE_TEXT[s]}" for s in SCOPES)
    return {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`flask laurel create-token`, or the admin's Tokens page), "
        "sent as `Authorization: Bearer <token>`. Each operation lists the scope it needs; "
        "a token with `admin` may do everything. Scopes:\n\n" + scopes,
    }


@functools.cache
def build_document() -> dict:
    """The OpenAPI 3.1 document of every operation in `OPERATIONS`, as a dict."""
    spec = APISpec(
        title="Laurel API",
        version="v1",
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name_resolver)],
        info={
            "description": "Events in, points out, ranks visible; kudos and mentorship. "
            "Errors are RFC 9457 problem details (`application/problem+json`) that name each "
            "bad field. Requests are limited per token per minute (429 with Retry-After).",
        },
        tags=[{"name": name, "description": words} for name, words in TAGS],
    )
    spec.components.security_scheme(SECURITY_SCHEME, _security_scheme())
    spec.components.schema("Problem", schema=api.ProblemSchema)
    for op in OPERATIONS:
        schemas = [a[1] if isinstance(a, tuple) else a for a in op.responses.values()]
        schemas += op.body if isinstance(op.body, list) else [op.body] if op.body else []
        for schema in schemas:
            if _name(schema) not in spec.components.schemas:
                spec.components.schema(_name(schema), schema=schema)
    by_path: dict[str, dict] = {}
    for op in OPERATIONS:
        by_path.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


# --- serving it ------------------------------------------------------------------------------

bp = Blueprint("openapi", __name__)


@bp.get("/api/v1/openapi.json")
def document() -> Response:
    """The OpenAPI document (public: it describes shapes, never data)."""
    return jsonify(build_document())


@bp.get("/api/docs")
def docs_page():
    """The API reference for people, rendered in the browser by the vendored Redoc."""
    response = make_response(render_template("api/docs.html"))
    response.headers["Content-Security-Policy"] = API_DOCS_CONTENT_SECURITY_POLICY
    return response
