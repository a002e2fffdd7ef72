"""Event ingestion: validate, store once per (source, id), hand to the score job."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select, text

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from recognition.inputs import Moment, Text
from recognition.people import Employee
from scoring.models import Event, PendingEvent
from scoring.rules import EVENT_TYPES, NETWORKS, SHARE
from scoring.storage import among, insert_many, is_postgres, pairs_among

FUTURE_TOLERANCE = dt.timedelta(minutes=5)
# One event may aggregate at most this many engagements (likes, clicks, ...);
# an integration with more sends several events. With the ruleset's bounds
# (10,000 points, x10) one event is worth at most 10^9 points, and the 64-bit
# totals cannot overflow.
MAX_COUNT = 10_000


class EnvelopeError(ValueError):
    """The body is neither one event nor {"events": [...]}: nothing is stored."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _not_in_future(value: dt.datetime) -> None:
    if value > utcnow() + FUTURE_TOLERANCE:
        raise ValidationError("must not be more than 5 minutes in the future")


class EventSchema(Schema):
    class Meta:
        # Integrations may send fields we do not know yet; they are ignored, not fatal.
        unknown = EXCLUDE

    # The descriptions are for the API's OpenAPI document.
    id = Text(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the event's id at its source; (source, id) is stored once"},
    )
    source = Text(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the token's source (the default); no other"},
    )
    type = Text(required=True, validate=validate.OneOf(EVENT_TYPES))
    employee_id = Text(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the person's HR id; unknown ones are held until imported"},
    )
    network = Text(required=True, validate=validate.OneOf(NETWORKS))
    occurred_at = Moment(
        required=True,
        validate=_not_in_future,
        metadata={"description": "with a UTC offset; at most 5 minutes ahead"},
    )
    content_id = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "what was shared (see PUT /api/v1/content/{content_id})"},
    )
    count = fields.Integer(
        strict=True,
        load_default=1,
        validate=validate.Range(min=1),
        metadata={"description": "engagements aggregated, at most 10,000; a share's is 1"},
    )

    @validates_schema(skip_on_field_errors=True)
    def _count_is_bounded(self, data, **kwargs):
        if data["type"] == SHARE and data["count"] != 1:
            raise ValidationError("a share is one action: its count must be 1", "count")
        if data["count"] > MAX_COUNT:
            raise ValidationError(
                f"at most {MAX_COUNT:,} engagements per event; send more as several events",
                "count",
            )


EVENT_SCHEMA = EventSchema()


def payload_hash(data: dict[str, Any]) -> str:
    """A digest of what the event says, independent of key order and UTC offset."""
    canonical = {
        "type": data["type"],
        "employee_id": data["employee_id"],
        "network": data["network"],
        "occurred_at": data["occurred_at"].astimezone(dt.UTC).isoformat(),
        "content_id": data.get("content_id"),
        "count": data.get("count", 1),
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


@dataclass
class IngestReport:
    results: list[dict[str, Any]]
    new_event_ids: list[int] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r["status"] == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.count("accepted"),
            "duplicates": self.count("duplicate"),
            "held": self.count("held"),
            "conflicts": self.count("conflict"),
            "rejected": self.count("rejected"),
            "results": self.results,
        }


def unwrap(body: Any, max_events: int) -> list[Any]:
    """The list of items in a request body, or EnvelopeError."""
    if not isinstance(body, dict):
        raise EnvelopeError(422, 'The body must be one event object or {"events": [...]}.')
    if "events" not in body:
        return [body]
    items = body["events"]
    if not isinstance(items, list):
        raise EnvelopeError(422, '"events" must be a list of event objects.')
    if len(items) > max_events:
        raise EnvelopeError(413, f"At most {max_events} events per request; got {len(items)}.")
    return items


