"""Kudos tables: the kudos and its receipts, the counters that make the limits
hold in the database, reactions and the versioned settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
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


class Kudos(db.Model):
    """One thank-you from a giver to 1-5 receivers. Never deleted; a reversal is marked."""

    __tablename__ = "kudos"
    __table_args__ = (
        # A retried give (same key) finds the kudos it made; one per giver and key.
        UniqueConstraint("giver_id", "idempotency_key"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        Index("ix_kudos_giver_created", "giver_id", "created_at"),
        Index("ix_kudos_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(String(64))
    # Points per receiver, from the giver's allowance.
    points: Mapped[int] = mapped_column(Integer, default=0)
    # The share event it thanks someone for.
    event_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("events.id"))
    month: Mapped[dt.date] = mapped_column(Date)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    settings_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reversed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reversed_reason: Mapped[str | None] = mapped_column(Text)
    reversed_by: Mapped[str | None] = mapped_column(String(200))


class KudosReceipt(db.Model):
    """One receiver of a kudos; its id is the `cause_id` of their ledger row."""

    __tablename__ = "kudos_receipts"
    __table_args__ = (
        UniqueConstraint("kudos_id", "receiver_id"),
        Index("ix_kudos_receipts_receiver", "receiver_id", "kudos_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kudos_id: Mapped[int] = mapped_column(BigId, ForeignKey("kudos.id"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    points: Mapped[int] = mapped_column(Integer, default=0)


class KudosAllowance(db.Model):
    """A giver's month: the allowance and what they gave. The CHECK refuses overspending;
    gives add to `given` with a conditional UPDATE, so concurrent gives queue on the row."""

    __tablename__ = "kudos_allowances"
    __table_args__ = (
        CheckConstraint("given >= 0 AND given <= allowance", name="within_allowance"),
    )

    giver_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id"), primary_key=True, autoincrement=False
    )
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    allowance: Mapped[int] = mapped_column(Integer)
    given: Mapped[int] = mapped_column(Integer, default=0)


class KudosPair(db.Model):
    """Points one giver sent one receiver in a month, under the pair cap (CHECKed)."""

    __tablename__ = "kudos_pairs"
    __table_args__ = (CheckConstraint("points >= 0 AND points <= cap", name="within_cap"),)

    giver_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id"), primary_key=True, autoincrement=False
    )
    receiver_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id"), primary_key=True, autoincrement=False
    )
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    cap: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)


class KudosReaction(db.Model):
    """One "+1" per person and kudos (the primary key says so)."""

    __tablename__ = "kudos_reactions"

    kudos_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("kudos.id"), primary_key=True, autoincrement=False
    )
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id"), primary_key=True, autoincrement=False
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class KudosSettingsVersion(db.Model):
    """The organisation's kudos settings; each change is a new version."""

    __tablename__ = "kudos_settings"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))


class KudosComment(db.Model):
    """A reply under a kudos: one level, plain text, never edited."""

    __tablename__ = "kudos_comments"
    __table_args__ = (Index("ix_kudos_comments_kudos", "kudos_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kudos_id: Mapped[int] = mapped_column(BigId, ForeignKey("kudos.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
