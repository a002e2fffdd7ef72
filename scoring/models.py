"""Tables of the scoring spine: the event log, rulesets, the ledger and its rollups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from recognition.clock import utcnow
from recognition.extensions import BigId, UTCDateTime, db


class Event(db.Model):
    """An accepted share or engagement event. Append-only: never updated or deleted."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("count >= 1", name="count_positive"),
        Index("ix_events_employee_ref", "employee_ref"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    # The HR id as the integration sent it; it may name nobody yet (a held event).
    employee_ref: Mapped[str] = mapped_column(String(64))
    network: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    content_id: Mapped[str | None] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=1)
    # sha256 of the normalised payload: a redelivery with the same key but another
    # payload is a conflict, not a duplicate.
    payload_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Came through an admin-controlled backfill path (a token with the
    # events:backfill scope, the CLI import, the demo seed), so it may earn
    # points however long after it occurred it arrived. Kept on the event so a
    # re-score decides the same.
    backfill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=db.false())


class PendingEvent(db.Model):
    """The outbox: an accepted event not yet scored in the live generation.

    Written in the transaction that stores the event, deleted in the one that
    scores it (or sets it aside as a dead letter), so the relay finds what is
    left by reading this small table alone, whatever the planner's statistics
    say about the big ones. Held events (nobody with that HR id yet) wait here.
    """

    __tablename__ = "pending_events"

    # No foreign key to events: its check locks every new event row (FOR KEY
    # SHARE), about 10 ms per 1,000 events, a fifth of a request. The row is
    # written in the transaction that writes its event; events are never deleted.
    event_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    # Copied from the event (events never change), so the relay needs no join.
    employee_ref: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DeadLetter(db.Model):
    """An event whose scoring failed on its own, set aside so everyone else scores.

    An admin sees the error and retries it after a fix (the row then goes and
    the event is pending again).
    """

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("events.id"), unique=True)
    error: Mapped[str] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=1)
    failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RulesetVersion(db.Model):
    __tablename__ = "rulesets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))


class LedgerGeneration(db.Model):
    """A full scoring of the event log. Exactly one is live; re-scoring builds another."""

    __tablename__ = "ledger_generations"
    __table_args__ = (
        CheckConstraint("state IN ('live', 'building', 'retired')", name="state"),
        # At most one live generation.
        Index(
            "uq_ledger_generations_live",
            "state",
            unique=True,
            sqlite_where=db.text("state = 'live'"),
            postgresql_where=db.text("state = 'live'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ruleset_version: Mapped[int] = mapped_column(ForeignKey("rulesets.version"))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Re-scoring: the last event id replayed so far, and when it went live.
    replayed_through: Mapped[int | None] = mapped_column(BigId)
    switched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PointAward(db.Model):
    """The ledger. Append-only; one row per (generation, cause, rule)."""

    __tablename__ = "point_awards"
    __table_args__ = (
        # One row per (cause, rule) and generation. Leading with the cause id, the
        # key also answers "is this event scored yet?" as an index probe, even
        # under a generic plan without statistics.
        UniqueConstraint("cause_id", "cause_type", "generation", "rule"),
        # A person's rows, newest first (recent activity) or all of them (breakdown).
        # The breakdown's columns are included so PostgreSQL sums a heavy sharer's
        # rows from the index alone, without a heap page per row.
        Index(
            "ix_point_awards_person_covering",
            "generation",
            "employee_id",
            "occurred_at",
            postgresql_include=["cause_type", "rule", "network", "quantity", "points", "capped"],
        ),
        CheckConstraint(
            "cause_type IN ('event', 'kudos', 'nomination', 'mentorship', 'adjustment')", "cause"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    generation: Mapped[int] = mapped_column(ForeignKey("ledger_generations.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    cause_type: Mapped[str] = mapped_column(String(16))
    cause_id: Mapped[int] = mapped_column(BigId)
    rule: Mapped[str] = mapped_column(String(32))
    # The event's network, copied from it (events are immutable); None for other causes.
    network: Mapped[str | None] = mapped_column(String(16))
    # The event's count (aggregated engagements), so rollups can be rebuilt.
    quantity: Mapped[int] = mapped_column(BigInteger, default=1)
    points: Mapped[int] = mapped_column(BigInteger)
    base_points: Mapped[int] = mapped_column(BigInteger)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    ruleset_version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300))
    local_day: Mapped[dt.date] = mapped_column(Date)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DailyTotal(db.Model):
    """Per person and local day: the ledger summed, and what the caps have used."""

    __tablename__ = "daily_totals"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    # Sums are 64-bit: no total can overflow (a 32-bit one did, and failed every
    # job that held that person).
    scoring_shares: Mapped[int] = mapped_column(BigInteger, default=0)
    share_points: Mapped[int] = mapped_column(BigInteger, default=0)
    engagement_points: Mapped[int] = mapped_column(BigInteger, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    # Activity, capped or not, for the thought-leader tiers' 90-day metrics.
    shares: Mapped[int] = mapped_column(BigInteger, default=0)
    engagements: Mapped[int] = mapped_column(BigInteger, default=0)


class EmployeeScore(db.Model):
    """Per person: all-time points. Its row is the lock that serialises a person's scoring."""

    __tablename__ = "employee_scores"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger, default=0)


class PersonProgress(db.Model):
    """Per person and generation: achievement counters and thought-leader tier."""

    __tablename__ = "person_progress"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    tier: Mapped[str | None] = mapped_column(String(64))
    # First local day the person was below their tier's thresholds (hysteresis).
    tier_below_since: Mapped[dt.date | None] = mapped_column(Date)
    tier_since: Mapped[dt.date | None] = mapped_column(Date)


class BadgeAward(db.Model):
    """A badge level earned by a person. Revocation keeps the row, with a reason."""

    __tablename__ = "badge_awards"
    __table_args__ = (
        UniqueConstraint("generation", "employee_id", "badge", "level"),
        UniqueConstraint("generation", "assertion_id"),
        Index("ix_badge_awards_assertion", "assertion_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    generation: Mapped[int] = mapped_column(ForeignKey("ledger_generations.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    badge: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    earned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # What completed it: an event (or later a kudos, a nomination); manual awards name no cause.
    cause_type: Mapped[str | None] = mapped_column(String(16))
    cause_id: Mapped[int | None] = mapped_column(BigId)
    ruleset_version: Mapped[int] = mapped_column(Integer)
    # Public, unguessable id of the Open Badges assertion; kept across re-scores.
    assertion_id: Mapped[str] = mapped_column(String(36))
    awarded_by: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class Notification(db.Model):
    """Something to tell a person. `key` makes "tell once" a constraint."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("employee_id", "key"),
        Index("ix_notifications_unread", "employee_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
