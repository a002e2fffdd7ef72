"""Nothing stranded, nothing blocks: the outbox, its relay, and poison events set aside."""

from __future__ import annotations

import json
import re
import threading
from unittest import mock

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError

import scoring.ledger
import scoring.outbox
from recognition.extensions import db, redis_connection
from recognition.people import Employee
from scoring import jobs, outbox
from scoring.models import DeadLetter, EmployeeScore, Event, PendingEvent, PointAward
from scoring.progress import AchievementTracker
from scoring.rescore import rescore
from scoring.rulesets import live_scoring
from tests.conftest import BACKEND, InProcessWorker
from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"
MORNING = "2026-11-20T09:00:00+00:00"


def post(client, headers, *items):
    resp = client.post("/api/v1/events", json={"events": list(items)}, headers=headers)
    assert resp.status_code == 202, resp.json
    return resp.json


def pending() -> list[str]:
    return list(
        db.session.scalars(
            select(Event.external_id)
            .join(PendingEvent, PendingEvent.event_id == Event.id)
            .order_by(Event.id)
        )
    )


def points_of(external_id: str) -> list[int]:
    return list(
        db.session.scalars(
            select(PointAward.points)
            .join(Event, Event.id == PointAward.cause_id)
            .where(
                Event.external_id == external_id,
                PointAward.cause_type == "event",
                PointAward.generation == live_scoring().generation,
            )
        )
    )


def board(client, headers, period="all") -> dict[str, int]:
    body = client.get(f"/api/v1/leaderboard?period={period}&limit=100", headers=headers).json
    return {e["employee_id"]: e["points"] for e in body["entries"]}


def redis_down(*args, **kwargs):
    raise ConnectionError("Redis is restarting")


# --- the outbox and the relay ------------------------------------------------------------


def test_accepted_events_wait_in_the_outbox_until_scored(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(client, headers, event("E1", MORNING, id="known"), event("NOBODY", MORNING, id="held"))
    assert pending() == ["known", "held"]  # committed with the events
    work()
    assert pending() == ["held"]  # scored in the transaction that took it out
    add_person("NOBODY")
    jobs.score_pending_job("NOBODY")  # what a directory import enqueues
    assert pending() == []
    assert points_of("held") == [10]


def test_the_relay_scores_events_whose_job_was_lost(client, work, freeze_time, monkeypatch):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    monkeypatch.setattr(jobs, "enqueue", redis_down)
    post(client, headers, event("E1", MORNING, id="lost"))
    monkeypatch.undo()
    assert jobs.queue().count == 0 and pending() == ["lost"]
    # Young events are left to their own job; this one has none, so the next run takes it.
    freeze_time("2026-11-20T12:00:20+00:00")
    assert jobs.relay_job()["scored"] == 0
    freeze_time("2026-11-20T12:00:31+00:00")
    assert jobs.relay_job()["scored"] == 1
    assert pending() == [] and points_of("lost") == [10]
    assert board(client, headers) == {"E1": 10}
    assert jobs.relay_job()["scored"] == 0  # nothing left, nothing twice


def test_a_batch_stranded_by_a_dying_take_over_is_relayed(client, work, freeze_time):
    """A worker killed between claiming a waiting job and saving it in its meta."""
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(client, headers, event("E1", MORNING, "like", id="first"))
    post(client, headers, event("E1", MORNING, "like", id="claimed"))
    _, claimed = jobs.queue().get_job_ids()
    jobs.queue().remove(claimed)  # claimed, then the worker died: the job is gone
    work()
    assert points_of("first") == [1] and pending() == ["claimed"]
    freeze_time("2026-11-20T12:01:00+00:00")
    jobs.relay_job()
    assert points_of("claimed") == [1]


def test_the_relay_query_reads_only_the_outbox(app):
    """However stale the planner's statistics, the relay never scans the event log
    or the ledger: it walks the outbox by its primary key."""
    add_person("E1")
    query = outbox.pending_query(after=0, size=1000, received_before=None)
    sql = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    if BACKEND == "server":
        with db.engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))
            conn.execute(text("SET enable_bitmapscan = off"))
            plan = json.dumps(conn.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar())
        assert "pk_pending_events" in plan
        relations = {node for node in _relations(json.loads(plan))}
        assert relations == {"pending_events", "employees"}
    else:
        plan = " ".join(
            str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
        )
        assert "pending_events USING INTEGER PRIMARY KEY" in plan
        assert not re.search(r"\b(events|point_awards)\b", plan.replace("pending_events", ""))


