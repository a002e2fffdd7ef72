"""RQ jobs. Module-level, take ids, safe to run twice; enqueued after commit.

Job functions run inside an app context: the one already pushed (tests,
`flask laurel worker`), or one made once per process for a plain `rq worker`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import os
import re

from flask import current_app, has_app_context
from rq import Queue, Retry
from rq.job import Job

from recognition.extensions import begin_write, db, redis_connection

log = logging.getLogger(__name__)

RETRY = Retry(max=5, interval=[2, 10, 30, 120, 600])
JOB_TIMEOUT = 600
_process_app = None
_engine_pid: int | None = None


def in_app_context(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            _forget_inherited_connections()
            return func(*args, **kwargs)
        global _process_app
        if _process_app is None:
            from app import create_app

            _process_app = create_app()
        with _process_app.app_context():
            _forget_inherited_connections()
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper


def _forget_inherited_connections() -> None:
    """A forked work horse must not reuse its parent's database connections."""
    global _engine_pid
    if _engine_pid != os.getpid():
        if _engine_pid is not None:
            db.engine.dispose(close=False)
        _engine_pid = os.getpid()


def queue() -> Queue:
    return Queue(current_app.config["LAUREL_QUEUE"], connection=redis_connection())


# RQ's own rule for job ids; it raises ValueError for anything else.
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def fetch_job(job_id: str) -> Job | None:
    """The job with this id, or None (also when the id could not name a job)."""
    return queue().fetch_job(job_id) if JOB_ID.fullmatch(job_id) else None


def enqueue(func, *args, **kwargs):
    """Enqueue a job; call only after the transaction that it depends on committed."""
    options = {
        "retry": RETRY,
        "job_timeout": JOB_TIMEOUT,
        "result_ttl": 24 * 3600,
        "failure_ttl": 7 * 24 * 3600,
        **kwargs,
    }
    return queue().enqueue(func, *args, **options)


def enqueue_scoring(event_ids: list[int]) -> None:
    if not event_ids:
        return
    try:
        enqueue(score_events_job, event_ids)
    except Exception:
        # The events are committed; `flask laurel score-pending` picks them up.
        log.exception("could not enqueue scoring for %d events", len(event_ids))


# A score job also takes the score jobs waiting behind it, up to this many events
# in all: a backlog is scored in fewer, larger transactions, which cost less per
# event (people active in several batches are loaded, locked and saved once).
MAX_EVENTS_PER_JOB = 5000
_PEEK = 20  # how far down the queue a job looks for more


@in_app_context
def score_events_job(event_ids: list[int]) -> dict:
    from scoring.ledger import score_events
    from scoring.standings import snapshot_week

    # Before this week's first points land, keep last week's standings for "up 3 places".
    snapshot_week()
    taken = take_waiting_score_jobs(MAX_EVENTS_PER_JOB - len(event_ids))
    result = dataclasses.asdict(score_events([*event_ids, *taken]))
    enqueue_daily_review()
    return result


def take_waiting_score_jobs(room: int) -> list[int]:
    """Event ids of score jobs still waiting in the queue, taken over by this job.

    A waiting job is claimed by removing it from the queue (LREM: of several
    workers, one wins). Its ids go into this job's meta before the claimed job
    is deleted, so when this job fails or its worker dies, RQ's retry of this
    job scores them too. Only a crash between the LREM and saving the meta
    can strand a claimed batch; the daily sweep (`score_pending_job`) finds those.
    """
    from rq import get_current_job
    from rq.job import Job

    job = get_current_job()
    if job is None:
        return []
    taken = list(job.meta.get("taken_over", []))
    if taken:  # a retry: score what the first attempt took over
        return taken
    q = queue()
    for other in Job.fetch_many(q.get_job_ids(0, _PEEK), connection=q.connection):
        if other is None or other.func_name != _SCORE_JOB:
            continue
        # A retried job brings what its own first attempt took over.
        ids = [*(other.args[0] if other.args else ()), *other.meta.get("taken_over", ())]
        if len(taken) + len(ids) > room:
            break
        if q.remove(other.id):
            taken += ids
            job.meta["taken_over"] = taken
            job.save_meta()
            other.delete()
    return taken


