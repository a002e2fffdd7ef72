"""What the nominations API takes and answers: shapes and types (the rules live in
`rules`). Responses are dumped through these schemas too, so they describe the API."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from recognition.inputs import Text
from recognition.nominations.models import STATUSES
from recognition.nominations.rules import MAX_STEPS

EmployeeRef = Text(required=True, validate=validate.Length(min=1, max=64))


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class NominateSchema(StrictSchema):
    """POST /api/v1/nominations."""

    nominator_id = Text(required=True, validate=validate.Length(min=1, max=64))
    nominee_id = Text(required=True, validate=validate.Length(min=1, max=64))
    category = Text(required=True, validate=validate.Length(min=1, max=64))
    period = Text(required=True, validate=validate.Length(min=1, max=16))
    # Trimmed and measured by the rules (20 to 2,000); this bounds what is read at all.
    reason = Text(required=True, validate=validate.Length(max=5000))


class ApproveSchema(StrictSchema):
    """POST /api/v1/nominations/<id>/approve; `step` makes a retry safe across steps."""

    actor_id = Text(required=True, validate=validate.Length(min=1, max=64))
    step = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1, MAX_STEPS)
    )


class DeclineSchema(ApproveSchema):
    """POST /api/v1/nominations/<id>/decline."""

    reason = Text(required=True, validate=validate.Length(max=5000))


class WithdrawSchema(StrictSchema):
    """POST /api/v1/nominations/<id>/withdraw."""

    actor_id = Text(required=True, validate=validate.Length(min=1, max=64))


class ListQuerySchema(StrictSchema):
    """GET /api/v1/nominations query parameters."""

    status = Text(load_default=None, validate=validate.OneOf(STATUSES))
    category = Text(load_default=None, validate=validate.Length(min=1, max=64))
    period = Text(load_default=None, validate=validate.Length(min=1, max=16))
    nominee_id = Text(load_default=None, validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))


# --- responses ----------------------------------------------------------------------


class BadgeEvidence(Schema):
    badge = fields.String()
    name = fields.String()
    level = fields.Integer()
    earned_at = fields.String()


class ContentEvidence(Schema):
    content_id = fields.String()
    title = fields.String(allow_none=True)
    shares = fields.Integer()


class KudosMessage(Schema):
    # "from" is a Python keyword: the attribute keeps the key's name through data_key.
    giver = fields.String(data_key="from", attribute="from")
    message = fields.String()
    at = fields.String()


class KudosEvidence(Schema):
    count = fields.Integer()
    points = fields.Integer()
    messages = fields.List(fields.Nested(KudosMessage))


class EvidenceSchema(Schema):
    """The nominee's figures for the period, frozen at submission (or as of now)."""

    period = fields.String()
    period_kind = fields.String()
    as_of = fields.String()
    points = fields.Integer()
    rank = fields.Integer(allow_none=True)
    team = fields.String(allow_none=True)
    team_rank = fields.Integer(allow_none=True)
    tier = fields.String(allow_none=True)
    badges = fields.List(fields.Nested(BadgeEvidence))
    top_content = fields.List(fields.Nested(ContentEvidence))
    kudos = fields.Nested(KudosEvidence)


class TimelineEntry(Schema):
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    step = fields.Integer()
    by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    at = fields.String()


class NominationSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    step = fields.Integer()
    steps = fields.Integer()
    category = fields.String()
    category_name = fields.String()
    category_version = fields.Integer()
    period = fields.String()
    nominator_id = fields.String()
    nominee_id = fields.String()
    reason = fields.String()
    decline_reason = fields.String(allow_none=True)
    evidence = fields.Nested(EvidenceSchema)
    created_at = fields.String()
    decided_at = fields.String(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntry))


class NominationListSchema(Schema):
    items = fields.List(fields.Nested(NominationSchema(exclude=("timeline",))))


class WallEntrySchema(Schema):
    id = fields.Integer()
    nominee_id = fields.String()
    nominee = fields.String()
    nominator = fields.String()
    category = fields.String()
    period = fields.String()
    reason = fields.String(allow_none=True)
    decided_at = fields.String()


class WallSchema(Schema):
    items = fields.List(fields.Nested(WallEntrySchema))