def _relations(node) -> list[str]:
    found = []
    if isinstance(node, dict):
        if "Relation Name" in node:
            found.append(node["Relation Name"])
        for value in node.values():
            found += _relations(value)
    elif isinstance(node, list):
        for item in node:
            found += _relations(item)
    return found


def test_relays_and_jobs_at_once_count_every_event_once(app, client, freeze_time, monkeypatch):
    """Two relays and a score job over the same outbox, in parallel: unique ledger
    keys and the per-person lock make the extra runs find the events done."""
    freeze_time(NOW)
    people = [add_person(f"E{i}") for i in range(4)]
    headers = token()
    monkeypatch.setattr(jobs, "enqueue", redis_down)
    items = [
        event(p.external_id, f"2026-11-20T{8 + n % 3:02d}:{n:02d}:00+00:00", "like", id=f"x{n}-{i}")
        for i, p in enumerate(people)
        for n in range(30)
    ]
    for start in range(0, len(items), 40):
        post(client, headers, *items[start : start + 40])
    ids = list(db.session.scalars(select(PendingEvent.event_id)))
    db.session.commit()
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def run(task):
        with app.app_context():
            try:
                barrier.wait()
                task()
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(lambda: outbox.score_pending(),)),
        threading.Thread(target=run, args=(lambda: outbox.score_pending(),)),
        threading.Thread(target=run, args=(lambda: outbox.score_isolating(ids[::-1]),)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    rows = db.session.execute(
        select(PointAward.cause_id, func.count()).group_by(PointAward.cause_id)
    ).all()
    assert len(rows) == len(items) and {n for _, n in rows} == {1}
    assert pending() == []
    total = db.session.scalar(select(func.sum(PointAward.points)))
    assert sum(board(client, token("read")).values()) == total


def test_a_stranded_event_replays_in_the_place_it_was_scored(
    client, work, freeze_time, monkeypatch
):
    """Caps apply in scoring order, live and in a re-score: the stranded comment,
    older by id, was scored after the like and got what the cap left."""
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    monkeypatch.setattr(jobs, "enqueue", redis_down)
    post(client, headers, event("E1", MORNING, "comment", id="stranded", count=40))  # 120
    monkeypatch.undo()
    post(client, headers, event("E1", "2026-11-20T10:00:00+00:00", "like", id="later", count=40))
    work()
    jobs.score_pending_job()  # the relay, after the like was scored
    assert (points_of("later"), points_of("stranded")) == ([40], [60])
    rescore(1)
    assert (points_of("later"), points_of("stranded")) == ([40], [60])


# --- poison events -------------------------------------------------------------------------


def _poison_rule(monkeypatch):
    """Scoring raises for one event (a like x13 on Instagram), as a rule bug would."""
    real = scoring.ledger.score_event

    def score_event(scorable, state, rules):
        if (scorable.type, scorable.network, scorable.count) == ("like", "instagram", 13):
            raise ZeroDivisionError("a rule bug that only this event meets")
        return real(scorable, state, rules)

    monkeypatch.setattr(scoring.ledger, "score_event", score_event)
    return real


def _many_people_batch(poison_owner: str = "E3") -> list[dict]:
    items = []
    for i in range(8):
        items.append(event(f"E{i}", MORNING, id=f"share-{i}"))
        items.append(event(f"E{i}", MORNING, "comment", id=f"comment-{i}", count=2))
    items.insert(
        5, event(poison_owner, MORNING, "like", id="poison", network="instagram", count=13)
    )
    return items


def test_a_poison_event_is_set_aside_and_everyone_else_scores(
    client, work, freeze_time, monkeypatch
):
    freeze_time(NOW)
    for i in range(8):
        add_person(f"E{i}")
    headers = token("events:write", "read", "admin")
    real = _poison_rule(monkeypatch)
    post(client, headers, *_many_people_batch())
    work()  # the job does not fail
    assert db.session.scalar(select(func.count()).select_from(PointAward)) == 16
    assert board(client, headers) == {f"E{i}": 16 for i in range(8)}
    assert pending() == []
    listed = client.get("/api/v1/admin/dead-letters", headers=headers).json
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert item["event"]["id"] == "poison" and item["event"]["employee_id"] == "E3"
    assert item["error"].startswith("ZeroDivisionError: a rule bug")
    assert item["failures"] == 1
    # Set aside, it holds nobody back: the relay skips it, new events score.
    jobs.score_pending_job()
    post(client, headers, event("E3", "2026-11-20T10:00:00+00:00", "like", id="next"))
    work()
    assert points_of("next") == [1] and points_of("poison") == []
    # Retried before the fix, it fails again and comes back; after the fix it scores.
    resp = client.post(f"/api/v1/admin/dead-letters/{item['id']}/retry", headers=headers)
    assert resp.status_code == 202
    work()
    again = client.get("/api/v1/admin/dead-letters", headers=headers).json["items"]
    assert [(d["event"]["id"], d["failures"]) for d in again] == [("poison", 1)]
    monkeypatch.setattr(scoring.ledger, "score_event", real)
    client.post(f"/api/v1/admin/dead-letters/{again[0]['id']}/retry", headers=headers)
    work()
    assert points_of("poison") == [13]
    assert client.get("/api/v1/admin/dead-letters", headers=headers).json["total"] == 0
    assert board(client, headers)["E3"] == 16 + 1 + 13


def test_a_total_the_database_refuses_sets_only_that_event_aside(client, work, freeze_time):
    """A real overflow: E3's all-time total is at the edge of 64 bits, so storing
    it plus 10 points fails in the database (PostgreSQL) or the driver (SQLite)."""
    freeze_time(NOW)
    for i in range(8):
        add_person(f"E{i}")
    headers = token("events:write", "read", "admin")
    post(client, headers, event("E3", "2026-11-19T09:00:00+00:00", "like", id="warm-up"))
    work()
    e3 = db.session.scalar(select(Employee.id).where(Employee.external_id == "E3"))
    db.session.execute(
        update(EmployeeScore)
        .where(EmployeeScore.generation == live_scoring().generation)
        .where(EmployeeScore.employee_id == e3)
        .values(points=2**63 - 5)
    )
    db.session.commit()
    post(client, headers, *[event(f"E{i}", MORNING, id=f"s{i}") for i in range(8)])
    work()
    (dead,) = db.session.scalars(select(DeadLetter)).all()
    assert db.session.get(Event, dead.event_id).external_id == "s3"
    assert "range" in dead.error or "too large" in dead.error  # the refusal, word for word
    assert all(points_of(f"s{i}") == [10] for i in range(8) if i != 3)
    assert pending() == []


def test_boards_written_before_a_failure_are_written_again_from_sql(
    client, work, freeze_time, monkeypatch
):
    """The failing try had sent E3's new totals to Redis (boards go out while badges
    are stored) before it rolled back: setting the event aside rewrites them."""
    freeze_time(NOW)
    for i in range(8):
        add_person(f"E{i}")
    headers = token("events:write", "read")
    real_observe, real_save = AchievementTracker.observe, AchievementTracker.save

    def observe(self, person, fact, cause, when):
        if (fact.event_type, fact.network, fact.count) == ("like", "instagram", 13):
            self.poisoned = True
        return real_observe(self, person, fact, cause, when)

    def save(self, *args, **kwargs):
        if getattr(self, "poisoned", False):
            raise ValueError("storing this person's progress failed")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(AchievementTracker, "observe", observe)
    monkeypatch.setattr(AchievementTracker, "save", save)
    post(client, headers, *_many_people_batch())
    work()
    assert points_of("poison") == []
    assert board(client, headers) == {f"E{i}": 16 for i in range(8)}
    assert board(client, headers, "week") == {f"E{i}": 16 for i in range(8)}


def test_a_lost_database_connection_sets_nothing_aside(client, freeze_time, monkeypatch):
    """Nobody's data is to blame: the job fails (RQ retries it) and the events stay
    in the outbox for the relay; nothing becomes a dead letter."""
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(client, headers, event("E1", MORNING, id="a"), event("E1", MORNING, id="b"))

    def gone(ids, target=None):
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(scoring.outbox, "score_events", gone)
    failed = []
    InProcessWorker(
        [jobs.queue()],
        connection=redis_connection(),
        exception_handlers=[lambda job, *exc: failed.append(exc[0]) or True],
    ).work(burst=True, with_scheduler=False)
    assert failed == [OperationalError]
    assert db.session.scalar(select(func.count()).select_from(DeadLetter)) == 0
    assert pending() == ["a", "b"]


@pytest.mark.parametrize(
    ("error", "blamed"),
    [
        (ZeroDivisionError("rule"), True),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), True),
        (OperationalError("x", {}, Exception("deadlock detected")), False),
        (ConnectionError("redis"), False),
        (scoring.ledger.GenerationSwitched(1), False),
    ],
)
def test_only_errors_in_the_data_are_bisected(error, blamed):
    assert outbox.blames_the_data(error) is blamed


