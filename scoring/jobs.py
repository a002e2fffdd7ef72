"""RQ jobs. Module-level, take ids, safe to run twice; enqueued after commit.

Periodic jobs (the outbox relay, the daily tier review) run from one RQ
CronScheduler (`flask laurel scheduler`); retries of failed jobs need a
worker that runs RQ's scheduler too (`with_scheduler`).

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
import time

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
            try:
                return func(*args, **kwargs)
            except BaseException:
                # A job that fails half-way must not leave its transaction open:
                # on SQLite it would hold the write lock, on PostgreSQL row and
                # table locks, until this worker's next job.
                db.session.rollback()
                raise
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
    """The fast path to the boards; when it fails, the relay scores the events."""
    if not event_ids:
        return
    try:
        enqueue(score_events_job, event_ids)
    except Exception:
        # The events are committed in the outbox; the relay picks them up.
        log.exception("could not enqueue scoring for %d events", len(event_ids))


# A score job also takes the score jobs waiting behind it, up to this many events
# in all: a backlog is scored in fewer, larger transactions, which cost less per
# event (people active in several batches are loaded, locked and saved once).
MAX_EVENTS_PER_JOB = 5000
_PEEK = 20  # how far down the queue a job looks for more


@in_app_context
def score_events_job(event_ids: list[int]) -> dict:
    from scoring.ledger import ensure_boards
    from scoring.outbox import score_isolating
    from scoring.standings import snapshot_week

    # Boards first if Redis lost them, so this week's snapshot is not taken of
    # half-empty boards; before this week's first points land, keep last week's
    # standings for "up 3 places".
    ensure_boards()
    snapshot_week()
    taken = take_waiting_score_jobs(MAX_EVENTS_PER_JOB - len(event_ids))
    return dataclasses.asdict(score_isolating([*event_ids, *taken]))


def take_waiting_score_jobs(room: int) -> list[int]:
    """Event ids of score jobs still waiting in the queue, taken over by this job.

    A waiting job is claimed by removing it from the queue (LREM: of several
    workers, one wins). Its ids go into this job's meta before the claimed job
    is deleted, so when this job fails or its worker dies, RQ's retry of this
    job scores them too. Only a crash between the LREM and saving the meta
    can strand a claimed batch; the events are still in the outbox, and the
    relay scores them.
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


@in_app_context
def relay_job() -> dict:
    """Score every committed event still in the outbox (run by the scheduler).

    Events younger than LAUREL_RELAY_AFTER seconds are left to the score job
    enqueued for them (the fast path); the scheduler runs this every
    LAUREL_RELAY_INTERVAL seconds, so an event whose job was lost is scored
    within about the sum of the two.
    """
    from recognition.clock import utcnow
    from scoring.outbox import relay

    after = dt.timedelta(seconds=current_app.config["LAUREL_RELAY_AFTER"])
    return dataclasses.asdict(relay(received_before=utcnow() - after))


@in_app_context
def score_pending_job(employee_ref: str | None = None) -> dict:
    """Score everything in the outbox now, or one person's (held events, once
    the person is in the directory)."""
    from scoring.outbox import score_pending

    return dataclasses.asdict(score_pending(employee_ref))


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
    """The tier review for today (demotions need no event to happen)."""
    from scoring.ledger import org_today
    from scoring.progress import review_tiers
    from scoring.rulesets import live_scoring

    live = live_scoring()
    begin_write(db.session)
    changed = review_tiers(live.generation, live.ruleset, org_today())
    db.session.commit()
    return changed


DAILY_CHECK_INTERVAL = 3600


@in_app_context
def daily_job() -> dict | None:
    """Once per local day (the scheduler asks hourly): today's rolling boards
    and the tier review. None when today's run is already done."""
    from scoring.ledger import build_rolling_boards, org_boards, org_today

    today = org_today()
    done = f"{org_boards().prefix}daily:{today.isoformat()}"
    r = redis_connection()
    if r.exists(done):
        return None
    build_rolling_boards(today)
    changed = review_tiers_job()
    # Marked only once it worked; the review is idempotent within a day, so a
    # second run (two schedulers, a lost marker) changes nothing.
    r.set(done, "1", ex=3 * 24 * 3600)
    return {"day": today.isoformat(), "tier_changes": changed}


def run_scheduler(scheduler, retry_after: float = 5.0) -> None:
    """Run an RQ CronScheduler until it is told to stop, riding out Redis outages
    (RQ's loop ends at the first connection error)."""
    from redis.exceptions import RedisError
    from rq.exceptions import StopRequested

    while True:
        try:
            scheduler.start()
            return
        except RedisError as exc:
            log.warning("scheduler lost Redis (%s); trying again in %.0f s", exc, retry_after)
        try:
            time.sleep(retry_after)
        except (StopRequested, KeyboardInterrupt):
            return


def register_periodic(scheduler, job, interval: int, ttl: int | None = None) -> None:
    """Put `job` on the one RQ CronScheduler (`flask laurel scheduler`) every
    `interval` seconds. A run still queued when the next is due is dropped
    (`ttl`, the interval by default), so runs do not pile up while the workers
    are away; results are kept an hour, failures a week."""
    scheduler.register(
        job,
        current_app.config["LAUREL_QUEUE"],
        interval=interval,
        job_timeout=JOB_TIMEOUT,
        ttl=ttl or interval,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


def register_periodic_jobs(scheduler) -> None:
    """The engine's periodic jobs: the pending-events relay and the daily review."""
    interval = current_app.config["LAUREL_RELAY_INTERVAL"]
    register_periodic(scheduler, relay_job, interval, ttl=max(60, 2 * interval))
    register_periodic(scheduler, daily_job, DAILY_CHECK_INTERVAL)


_SCORE_JOB = f"{score_events_job.__module__}.{score_events_job.__name__}"
