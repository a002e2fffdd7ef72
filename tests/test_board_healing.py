"""Boards heal themselves after Redis loses its data; with Redis down, nothing crashes."""

from __future__ import annotations

import threading

from sqlalchemy import select

from recognition.extensions import connect_redis, db, redis_connection
from recognition.people import Employee
from scoring import jobs
from scoring.ledger import ensure_boards, org_boards, rebuild_boards
from scoring.models import PendingEvent
from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"
VIEWS = [
    {"period": period, **team}
    for period in ("week", "month", "30d", "all")
    for team in ({}, {"team": "sales"})
]


def _scored_org(client, work, freeze_time) -> dict:
    freeze_time(NOW)
    for i in range(5):
        add_person(f"E{i}", team="sales" if i % 2 else "ops")
    headers = token()
    items = [
        event(f"E{i}", f"2026-11-{10 + 2 * i}T09:00:00+00:00", "comment", count=i + 1)
        for i in range(5)
    ]
    client.post("/api/v1/events", json={"events": items}, headers=headers)
    work()
    return headers


def _boards(client, headers) -> list[list[tuple[str, int]]]:
    out = []
    for view in VIEWS:
        query = "&".join(f"{k}={v}" for k, v in {"limit": 100, **view}.items())
        body = client.get(f"/api/v1/leaderboard?{query}", headers=headers).json
        out.append([(e["employee_id"], e["points"]) for e in body["entries"]])
    return out


def test_a_read_after_redis_lost_everything_rebuilds_the_boards(client, work, freeze_time):
    headers = _scored_org(client, work, freeze_time)
    before = _boards(client, headers)
    assert len(before[VIEWS.index({"period": "all"})]) == 5
    redis_connection().flushdb()  # a restart without persistence
    assert _boards(client, headers) == before
    assert redis_connection().exists(org_boards().built)


def test_the_relay_rebuilds_lost_boards_with_nobody_reading(client, work, freeze_time):
    headers = _scored_org(client, work, freeze_time)
    r = redis_connection()
    everything = org_boards().key_all()
    assert r.zcard(everything) == 5
    r.flushdb()
    jobs.relay_job()
    assert r.zcard(everything) == 5 and r.exists(org_boards().built)
    assert _boards(client, headers)[VIEWS.index({"period": "all"})][0] == ("E4", 15)


def test_readers_wait_for_a_rebuild_someone_else_is_running(app, client, work, freeze_time):
    headers = _scored_org(client, work, freeze_time)
    r = redis_connection()
    r.flushdb()
    boards = org_boards()
    r.set(boards.rebuild_lock, "another process")

    def other_process_rebuilds():
        with app.app_context():
            try:
                rebuild_boards()
            finally:
                r.delete(boards.rebuild_lock)
                db.session.remove()

    rebuilding = threading.Timer(0.2, other_process_rebuilds)
    rebuilding.start()
    assert ensure_boards(wait=10) is False  # waited, did not rebuild itself
    rebuilding.join()
    assert r.exists(boards.built)
    assert len(_boards(client, headers)[VIEWS.index({"period": "all"})]) == 5


def _redis_goes_down(app, tmp_path):
    """Point the app at a Redis that is not there (connection refused)."""
    live = app.extensions["laurel_redis"]
    app.extensions["laurel_redis"] = connect_redis(f"unix://{tmp_path}/gone.sock", str(tmp_path))
    app.extensions.pop("laurel_board_reader", None)
    return live


def test_with_redis_down_reads_answer_503_and_events_are_still_accepted(
    app, client, work, freeze_time, tmp_path
):
    headers = _scored_org(client, work, freeze_time)
    person = db.session.scalar(select(Employee).where(Employee.external_id == "E1"))
    live = _redis_goes_down(app, tmp_path)
    for path in ("/api/v1/leaderboard", "/api/v1/employees/E1"):
        resp = client.get(path, headers=headers)
        assert resp.status_code == 503, path
        assert resp.mimetype == "application/problem+json"
        assert resp.json["status"] == 503 and resp.headers["Retry-After"] == "10"
    accepted = client.post(
        "/api/v1/events",
        json={"events": [event("E1", "2026-11-20T11:00:00+00:00", id="while-down")]},
        headers=headers,
    )
    assert accepted.status_code == 202 and accepted.json["accepted"] == 1
    sign_in(client, person)
    page = client.get("/leaderboard")
    assert page.status_code == 503 and page.headers["Retry-After"] == "10"
    assert "Back in a moment" in page.get_data(as_text=True)

    app.extensions["laurel_redis"] = live  # Redis is back
    app.extensions.pop("laurel_board_reader", None)
    assert db.session.scalar(select(PendingEvent.event_id)) is not None
    freeze_time("2026-11-20T12:01:00+00:00")
    jobs.relay_job()
    body = client.get("/api/v1/leaderboard?period=all", headers=headers).json
    assert {e["employee_id"]: e["points"] for e in body["entries"]}["E1"] == 6 + 10