def test_admins_see_and_retry_set_aside_events_on_a_page(client, work, freeze_time, monkeypatch):
    freeze_time(NOW)
    admin = add_person("A1", role="admin")
    for i in range(8):
        add_person(f"E{i}")
    real = _poison_rule(monkeypatch)
    post(client, token(), *_many_people_batch())
    work()
    csrf = sign_in(client, admin)
    page = client.get("/admin/dead-letters")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 event set aside" in html and "poison" in html and "ZeroDivisionError" in html
    assert "0 events waiting to be scored" in html
    dead_id = db.session.scalar(select(DeadLetter.id))
    monkeypatch.setattr(scoring.ledger, "score_event", real)
    resp = client.post(f"/admin/dead-letters/{dead_id}/retry", data={"csrf_token": csrf})
    assert resp.status_code == 303
    assert pending() == ["poison"]
    work()
    html = client.get("/admin/dead-letters").get_data(as_text=True)
    assert "Nothing is set aside" in html
    assert points_of("poison") == [13]


def test_dead_letters_are_for_admins_only(client, app):
    reader = token("read")
    assert client.get("/api/v1/admin/dead-letters", headers=reader).status_code == 403
    admin = token("admin")
    resp = client.post("/api/v1/admin/dead-letters/999/retry", headers=admin)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    employee = add_person("E1")
    sign_in(client, employee)
    assert client.get("/admin/dead-letters").status_code == 403


def test_retry_enqueue_lost_still_reaches_the_outbox(client, work, freeze_time, monkeypatch):
    """Retrying while Redis is down: the event is back in the outbox all the same."""
    freeze_time(NOW)
    for i in range(8):
        add_person(f"E{i}")
    headers = token("events:write", "read", "admin")
    real = _poison_rule(monkeypatch)
    post(client, headers, *_many_people_batch())
    work()
    monkeypatch.setattr(scoring.ledger, "score_event", real)
    dead_id = db.session.scalar(select(DeadLetter.id))
    with mock.patch.object(jobs, "enqueue", redis_down):
        resp = client.post(f"/api/v1/admin/dead-letters/{dead_id}/retry", headers=headers)
    assert resp.status_code == 202 and pending() == ["poison"]
    jobs.score_pending_job()
    assert points_of("poison") == [13]
