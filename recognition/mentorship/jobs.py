"""Mentorship jobs: a matching run, and the scheduled runs (from the one scheduler)."""

from __future__ import annotations

from recognition.mentorship import service
from scoring.jobs import enqueue, in_app_context, register_periodic

# How often the scheduler asks whether a scheduled run is due (the schedule
# itself, daily or weekly, is an organisation setting).
SCHEDULE_CHECK_INTERVAL = 3600


@in_app_context
def matching_run_job(run_id: int) -> dict:
    """Match the organisation for run `run_id` and store its draft."""
    try:
        return service.execute_run(run_id)
    except Exception as exc:
        service.fail_run(run_id, f"{type(exc).__name__}: {exc}")
        raise


@in_app_context
def scheduled_matching_job() -> dict | None:
    """Start and execute a scheduled run when one is due (see the `schedule` setting)."""
    mode = service.scheduled_run_due()
    if mode is None:
        return None
    run = service.start_run(mode, None, scheduled=True)
    return matching_run_job(run.id)


def enqueue_run(run_id: int):
    """Queue the run's job (after the run's row committed) and remember its id."""
    # No automatic retry: a failed run is marked failed and the admin runs again.
    job = enqueue(matching_run_job, run_id, retry=None)
    service.set_run_job(run_id, job.id)
    return job


def register_mentorship_jobs(scheduler) -> None:
    """Add the scheduled-run check to the one scheduler (`flask laurel scheduler`)."""
    register_periodic(scheduler, scheduled_matching_job, SCHEDULE_CHECK_INTERVAL)
