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
        metadata={"description": "1 to 5 employee ids, not the giver's"},
    )
    # Trimmed and measured by the rules; this bounds what is read at all.
    message = Text(
        required=True,
        validate=validate.Length(max=5000),
        metadata={
            "description": "plain text, 1 to 500 characters after trimming, at least "
            "the configured minimum"
        },
    )
    value = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "one of the organisation's company values"},
    )
    points = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(min=0, max=MAX_POINTS),
        metadata={"description": "per receiver, from the giver's allowance left this month"},
    )
    event = fields.Nested(
        EventRef,
        load_default=None,
        allow_none=True,
        metadata={"description": "a share by one of the receivers that this kudos thanks for"},
    )


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


# --- what the kudos API gives (described in the OpenAPI document) ---------------------------


class PersonOut(Schema):
    employee_id = fields.String(required=True)
    name = fields.String(required=True)
    team = fields.String(required=True, allow_none=True, metadata={"description": "team slug"})


class KudosOut(Schema):
    """One kudos, as the feed and a give answer it."""

    id = fields.Integer(required=True)
    giver = fields.Nested(PersonOut, required=True)
    receivers = fields.List(fields.Nested(PersonOut), required=True)
    message = fields.String(required=True, metadata={"description": "plain text"})
    value = fields.String(required=True, allow_none=True)
    points = fields.Integer(required=True, metadata={"description": "per receiver"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    reactions = fields.Integer(required=True)
    event = fields.Nested(
        EventRef,
        required=True,
        allow_none=True,
        metadata={"description": "the share this kudos thanks for, if any"},
    )
    reversed = fields.Boolean(required=True)
    comments = fields.Integer(required=True, metadata={"description": "how many comments"})


class ReversedKudosOut(KudosOut):
    reason = fields.String(required=True, allow_none=True)


class KudosPageOut(Schema):
    items = fields.List(fields.Nested(KudosOut), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "pass as `cursor` for the next page; null on the last"},
    )


class ReactionsOut(Schema):
    id = fields.Integer(required=True)
    reactions = fields.Integer(required=True, metadata={"description": "the +1 count now"})


class AllowanceOut(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM, organisation time"})
    allowance = fields.Integer(required=True)
    given = fields.Integer(required=True)
    left = fields.Integer(required=True)
    resets_at = fields.String(required=True, metadata={"format": "date-time"})


class FlagOut(Schema):
    """A fairness flag: `concentration` names `giver` and `receiver`; `trading` names
    the pair as `first` and `second`."""

    kind = fields.String(required=True, validate=validate.OneOf(["concentration", "trading"]))
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    giver = fields.Nested(PersonOut)
    receiver = fields.Nested(PersonOut)
    first = fields.Nested(PersonOut)
    second = fields.Nested(PersonOut)
    points = fields.Integer(required=True)
    detail = fields.String(required=True)


class FlagsOut(Schema):
    items = fields.List(fields.Nested(FlagOut), required=True)


class CommentOut(Schema):
    """One comment under a kudos."""

    id = fields.Integer(required=True)
    author = fields.Nested(PersonOut, required=True)
    message = fields.String(required=True, metadata={"description": "plain text"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class NewCommentOut(CommentOut):
    kudos_id = fields.Integer(required=True)


class CommentsOut(Schema):
    kudos_id = fields.Integer(required=True)
    items = fields.List(
        fields.Nested(CommentOut), required=True, metadata={"description": "oldest first"}
    )
