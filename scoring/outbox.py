"""The outbox and its relay: every committed, unscored event gets scored.

Ingestion writes each new event's row in `pending_events` in the same
transaction as the event; scoring deletes it in the transaction that writes
the ledger rows. What is left there is exactly what still needs scoring,
whatever was lost in between (an enqueue while Redis was down, a flushed
queue, a worker killed while holding batches it had taken over). The relay,
run by the scheduler, scores it.

A batch whose scoring fails for a reason in the data (not a lost connection
or a deadlock) is split in halves until the event that fails alone is found;
that event is set aside as a dead letter with its error, and the rest are
scored. An admin retries a dead letter after a fix.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import redis
from flask import current_app
from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy import exc as sa_exc

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from recognition.people import Employee
from scoring.ledger import (
    GenerationSwitched,
    ScoreResult,
    _lock_people,
    _people_by_ref,
    ensure_boards,
    refresh_boards,
    score_events,
)
from scoring.models import DeadLetter, Event, PendingEvent
from scoring.periods import local_day
from scoring.rulesets import ensure_scoring_setup, live_scoring
from scoring.storage import insert_many

log = logging.getLogger(__name__)

BATCH = 1000
ERROR_LIMIT = 4000  # characters of an error kept with a dead letter

# Errors about the data of a batch: splitting it finds the event they come from.
_DATA_ERRORS = (
    sa_exc.DataError,
    sa_exc.IntegrityError,
    psycopg.DataError,
    psycopg.IntegrityError,
    sqlite3.DataError,
    sqlite3.IntegrityError,
)
# Errors about the world (connections, locks, deadlocks, a missing table after a
# bad deploy): no event is to blame, so nothing is set aside; the job fails and
# is retried, and the events stay in the outbox until it works again.
_TRANSIENT_ERRORS = (
    GenerationSwitched,
    redis.RedisError,
    OSError,
    MemoryError,
    sa_exc.DBAPIError,
    psycopg.Error,
    sqlite3.Error,
)


def blames_the_data(exc: BaseException) -> bool:
    """Whether a scoring failure may come from one event (so bisecting can find it)."""
    if isinstance(exc, _DATA_ERRORS):
        return True
    if isinstance(exc, _TRANSIENT_ERRORS):
        return False
    if isinstance(exc, sa_exc.SQLAlchemyError):
        # A bound value the column could not take is the data's fault; anything
        # else from SQLAlchemy (pool timeouts, a session to roll back) is not.
        return type(exc) is sa_exc.StatementError
    return isinstance(exc, Exception)


@dataclass(frozen=True)
class OutboxResult:
    scored: int = 0
    already_scored: int = 0
    held: int = 0
    points: int = 0
    set_aside: int = 0

    def __add__(self, other: OutboxResult) -> OutboxResult:
        return OutboxResult(
            *(
                a + b
                for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)
            )
        )

    @classmethod
    def of(cls, result: ScoreResult) -> OutboxResult:
        return cls(result.scored, result.already_scored, result.held, result.points)


def score_isolating(event_ids: list[int]) -> OutboxResult:
    """Score these events; if that fails because of one of them, set it aside
    and score the others (halving the batch until the culprit is alone)."""
    ids = sorted(set(event_ids))
    if not ids:
        return OutboxResult()
    try:
        return OutboxResult.of(score_events(ids))
    except Exception as exc:
        if not blames_the_data(exc):
            raise
        if len(ids) == 1:
            set_aside(ids[0], exc)
            return OutboxResult(set_aside=1)
        log.warning("scoring %d events failed (%s); splitting the batch", len(ids), exc)
    middle = len(ids) // 2
    return score_isolating(ids[:middle]) + score_isolating(ids[middle:])


def set_aside(event_id: int, error: BaseException) -> None:
    """Move one event from the outbox to the dead letters, with its error.

    The failed attempt was rolled back, but its board writes may have reached
    Redis before the failure; the person's boards are written again from SQL.
    """
    text = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
    log.error("event %d set aside as a dead letter: %s", event_id, text)
    begin_write(db.session)
    event = db.session.get(Event, event_id)
    person = _people_by_ref({event.employee_ref}).get(event.employee_ref) if event else None
    gen = live_scoring().generation
    if person is not None:
        # The person's row first, as scoring takes it, then the outbox row.
        _lock_people(gen, [person.id])
    insert_many(
        DeadLetter.__table__,
        [{"event_id": event_id, "error": text, "failures": 1, "failed_at": utcnow()}],
        conflict=("event_id",),
        replace=("error", "failed_at"),
        add=("failures",),
    )
    db.session.execute(delete(PendingEvent).where(PendingEvent.event_id == event_id))
    if person is not None:
        day = local_day(event.occurred_at, current_app.config["LAUREL_TZ"])
        refresh_boards(gen, {person.id: person}, {(person.id, day)})
    db.session.commit()


def pending_query(
    after: int = 0,
    size: int = BATCH,
    employee_ref: str | None = None,
    received_before: dt.datetime | None = None,
) -> Select:
    """Ids of outbox events of people in the directory, ascending, after `after`.

    Reads only `pending_events` (small: what is not scored yet, through its
    primary key) and the directory's unique HR id, never the event log or the
    ledger, so the plan stays cheap however stale the planner's statistics are.
    """
    query = (
        select(PendingEvent.event_id)
        .where(
            PendingEvent.event_id > after,
            exists().where(Employee.external_id == PendingEvent.employee_ref),
        )
        .order_by(PendingEvent.event_id)
        .limit(size)
    )
    if employee_ref is not None:
        query = query.where(PendingEvent.employee_ref == employee_ref)
    if received_before is not None:
        query = query.where(PendingEvent.received_at < received_before)
    return query


def pending_batches(
    employee_ref: str | None = None,
    received_before: dt.datetime | None = None,
    size: int = BATCH,
) -> Iterator[list[int]]:
    """The outbox's events of known people, `size` ids at a time (see pending_query)."""
    last = 0
    while True:
        ids = list(db.session.scalars(pending_query(last, size, employee_ref, received_before)))
        db.session.commit()
        if not ids:
            return
        yield ids
        last = ids[-1]


