"""Nomination tables: versioned categories, nominations with frozen evidence,
one decision per step (the primary key says so) and the timeline."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
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

STATUSES = ("submitted", "in_review", "approved", "declined", "withdrawn")
OPEN = ("submitted", "in_review")
# A nominee has at most one nomination per category and period that is open or won.
HELD = "status IN ('submitted', 'in_review', 'approved')"


def _one_of(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class NominationCategory(db.Model):
    """One version of a category; the highest version of a slug is the current one."""

    __tablename__ = "nomination_categories"
    __table_args__ = (
        UniqueConstraint("slug", "version"),
        CheckConstraint(_one_of("period", ("month", "quarter", "year")), name="period"),
        CheckConstraint(_one_of("who_may_nominate", ("reports", "managers", "anyone")), name="who"),
        CheckConstraint("bonus_points >= 0", name="bonus_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    period: Mapped[str] = mapped_column(String(16))
    badge: Mapped[str | None] = mapped_column(String(64))
    bonus_points: Mapped[int] = mapped_column(Integer, default=100)
    who_may_nominate: Mapped[str] = mapped_column(String(16))
    # [{"decider": "second_line_manager" | "admin" | "group", "group": [employee ids]}]
    steps: Mapped[list] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))


class Nomination(db.Model):
    """A nominee put forward by a nominator for a category and period."""

    __tablename__ = "nominations"
    __table_args__ = (
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        CheckConstraint("nominator_id <> nominee_id", name="not_self"),
        CheckConstraint("step >= 1 AND step <= steps", name="step_in_chain"),
        # The "one open (or won) nomination" rule as a constraint, not a check before insert.
        Index(
            "uq_nominations_held",
            "nominee_id",
            "category_slug",
            "period",
            unique=True,
            sqlite_where=db.text(HELD),
            postgresql_where=db.text(HELD),
        ),
        UniqueConstraint("nominator_id", "idempotency_key"),
        Index("ix_nominations_status", "status", "id"),
        Index("ix_nominations_nominator", "nominator_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("nomination_categories.id"))
    category_slug: Mapped[str] = mapped_column(String(64))
    nominator_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    nominee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    # "2026-11", "2026-Q4" or "2026", as the category's period says.
    period: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    # The step waiting for a decision (the last one once decided), of `steps`.
    step: Mapped[int] = mapped_column(Integer, default=1)
    steps: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[dict] = mapped_column(JSON)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    # The badge level the approval gave, if any (the nominee may hold every level).
    badge_level: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class NominationDecision(db.Model):
    """The decision on one step: the primary key makes "decided once" a constraint."""

    __tablename__ = "nomination_decisions"
    __table_args__ = (
        CheckConstraint(_one_of("outcome", ("approved", "declined")), name="outcome"),
    )

    nomination_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("nominations.id"), primary_key=True, autoincrement=False
    )
    step: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    decider_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class NominationTransition(db.Model):
    """One change of a nomination's status or step: who, when, and a note."""

    __tablename__ = "nomination_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(BigId, ForeignKey("nominations.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
