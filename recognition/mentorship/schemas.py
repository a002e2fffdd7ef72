"""What the mentorship API and forms take in."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from recognition.inputs import Text
from recognition.mentorship.matching import Mode
from recognition.mentorship.models import MAX_CAPACITY, MIN_CAPACITY

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