def score_pending(
    employee_ref: str | None = None, received_before: dt.datetime | None = None
) -> OutboxResult:
    """Score what the outbox holds (one person's with `employee_ref`; only
    events received before `received_before` when given)."""
    ensure_scoring_setup()
    total = OutboxResult()
    for batch in pending_batches(employee_ref, received_before):
        total += score_isolating(batch)
    return total


def relay(received_before: dt.datetime) -> OutboxResult:
    """The scheduler's pass: boards back if Redis lost them, then the outbox."""
    ensure_boards()
    return score_pending(received_before=received_before)


@dataclass(frozen=True)
class DeadLetterView:
    id: int
    event_id: int
    source: str
    external_id: str
    type: str
    employee_ref: str
    network: str
    occurred_at: dt.datetime
    count: int
    error: str
    failures: int
    failed_at: dt.datetime

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "event": {
                "id": self.external_id,
                "source": self.source,
                "type": self.type,
                "employee_id": self.employee_ref,
                "network": self.network,
                "occurred_at": self.occurred_at.isoformat(),
                "count": self.count,
            },
            "error": self.error,
            "failures": self.failures,
            "failed_at": self.failed_at.isoformat(),
        }


def dead_letters(limit: int = 100) -> tuple[int, list[DeadLetterView]]:
    """How many events are set aside, and the newest `limit` of them."""
    total = db.session.scalar(select(func.count()).select_from(DeadLetter)) or 0
    rows = db.session.execute(
        select(
            DeadLetter.id,
            Event.id,
            Event.source,
            Event.external_id,
            Event.type,
            Event.employee_ref,
            Event.network,
            Event.occurred_at,
            Event.count,
            DeadLetter.error,
            DeadLetter.failures,
            DeadLetter.failed_at,
        )
        .join(Event, Event.id == DeadLetter.event_id)
        .order_by(DeadLetter.failed_at.desc(), DeadLetter.id.desc())
        .limit(limit)
    ).all()
    return total, [DeadLetterView(*row) for row in rows]


@dataclass(frozen=True)
class Backlog:
    """What the outbox holds now: events to score, and events held for people
    not in the directory yet."""

    waiting: int
    oldest: dt.datetime | None
    held: int


def backlog() -> Backlog:
    known = exists().where(Employee.external_id == PendingEvent.employee_ref)
    waiting, oldest = db.session.execute(
        select(func.count(), func.min(PendingEvent.received_at)).where(known)
    ).one()
    held = db.session.scalar(select(func.count()).select_from(PendingEvent).where(~known))
    return Backlog(waiting or 0, oldest, held or 0)


def retry_dead_letter(dead_letter_id: int) -> int | None:
    """Put a set-aside event back in the outbox; returns its event id (None: no
    such dead letter). The caller enqueues its scoring after this commits."""
    begin_write(db.session)
    row = db.session.get(DeadLetter, dead_letter_id)
    if row is None:
        db.session.rollback()
        return None
    event = db.session.get(Event, row.event_id)
    insert_many(
        PendingEvent.__table__,
        [
            {
                "event_id": event.id,
                "employee_ref": event.employee_ref,
                "received_at": event.received_at,
            }
        ],
        conflict=("event_id",),
    )
    db.session.delete(row)
    db.session.commit()
    return event.id
