"""What the kudos API takes: shapes and types (the rules live in `rules`)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from recognition.inputs import Text
from recognition.kudos.rules import MAX_POINTS


class EventRef(Schema):
    class Meta:
        unknown = RAISE

    source = Text(required=True, validate=validate.Length(min=1, max=64))
    id = Text(required=True, validate=validate.Length(min=1, max=200))


class GiveSchema(Schema):
    """POST /api/v1/kudos."""

    class Meta:
        unknown = RAISE

    giver_id = Text(required=True, validate=validate.Length(min=1, max=64))
    # Length is a rule (at most 5), reported by the service; this bounds the work.
    receiver_ids = fields.List(
        Text(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(max=50),
    )
    # Trimmed and measured by the rules; this bounds what is read at all.
    message = Text(required=True, validate=validate.Length(max=5000))
    value = Text(load_default=None, allow_none=True, validate=validate.Length(max=64))
    points = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_POINTS)
    )
    event = fields.Nested(EventRef, load_default=None, allow_none=True)


class ReactionSchema(Schema):
    class Meta:
        unknown = RAISE

    employee_id = Text(required=True, validate=validate.Length(min=1, max=64))


class ReverseSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(required=True, validate=validate.Length(min=1, max=300))


class CommentSchema(Schema):
    """POST /api/v1/kudos/<id>/comments."""

    class Meta:
        unknown = RAISE

    employee_id = Text(required=True, validate=validate.Length(min=1, max=64))
    # Trimmed and measured by the rules; this bounds what is read at all.
    message = Text(required=True, validate=validate.Length(max=5000))
