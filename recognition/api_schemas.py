"""What the JSON API gives (and the request shapes no feature module owns).

These schemas describe answers for the OpenAPI document (`recognition.openapi`);
the views still build their answers as they did, and `tests/test_openapi.py`
checks real answers against these shapes. Every key an answer always carries is
`required`; a key that may be null is `allow_none`. Schemas refuse unknown keys
(marshmallow's default), which the document states as `additionalProperties:
false`, so an answer that grows a key fails that test until it is described here.

Kudos and mentorship keep their shapes beside their features
(`recognition/kudos/schemas.py`, `recognition/mentorship/schemas.py`).
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from recognition.people import ROLES, EmployeeSchema
from scoring.events import EventSchema
from scoring.periods import PERIODS
from scoring.rules import EVENT_TYPES, NETWORKS

INGEST_STATUSES = ("accepted", "duplicate", "held", "conflict", "rejected")

# A field's errors: a list of messages, or (for a nested object) a map of its own.
FieldErrors = fields.Dict(
    keys=fields.String(),
    values=fields.Raw(),
    metadata={"description": 'Field name -> messages, e.g. {"points": ["allowance left: 20"]}.'},
)


def _required(field_class, *args, **kwargs):
    return field_class(*args, required=True, **kwargs)


def _moment(**kwargs):
    return fields.String(
        required=True,
        metadata={"format": "date-time", "description": "ISO 8601 with offset"},
        **kwargs,
    )


# --- errors ------------------------------------------------------------------------------


class ProblemSchema(Schema):
    """RFC 9457 problem details: every API error, as `application/problem+json`."""

    class Meta:
        # Some problems carry more members (a revoked badge: `revoked_at`, `reason`).
        unknown = INCLUDE

    type = _required(fields.String, metadata={"description": "always about:blank"})
    title = _required(fields.String, metadata={"description": "the HTTP status phrase"})
    status = _required(fields.Integer, validate=validate.Range(400, 599))
    detail = fields.String(metadata={"description": "what went wrong, in words"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={
            "description": "Each bad field (or query parameter, or header) with what is wrong "
            'with it, e.g. {"points": ["allowance left: 20"]}; nested objects nest.'
        },
    )


# --- events -------------------------------------------------------------------------------


class EventBatchSchema(Schema):
    """Several events at once (up to 1,000 a request; more is a 413)."""

    events = fields.List(fields.Nested(EventSchema), required=True)


class IngestResultSchema(Schema):
    index = _required(fields.Integer, metadata={"description": "the item's place in the request"})
    status = _required(fields.String, validate=validate.OneOf(INGEST_STATUSES))
    errors = FieldErrors


class IngestReportSchema(Schema):
    """202: one result per item, in order; valid items are stored whatever the others."""

    accepted = _required(fields.Integer)
    duplicates = _required(fields.Integer)
    held = _required(fields.Integer)
    conflicts = _required(fields.Integer)
    rejected = _required(fields.Integer)
    results = _required(fields.List, fields.Nested(IngestResultSchema))


# --- leaderboards and the directory -------------------------------------------------------


class WindowSchema(Schema):
    """A period's bounds in the organisation's time zone (null for all time)."""

    start = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    end = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class BoardEntrySchema(Schema):
    rank = _required(fields.Integer, metadata={"description": "ties share a rank (1, 2, 2, 4)"})
    employee_id = _required(fields.String)
    name = _required(fields.String)
    team = fields.String(required=True, allow_none=True)
    points = _required(fields.Integer)


class LeaderboardSchema(Schema):
    period = _required(fields.String, validate=validate.OneOf(PERIODS))
    window = _required(fields.Nested, WindowSchema)
    team = fields.String(required=True, allow_none=True)
    total = _required(fields.Integer, metadata={"description": "people on this board"})
    entries = _required(fields.List, fields.Nested(BoardEntrySchema))
    around = _required(
        fields.List,
        fields.Nested(BoardEntrySchema),
        metadata={"description": "`around` and their neighbours; empty without `around`"},
    )


class EmployeeBodySchema(EmployeeSchema):
    """PUT /api/v1/employees/{employee_id}: the path names the person."""

    class Meta(EmployeeSchema.Meta):
        exclude = ("employee_id",)


class EmployeeOut(Schema):
    employee_id = _required(fields.String)
    email = _required(fields.String, metadata={"format": "email"})
    name = _required(fields.String)
    team = fields.String(required=True, allow_none=True, metadata={"description": "team slug"})
    team_name = fields.String(required=True, allow_none=True)
    manager_id = fields.String(required=True, allow_none=True)
    role = _required(fields.String, validate=validate.OneOf(ROLES))
    active = _required(fields.Boolean)


class StandingSchema(Schema):
    points = _required(fields.Integer)
    rank = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "null when not on the board (no points, or hidden by choice)"},
    )
    team_rank = fields.Integer(required=True, allow_none=True)
    window = _required(fields.Nested, WindowSchema)


class PeriodsSchema(Schema):
    week = _required(fields.Nested, StandingSchema)
    month = _required(fields.Nested, StandingSchema)
    rolling = _required(fields.Nested, StandingSchema, data_key="30d")
    all = _required(fields.Nested, StandingSchema)


# --- badges and tiers ---------------------------------------------------------------------


class EarnedBadgeSchema(Schema):
    slug = _required(fields.String)
    name = _required(fields.String)
    level = _required(fields.Integer)
    label = fields.String(required=True, allow_none=True)
    image = fields.String(required=True, allow_none=True)
    earned_at = _moment()
    assertion_id = _required(
        fields.String, metadata={"description": "public id of the Open Badges credential"}
    )


class BadgeProgressSchema(Schema):
    slug = _required(fields.String)
    name = _required(fields.String)
    level = _required(fields.Integer)
    label = fields.String(required=True, allow_none=True)
    current = _required(fields.Integer)
    target = _required(fields.Integer)


class BadgesSchema(Schema):
    earned = _required(fields.List, fields.Nested(EarnedBadgeSchema))
    progress = _required(fields.List, fields.Nested(BadgeProgressSchema))


class TierComponentSchema(Schema):
    name = _required(fields.String, validate=validate.OneOf(["points_90d", "engagement_per_share"]))
    current = _required(fields.Float)
    needed = _required(fields.Float)


class TierSchema(Schema):
    slug = _required(fields.String)
    name = _required(fields.String)
    since = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    next = fields.String(
        required=True, allow_none=True, metadata={"description": "null at the top tier"}
    )
    progress = _required(fields.List, fields.Nested(TierComponentSchema))


class EmployeeSummarySchema(EmployeeOut):
    periods = _required(fields.Nested, PeriodsSchema)
    tier = _required(fields.Nested, TierSchema)
    badges = _required(fields.Nested, BadgesSchema)


class NotificationSchema(Schema):
    id = _required(fields.Integer)
    kind = _required(fields.String)
    title = _required(fields.String)
    body = fields.String(required=True, allow_none=True)
    link = fields.String(required=True, allow_none=True)
    created_at = _moment()
    read = _required(fields.Boolean)


class NotificationsSchema(Schema):
    unread = _required(fields.Integer)
    items = _required(fields.List, fields.Nested(NotificationSchema))


class CredentialSchema(Schema):
    """An Open Badges 3.0 `OpenBadgeCredential` (JSON-LD), as its specification defines it."""

    class Meta:
        unknown = INCLUDE

    context = _required(fields.List, fields.String(), data_key="@context")
    id = _required(fields.String, metadata={"format": "uri"})
    type = _required(fields.List, fields.String())
    issuer = _required(fields.Dict)
    validFrom = _moment()  # the credential's own member names
    name = _required(fields.String)
    credentialSubject = _required(fields.Dict)


# --- admin --------------------------------------------------------------------------------


class AwardedBadgeSchema(Schema):
    assertion_id = _required(fields.String)
    level = _required(fields.Integer)


class RevokedBadgeSchema(Schema):
    assertion_id = _required(fields.String)
    revoked_at = _moment()


class RulesetDocumentSchema(Schema):
    """A ruleset document, as `scoring/default_ruleset.json` (version 1) is one. The rules
    engine checks it field by field; a 422 names each bad field by its path (such as
    `badges.2.levels.0.threshold`)."""

    class Meta:
        unknown = INCLUDE

    name = fields.String(metadata={"description": "shown to admins"})
    points = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": f"points per event type ({', '.join(EVENT_TYPES)}), x `count`"},
    )
    network_multipliers = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata={"description": f"per network ({', '.join(NETWORKS)})"},
    )
    daily_caps = fields.Dict(metadata={"description": "per person and local day"})
    max_event_age_days = fields.Integer(
        allow_none=True, metadata={"description": "older events earn nothing; null: no limit"}
    )
    badges = fields.List(fields.Dict(), metadata={"description": "badge definitions"})
    tiers = fields.List(fields.Dict(), metadata={"description": "thought-leader tiers, in order"})


class RulesetSavedSchema(Schema):
    version = _required(fields.Integer)


class JobQueuedSchema(Schema):
    job_id = _required(fields.String)
    status = _required(fields.String)


class JobSchema(JobQueuedSchema):
    progress = fields.Raw(required=True, allow_none=True)
    result = fields.Raw(required=True, allow_none=True)


class DeadEventSchema(Schema):
    id = _required(fields.String, metadata={"description": "the event's id at its source"})
    source = _required(fields.String)
    type = _required(fields.String, validate=validate.OneOf(EVENT_TYPES))
    employee_id = _required(fields.String)
    network = _required(fields.String, validate=validate.OneOf(NETWORKS))
    occurred_at = _moment()
    count = _required(fields.Integer)


class DeadLetterSchema(Schema):
    id = _required(fields.Integer)
    event = _required(fields.Nested, DeadEventSchema)
    error = _required(fields.String)
    failures = _required(fields.Integer)
    failed_at = _moment()


class DeadLettersSchema(Schema):
    total = _required(fields.Integer)
    items = _required(fields.List, fields.Nested(DeadLetterSchema))


class DeadLetterQueuedSchema(Schema):
    id = _required(fields.Integer)
    status = _required(fields.String, validate=validate.Equal("queued"))


class OpenApiDocumentSchema(Schema):
    """This document."""

    class Meta:
        unknown = INCLUDE

    openapi = _required(fields.String)
    info = _required(fields.Dict)
    paths = _required(fields.Dict)
