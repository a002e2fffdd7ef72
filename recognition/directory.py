"""What follows a directory change: held events score, boards follow the person."""

from __future__ import annotations

from recognition.people import UpsertResult
from scoring.jobs import enqueue, resync_person_job, score_pending_job


def after_directory_change(results: list[UpsertResult]) -> None:
    """Enqueue the follow-up jobs for committed upserts."""
    for result in results:
        person = result.employee
        if result.created:
            # Events that arrived before this person existed were held; score them now.
            enqueue(score_pending_job, person.external_id)
        elif result.board_changed:
            enqueue(resync_person_job, person.id, result.previous_team)
