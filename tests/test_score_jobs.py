"""Score jobs take over the score jobs waiting behind them, without losing any."""

from __future__ import annotations

from rq.job import Job
from rq.registry import FinishedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from recognition.extensions import db, redis_connection
from scoring import jobs
from scoring.models import PointAward
from tests.conftest import InProcessWorker
from tests.helpers import add_person, event, token

NOW = "2026-11-20T12:00:00+00:00"


def _queue_batches(client, freeze_time, batches: int, size: int):
    """Post `batches` batches of likes for one person; each leaves a score job queued."""
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    for batch in range(batches):
        items = [
            event("E1", f"2026-11-20T{9 + i % 3:02d}:{i:02d}:00+00:00", "like", id=f"b{batch}-{i}")
            for i in range(size)
        ]
        resp = client.post("/api/v1/events", json={"events": items}, headers=headers)
        assert resp.status_code == 202, resp.json
    return jobs.queue()


def _finished_score_jobs() -> list[str]:
    ids = FinishedJobRegistry(jobs.queue().name, connection=redis_connection()).get_job_ids()
    done = Job.fetch_many(ids, connection=redis_connection())
    return [job.id for job in done if job.func_name == "scoring.jobs.score_events_job"]


def _ledger_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(PointAward))


def test_a_score_job_takes_over_the_jobs_waiting_behind_it(client, work, freeze_time):
    q = _queue_batches(client, freeze_time, batches=3, size=4)
    waiting = q.get_job_ids()
    assert len(waiting) == 3
    work()
    assert _ledger_rows() == 12
    assert _finished_score_jobs() == [waiting[0]]  # one job scored all three batches
    first = Job.fetch(waiting[0], connection=redis_connection())
    assert len(first.meta["taken_over"]) == 8
    assert first.return_value()["scored"] == 12
    # The jobs taken over are gone, not left queued or orphaned.
    assert q.count == 0
    assert Job.fetch_many(waiting[1:], connection=redis_connection()) == [None, None]


def test_take_over_stops_at_the_size_limit(client, work, freeze_time, monkeypatch):
    monkeypatch.setattr(jobs, "MAX_EVENTS_PER_JOB", 8)
    _queue_batches(client, freeze_time, batches=3, size=4)
    work()
    assert _ledger_rows() == 12
    # 4 + 4 events in the first job, the last batch in a job of its own.
    assert len(_finished_score_jobs()) == 2


def test_a_failed_job_scores_what_it_took_over_when_retried(client, work, freeze_time, monkeypatch):
    q = _queue_batches(client, freeze_time, batches=2, size=3)
    first_id, second_id = q.get_job_ids()

    import scoring.outbox

    real = scoring.outbox.score_events

    def broken(ids, target=None):
        # A lost connection is nobody's data: the job fails and RQ retries it.
        raise OperationalError("SELECT 1", {}, ConnectionError("database went away"))

    monkeypatch.setattr(scoring.outbox, "score_events", broken)
    failed = []
    worker = InProcessWorker(
        [q],
        connection=redis_connection(),
        exception_handlers=[lambda job, *exc: failed.append(job.id) or True],
    )
    worker.work(burst=True, with_scheduler=False)
    assert failed == [first_id]
    assert _ledger_rows() == 0
    # The second batch now lives only in the first job's meta.
    assert Job.fetch_many([second_id], connection=redis_connection()) == [None]
    first = Job.fetch(first_id, connection=redis_connection())
    assert len(first.meta["taken_over"]) == 3

    monkeypatch.setattr(scoring.outbox, "score_events", real)
    q.enqueue_job(first)  # what RQ's retry does once the interval has passed
    work()
    assert _ledger_rows() == 6
