"""Mentorship records: topics, content topics, offers and asks, runs and their
drafts, and the mentorships themselves with every transition."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recognition.clock import utcnow
from recognition.extensions import UTCDateTime, db

STATES = ("proposed", "accepted", "declined", "active", "completed", "cancelled")
# A mentee has at most one mentorship in these states (one mentor at a time).
OPEN_STATES = ("proposed", "accepted", "active")
RUN_STATES = ("queued", "running", "draft", "published", "failed")
MIN_CAPACITY, MAX_CAPACITY = 1, 5


class Topic(db.Model):
    """A topic on the admin's list ("LinkedIn writing", "Industry: fintech")."""

    __tablename__ = "mentorship_topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


content_topics = db.Table(
    "content_topics",
    db.Column("content_item_id", ForeignKey("content_items.id"), primary_key=True),
    db.Column("topic_id", ForeignKey("mentorship_topics.id"), primary_key=True),
)
offer_topics = db.Table(
    "mentor_offer_topics",
    db.Column("employee_id", ForeignKey("mentor_offers.employee_id"), primary_key=True),
    db.Column("topic_id", ForeignKey("mentorship_topics.id"), primary_key=True),
)
ask_topics = db.Table(
    "mentee_ask_topics",
    db.Column("employee_id", ForeignKey("mentee_asks.employee_id"), primary_key=True),
    db.Column("topic_id", ForeignKey("mentorship_topics.id"), primary_key=True),
)


class ContentItem(db.Model):
    """A piece of content people share; `content_id` is the events API's `content_id`."""

    __tablename__ = "content_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    topics: Mapped[list[Topic]] = relationship(secondary=content_topics, order_by=Topic.name)


class MentorOffer(db.Model):
    """Someone's offer to mentor: topics, capacity and the open/paused switch."""

    __tablename__ = "mentor_offers"
    __table_args__ = (
        CheckConstraint(f"capacity BETWEEN {MIN_CAPACITY} AND {MAX_CAPACITY}", name="capacity"),
    )

    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    topics: Mapped[list[Topic]] = relationship(secondary=offer_topics, order_by=Topic.name)


class MenteeAsk(db.Model):
    """Someone's ask for a mentor: topics to grow in, a short goal, preferences."""

    __tablename__ = "mentee_asks"

    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    goal: Mapped[str] = mapped_column(String(280), default="")
    prefers_other_team: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    topics: Mapped[list[Topic]] = relationship(secondary=ask_topics, order_by=Topic.name)


class Bookmark(db.Model):
    """A mentee bookmarked a mentor (suggested first after a decline)."""

    __tablename__ = "mentor_bookmarks"

    mentee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchingSettings(db.Model):
    """The organisation's matching settings, one row (id 1): weights, mode,
    who may mentor, whether a run publishes itself."""

    __tablename__ = "mentorship_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MatchingRun(db.Model):
    """One matching run: queued, running, a draft for review, published (or failed)."""

    __tablename__ = "mentorship_runs"
    __table_args__ = (
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in RUN_STATES) + ")", name="state"),
        CheckConstraint("mode IN ('best_fit', 'most_matched')", name="mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    job_id: Mapped[str | None] = mapped_column(String(64))
    # mean fit, unmatched (who and why), mentor load, candidate pair counts
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    pairs: Mapped[list[DraftPair]] = relationship(
        back_populates="run", order_by="DraftPair.id", cascade="all, delete-orphan"
    )


class DraftPair(db.Model):
    """A pair a run suggests; the admin may drop it before publishing."""

    __tablename__ = "mentorship_run_pairs"
    __table_args__ = (UniqueConstraint("run_id", "mentee_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("mentorship_runs.id"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    fit_units: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(String(1000))
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)

    run: Mapped[MatchingRun] = relationship(back_populates="pairs")


class Mentorship(db.Model):
    """A mentee and a mentor, from proposal to completion."""

    __tablename__ = "mentorships"
    __table_args__ = (
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")", name="state"),
        CheckConstraint("mentee_id <> mentor_id", name="not_self"),
        # One mentor at a time: a constraint, not a check before the insert.
        Index(
            "uq_mentorships_open_mentee",
            "mentee_id",
            unique=True,
            sqlite_where=db.text("state IN ('proposed', 'accepted', 'active')"),
            postgresql_where=db.text("state IN ('proposed', 'accepted', 'active')"),
        ),
        Index("ix_mentorships_mentor_state", "mentor_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    fit_units: Mapped[int] = mapped_column(Integer, default=0)
    explanation: Mapped[str] = mapped_column(String(1000), default="")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("mentorship_runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    transitions: Mapped[list[Transition]] = relationship(
        back_populates="mentorship", order_by="Transition.id"
    )


class Transition(db.Model):
    """One change of a mentorship's state: from what, to what, by whom, when."""

    __tablename__ = "mentorship_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    # None: the system (a published run)
    by_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentorship: Mapped[Mentorship] = relationship(back_populates="transitions")
