"""What the mentorship API and forms take in."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from recognition.inputs import Text
from recognition.mentorship.matching import Mode
from recognition.mentorship.models import MAX_CAPACITY, MIN_CAPACITY, RUN_STATES, STATES

MAX_TOPICS = 10
MAX_BOOKMARKS = 20
TopicName = Text(validate=validate.Length(min=1, max=80))


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ContentSchema(StrictSchema):
    """PUT /api/v1/content/<content_id>."""

    title = Text(required=True, validate=validate.Length(min=1, max=300))
    url = Text(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=2000), validate.URL(schemes={"http", "https"})],
    )
    topics = fields.List(TopicName, required=True, validate=validate.Length(max=MAX_TOPICS))


class OfferSchema(StrictSchema):
    topics = fields.List(TopicName, required=True, validate=validate.Length(min=1, max=MAX_TOPICS))
    capacity = fields.Integer(
        strict=True, validate=validate.Range(min=MIN_CAPACITY, max=MAX_CAPACITY)
    )
    open = fields.Boolean()


class AskSchema(StrictSchema):
    topics = fields.List(TopicName, required=True, validate=validate.Length(max=MAX_TOPICS))
    goal = Text(validate=validate.Length(max=280))
    prefers_other_team = fields.Boolean()
    bookmarks = fields.List(
        Text(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=MAX_BOOKMARKS)
    )


class ProfileSchema(StrictSchema):
    """PUT /api/v1/mentorship/profile: a key left out keeps what was there, null withdraws."""

    offer = fields.Nested(OfferSchema, allow_none=True)
    ask = fields.Nested(AskSchema, allow_none=True)


class RunSchema(StrictSchema):
    mode = Text(
        load_default=None, allow_none=True, validate=validate.OneOf([m.value for m in Mode])
    )


class ActorSchema(StrictSchema):
    """Who acts on a mentorship through the API (the integration acts for them)."""

    employee_id = Text(required=True, validate=validate.Length(min=1, max=64))


# --- what the mentorship API gives (described in the OpenAPI document) -----------------------


class ContentOut(Schema):
    content_id = fields.String(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True, allow_none=True)
    topics = fields.List(fields.String(), required=True)


class OfferOut(Schema):
    topics = fields.List(fields.String(), required=True)
    capacity = fields.Integer(required=True)
    open = fields.Boolean(required=True)
    mentees = fields.Integer(required=True, metadata={"description": "open mentorships now"})


class AskOut(Schema):
    topics = fields.List(fields.String(), required=True)
    goal = fields.String(required=True, allow_none=True)
    prefers_other_team = fields.Boolean(required=True)
    bookmarks = fields.List(fields.String(), required=True)


class ProfileOut(Schema):
    employee_id = fields.String(required=True)
    may_mentor = fields.Boolean(required=True)
    offer = fields.Nested(OfferOut, required=True, allow_none=True)
    ask = fields.Nested(AskOut, required=True, allow_none=True)
    demonstrated = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        metadata={"description": "topic -> weight (0 to 1) from what the person shared"},
    )


class RunQueuedOut(Schema):
    run_id = fields.Integer(required=True)
    job_id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.Equal("queued"))
    url = fields.String(required=True, metadata={"description": "where to follow the run"})


class DraftPairOut(Schema):
    id = fields.Integer(required=True)
    mentee_id = fields.String(required=True, allow_none=True)
    mentor_id = fields.String(required=True, allow_none=True)
    fit = fields.Float(required=True)
    explanation = fields.String(required=True)
    dropped = fields.Boolean(required=True)


class RunOut(Schema):
    id = fields.Integer(required=True)
    mode = fields.String(required=True, validate=validate.OneOf([m.value for m in Mode]))
    state = fields.String(required=True, validate=validate.OneOf(RUN_STATES))
    scheduled = fields.Boolean(required=True)
    job_id = fields.String(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    finished_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    published_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    summary = fields.Dict(
        required=True,
        metadata={
            "description": "once done: mentees, mentors, pairs, mean_fit, matched_share, "
            "unmatched (mentee_id, reason, why), load (mentor_id, assigned, open_slots), "
            "candidate_pairs, seconds; after publishing also proposed and skipped"
        },
    )
    pairs = fields.List(fields.Nested(DraftPairOut), required=True)


class TransitionOut(Schema):
    from_ = fields.String(required=True, allow_none=True, data_key="from")
    to = fields.String(required=True, validate=validate.OneOf(STATES))
    by = fields.String(required=True, allow_none=True)
    at = fields.String(required=True, metadata={"format": "date-time"})


class MentorshipOut(Schema):
    id = fields.Integer(required=True)
    mentee_id = fields.String(required=True, allow_none=True)
    mentor_id = fields.String(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    fit = fields.Float(required=True)
    explanation = fields.String(required=True)
    run_id = fields.Integer(required=True, allow_none=True)
    transitions = fields.List(fields.Nested(TransitionOut), required=True)


class PairsOut(Schema):
    pairs = fields.List(fields.Nested(MentorshipOut), required=True)


class PublishedOut(Schema):
    run = fields.Integer(required=True, metadata={"description": "the run id"})
    proposed = fields.Integer(required=True, metadata={"description": "proposals sent"})
    skipped = fields.Integer(
        required=True, metadata={"description": "pairs no longer possible when published"}
    )