def enqueue_daily_review() -> None:
    """Start the day's tier review and sweep the first time anything is scored that day.

    Demotions happen without events, so the review must run daily; letting the
    first job of each local day trigger it needs no cron and no scheduler. The
    sweep scores events a lost job left behind (an enqueue that failed, a batch
    stranded by a worker that died while taking it over).
    """
    from scoring.ledger import org_boards, org_today

    key = f"{org_boards().prefix}tier-review:{org_today().isoformat()}"
    if redis_connection().set(key, "1", nx=True, ex=3 * 24 * 3600):
        enqueue(review_tiers_job)
        # Only events received a while ago: newer ones still have their jobs queued.
        enqueue(score_pending_job, received_before_seconds=SWEEP_AFTER_SECONDS)


SWEEP_AFTER_SECONDS = 600


@in_app_context
def score_pending_job(
    employee_ref: str | None = None, received_before_seconds: int | None = None
) -> dict:
    """Score events still without ledger rows (held events once the person exists).

    With `received_before_seconds`, only events received at least that long ago.
    """
    from recognition.clock import utcnow
    from scoring.ledger import score_events

    received_before = None
    if received_before_seconds is not None:
        received_before = utcnow() - dt.timedelta(seconds=received_before_seconds)
    totals = {"scored": 0, "already_scored": 0, "held": 0, "points": 0}
    for batch in pending_event_batches(employee_ref, received_before):
        result = dataclasses.asdict(score_events(batch))
        for key in totals:
            totals[key] += result[key]
    return totals


def pending_event_batches(
    employee_ref: str | None = None,
    received_before: dt.datetime | None = None,
    size: int = 1000,
):
    from scoring.ledger import unscored_event_ids
    from scoring.rulesets import live_scoring

    gen = live_scoring().generation
    last = 0
    while True:
        ids = unscored_event_ids(gen, last, size, employee_ref, received_before)
        db.session.commit()
        if not ids:
            return
        yield ids
        last = ids[-1]


@in_app_context
def resync_person_job(employee_id: int, old_team: str | None = None) -> None:
    from scoring.ledger import resync_person

    resync_person(employee_id, old_team)


@in_app_context
def build_rolling_job() -> None:
    from scoring.ledger import build_rolling_boards, org_today

    build_rolling_boards(org_today())


@in_app_context
def rescore_job(version: int) -> dict:
    """Re-score history under a ruleset; progress goes to the job's meta."""
    from rq import get_current_job

    from scoring.rescore import rescore

    job = get_current_job()

    def report(done: int, total: int) -> None:
        if job is not None:
            job.meta["progress"] = {"done": done, "total": total}
            job.save_meta()

    return rescore(version, report)


RESCORE_TIMEOUT = 6 * 3600
# A re-score still waiting or running (a retry waits in the scheduled registry).
ACTIVE_STATES = ("queued", "started", "deferred", "scheduled")


def _rescore_key() -> str:
    from scoring.ledger import org_boards

    return f"{org_boards().prefix}rescore-job"


def enqueue_rescore(version: int):
    """Queue a re-score under ruleset `version` and remember it as the current one,
    so the pages can show it (and hold back another) while it waits or runs."""
    job = enqueue(rescore_job, version, job_timeout=RESCORE_TIMEOUT)
    redis_connection().set(_rescore_key(), job.id, ex=RESCORE_TIMEOUT + 24 * 3600)
    return job


def active_rescore():
    """The re-score job still waiting or running, or None."""
    job_id = redis_connection().get(_rescore_key())
    job = queue().fetch_job(job_id.decode()) if job_id else None
    if job is None or job.get_status().value not in ACTIVE_STATES:
        return None
    return job


@in_app_context
def review_tiers_job() -> int:
    """The daily tier review (demotions need no event to happen)."""
    from scoring.ledger import org_today
    from scoring.progress import review_tiers
    from scoring.rulesets import live_scoring

    live = live_scoring()
    begin_write(db.session)
    changed = review_tiers(live.generation, live.ruleset, org_today())
    db.session.commit()
    return changed


_SCORE_JOB = f"{score_events_job.__module__}.{score_events_job.__name__}"