def ingest(
    items: list[Any],
    default_source: str,
    *,
    any_source: bool = False,
    backfill: bool = False,
) -> IngestReport:
    """Validate and store events; invalid items are reported, valid ones kept.

    Events belong to `default_source` (a token's source): an item naming
    another source is refused, unless `any_source` (the CLI import). With
    `backfill` (an admin-controlled path), the events are marked as a
    backfill and earn points however long after they occurred they arrive.

    The caller commits nothing: this function commits the accepted events,
    with their rows in the outbox (`pending_events`), and returns their ids,
    which the caller hands to the score job after commit.
    """
    results: list[dict[str, Any] | None] = [None] * len(items)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    index_of: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            results[index] = _rejected(index, {"_schema": ["each event must be a JSON object"]})
            continue
        try:
            data = EVENT_SCHEMA.load(item)
        except ValidationError as exc:
            results[index] = _rejected(index, exc.normalized_messages())
            continue
        source = data.get("source") or default_source
        if source != default_source and not any_source:
            errors = {"source": [f"this token may only send events for source {default_source!r}"]}
            results[index] = _rejected(index, errors)
            continue
        key = (source, data["id"])
        digest = payload_hash(data)
        if key in rows:
            # The same key twice in one batch: the first one stands.
            same = rows[key]["payload_hash"] == digest
            results[index] = _dup_or_conflict(index, same)
            continue
        index_of[key] = index
        rows[key] = {
            "source": source,
            "external_id": data["id"],
            "type": data["type"],
            "employee_ref": data["employee_id"],
            "network": data["network"],
            "occurred_at": data["occurred_at"],
            "content_id": data.get("content_id"),
            "count": data["count"],
            "payload_hash": digest,
            "received_at": utcnow(),
            "backfill": backfill,
        }

    report = IngestReport(results=[])
    if rows:
        begin_write(db.session)
        inserted = _insert_new(list(rows.values()))
        known = _known_refs({row["employee_ref"] for row in rows.values()})
        existing = _existing_hashes([k for k in rows if k not in inserted])
        for key, row in rows.items():
            index = index_of[key]
            if key in inserted:
                report.new_event_ids.append(inserted[key])
                status = "accepted" if row["employee_ref"] in known else "held"
                results[index] = {"index": index, "status": status}
            else:
                results[index] = _dup_or_conflict(index, existing.get(key) == row["payload_hash"])
        db.session.commit()
    report.results = [r for r in results if r is not None]
    return report


def _rejected(index: int, errors: dict) -> dict[str, Any]:
    return {"index": index, "status": "rejected", "errors": errors}


def _dup_or_conflict(index: int, same_payload: bool) -> dict[str, Any]:
    if same_payload:
        return {"index": index, "status": "duplicate"}
    return {
        "index": index,
        "status": "conflict",
        "errors": {"id": ["this source already sent an event with this id and another payload"]},
    }


def _insert_new(rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert, skipping keys that exist; returns {key: id} of the rows inserted now.

    Ids follow the order of `rows` (the request's), which is the order the
    events are scored in. On PostgreSQL the rows then go in in key order: two
    requests re-sending the same events in different orders would otherwise
    each wait on a key the other inserted first, and deadlock; in one order
    the second waits for the first and finds its keys taken. (SQLite has one
    writer at a time.)
    """
    if is_postgres():
        ids = sorted(
            db.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            )
        )
        rows = [{"id": id_, **row} for row, id_ in zip(rows, ids, strict=True)]
        rows.sort(key=lambda row: (row["source"], row["external_id"]))
    # Each new event goes into the outbox in the same statement (on PostgreSQL).
    written = insert_many(
        Event.__table__,
        rows,
        conflict=("source", "external_id"),
        returning=("id", "source", "external_id"),
        copy_into=(
            PendingEvent.__table__,
            {"event_id": "id", "employee_ref": "employee_ref", "received_at": "received_at"},
        ),
    )
    ids = {(source, external_id): id_ for id_, source, external_id in written}
    return ids


def _existing_hashes(keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    if not keys:
        return {}
    rows = db.session.execute(
        select(Event.source, Event.external_id, Event.payload_hash).where(
            pairs_among(Event.source, Event.external_id, keys)
        )
    )
    return {(r.source, r.external_id): r.payload_hash for r in rows}


def _known_refs(refs: set[str]) -> set[str]:
    return set(
        db.session.scalars(select(Employee.external_id).where(among(Employee.external_id, refs)))
    )
