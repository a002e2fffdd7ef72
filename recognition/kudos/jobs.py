"""The nightly fairness review, run by the one scheduler (`flask laurel scheduler`)."""

from __future__ import annotations

from recognition.extensions import redis_connection
from scoring.jobs import DAILY_CHECK_INTERVAL, in_app_context, register_periodic
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
    register_periodic(scheduler, fairness_job, DAILY_CHECK_INTERVAL)
