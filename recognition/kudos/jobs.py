"""The nightly fairness review, run by the one scheduler (`flask laurel scheduler`)."""

from __future__ import annotations

from flask import current_app

from recognition.extensions import redis_connection
from scoring.jobs import DAILY_CHECK_INTERVAL, JOB_TIMEOUT, in_app_context
from scoring.ledger import org_boards, org_today


@in_app_context
def fairness_job() -> dict | None:
    """Once per local day (the scheduler asks hourly): flag unfair giving and tell
    the admins about new flags. None when today's review is already done."""
    from recognition.kudos.fairness import review

    today = org_today()
    done = f"{org_boards().prefix}kudos-review:{today.isoformat()}"
    r = redis_connection()
    if r.exists(done):
        return None
    result = review()
    r.set(done, "1", ex=3 * 24 * 3600)
    return {"day": today.isoformat(), **result}


def register_kudos_jobs(scheduler) -> None:
    scheduler.register(
        fairness_job,
        current_app.config["LAUREL_QUEUE"],
        interval=DAILY_CHECK_INTERVAL,
        job_timeout=JOB_TIMEOUT,
        ttl=DAILY_CHECK_INTERVAL,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )
