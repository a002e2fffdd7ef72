"""Chaos: faults while events flow, then proof that nothing was lost, doubled or stranded.

Real processes: two `flask laurel worker` processes and the `flask laurel
scheduler` (relay every 2 s), against the test database and a private
redis-server of this test's own. Events (with re-sends, some for a person who
joins midway, some for nobody, some that arrived too late to earn) go in
through the API while a worker is killed mid-job (SIGKILL), Redis is flushed,
and Redis is shut down and started again. When the system has healed, the
test checks that every accepted event is scored exactly once, that the
ledger equals an independent scoring under the default rules, that the
boards equal a rebuild, and that a re-score under the live ruleset gives the
live ledger. Bounded: it fails rather than wait more than HEAL_TIMEOUT.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import redis
from rq import Worker
from sqlalchemy import func, select

from recognition.extensions import connect_redis, db
from recognition.people import Employee
from scoring import jobs
from scoring.ledger import org_boards, rebuild_derived
from scoring.models import DailyTotal, DeadLetter, Event, PendingEvent, PointAward
from scoring.rescore import rescore
from scoring.rulesets import live_scoring
from tests.helpers import PrivateRedis, add_person, token

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
HEAL_TIMEOUT = 90  # seconds from the last fault until everything must be scored
PEOPLE = [f"P{i:02d}" for i in range(12)]
LATECOMER, GHOST = "LATE", "GHOST"

# The default ruleset, written down again on its own (not read from Laurel).
POINTS = {"share": 10, "reshare": 4, "comment": 3, "like": 1, "click": 1}
SHARES_PER_DAY, ENGAGEMENT_POINTS_PER_DAY, WINDOW_DAYS = 5, 100, 30


class Processes:
    """A private redis-server and Laurel's worker and scheduler processes."""

    def __init__(self, tmp: Path, database_url: str):
        self.tmp = tmp
        self.redis = PrivateRedis(tmp)
        self.redis_url = self.redis.url
        self.children: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": "chaos-test",
            "LAUREL_ORG": "test",
            "LAUREL_QUEUE": "laurel-test",
            "LAUREL_INSTANCE_PATH": str(tmp),
            "LAUREL_RELAY_INTERVAL": "2",
            "LAUREL_RELAY_AFTER": "2",
            "PYTHONUNBUFFERED": "1",
        }

    def start_redis(self) -> None:
        self.redis.start()

    def stop_redis(self) -> None:
        self.redis.stop()

    def start(self, name: str, *command: str) -> None:
        log = open(self.tmp / f"{name}.log", "a")  # noqa: SIM115
        self.children[name] = subprocess.Popen(
            [FLASK, "--app", "app", "laurel", *command],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop_children(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in self.children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(5)

    def stop_all(self) -> None:
        self.stop_children()
        self.redis.stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in self.tmp.glob("*.log")
        )


def _events(rng: random.Random, now: dt.datetime) -> list[dict]:
    """Shares and engagements over the last three weeks (so the daily caps bite),
    a few from long ago that arrive too late to earn, some for the latecomer and
    some for nobody."""
    items = []
    for n in range(1500):
        who = rng.choice([*PEOPLE, *PEOPLE, LATECOMER, GHOST])
        kind = rng.choices(list(POINTS), weights=[35, 10, 15, 25, 15])[0]
        if rng.random() < 0.04:
            when = now - dt.timedelta(days=rng.uniform(45, 200))  # far too late
        else:
            when = now - dt.timedelta(days=rng.uniform(0, 20))
        items.append(
            {
                "id": f"c{n}",
                "type": kind,
                "employee_id": who,
                "network": rng.choice(["linkedin", "x", "facebook"]),
                "occurred_at": when.isoformat(),
                "count": 1 if kind == "share" else rng.randint(1, 30),
            }
        )
    return items


def _reference(items: list[dict], order: dict[str, int], received: dict[str, dt.datetime]):
    """Points per event under the default rules, applied in Laurel's scoring order
    (`order`: external id -> position); and per (person, day), which any order gives."""
    by_person = defaultdict(list)
    for item in items:
        by_person[item["employee_id"]].append(item)
    points: dict[str, int] = {}
    per_day: dict[tuple[str, dt.date], int] = defaultdict(int)
    for person, own in by_person.items():
        used: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])  # shares, engagement
        for item in sorted(own, key=lambda i: order[i["id"]]):
            occurred = dt.datetime.fromisoformat(item["occurred_at"])
            day = occurred.astimezone(dt.UTC).date()
            if received[item["id"]] - occurred > dt.timedelta(days=WINDOW_DAYS):
                points[item["id"]] = 0
                continue
            full = POINTS[item["type"]] * item["count"]
            if item["type"] == "share":
                earned = full if used[day][0] < SHARES_PER_DAY else 0
                used[day][0] += 1 if earned else 0
            else:
                earned = min(full, ENGAGEMENT_POINTS_PER_DAY - used[day][1])
                used[day][1] += earned
            points[item["id"]] = earned
            per_day[(person, day)] += earned
    # The same per-day totals without any order: caps are per day, shares and
    # engagement apart.
    free: dict[tuple[str, dt.date], int] = defaultdict(int)
    groups: dict[tuple[str, dt.date], list[dict]] = defaultdict(list)
    for item in items:
        occurred = dt.datetime.fromisoformat(item["occurred_at"])
        if received[item["id"]] - occurred <= dt.timedelta(days=WINDOW_DAYS):
            groups[(item["employee_id"], occurred.astimezone(dt.UTC).date())].append(item)
    for key, own in groups.items():
        shares = sum(1 for i in own if i["type"] == "share")
        engagement = sum(POINTS[i["type"]] * i["count"] for i in own if i["type"] != "share")
        free[key] = 10 * min(shares, SHARES_PER_DAY) + min(engagement, ENGAGEMENT_POINTS_PER_DAY)
    return points, dict(per_day), {k: v for k, v in free.items() if v or k in per_day}


def _boards(r: redis.Redis) -> dict[str, list]:
    prefix = org_boards().prefix
    return {
        key.decode(): r.zrange(key, 0, -1, withscores=True)
        for key in sorted(r.scan_iter(match=f"{prefix}b:*", count=1000))
    }


def test_faults_lose_nothing_double_nothing_and_heal(app, tmp_path):
    rng = random.Random(20261120)
    now = dt.datetime.now(dt.UTC)
    chaos = Processes(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    chaos.start_redis()
    app.extensions["laurel_redis"] = connect_redis(chaos.redis_url, str(tmp_path))
    app.extensions.pop("laurel_board_reader", None)
    r = app.extensions["laurel_redis"]
    for person in PEOPLE:
        add_person(person, team=f"t{int(person[1:]) % 3}")
    client = app.test_client()
    headers = token("events:write", "directory:write", "read")
    items = _events(rng, now)
    deliveries = items + rng.sample(items, 300)  # re-sends
    rng.shuffle(deliveries)
    batches = [deliveries[i : i + 60] for i in range(0, len(deliveries), 60)]
    accepted: set[str] = set()

    def post(batch):
        resp = client.post("/api/v1/events", json={"events": batch}, headers=headers)
        assert resp.status_code == 202, resp.get_data(as_text=True)
        for item, result in zip(batch, resp.json["results"], strict=True):
            if result["status"] in ("accepted", "held"):
                accepted.add(item["id"])
            assert result["status"] != "rejected", result

    try:
        chaos.start("scheduler", "scheduler")
        chaos.start("victim", "worker")
        chaos.start("worker", "worker")
        deadline = time.monotonic() + 30
        while len(Worker.all(connection=r)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        # 1. A worker killed in the middle of a job (its take-overs die with it).
        victim = chaos.children["victim"].pid
        killed = None
        sent = 0
        while killed is None and time.monotonic() < deadline:
            if jobs.queue().count == 0 and sent < 20:
                post(batches[sent])  # keep the workers busy until the victim is caught
                sent += 1
            for worker in Worker.all(connection=r):
                if worker.pid == victim and (killed := worker.get_current_job_id()):
                    os.killpg(victim, signal.SIGKILL)
                    break
            time.sleep(0.001)
        assert killed, f"the victim worker never ran a job to be killed in\n{chaos.logs()}"
        batches = batches[sent:]
        # 2. Redis loses its data: queued jobs and every board.
        for batch in batches[:8]:
            post(batch)
        r.flushdb()
        # 3. Redis goes away; events are still accepted meanwhile.
        chaos.stop_redis()
        for batch in batches[8:12]:
            post(batch)
        chaos.start_redis()
        # 4. Someone joins whose events were held; the rest arrive.
        resp = client.put(
            f"/api/v1/employees/{LATECOMER}",
            json={"email": "late@example.com", "name": "Late Comer", "team": "t0"},
            headers=headers,
        )
        assert resp.status_code == 201
        for batch in batches[12:]:
            post(batch)
        last_fault = time.monotonic()

        healed_after = None
        while time.monotonic() - last_fault < HEAL_TIMEOUT:
            db.session.commit()
            waiting = db.session.scalar(
                select(func.count())
                .select_from(PendingEvent)
                .where(PendingEvent.employee_ref != GHOST)
            )
            if not waiting and r.exists(org_boards().built) and jobs.queue().count == 0:
                healed_after = time.monotonic() - last_fault
                break
            time.sleep(0.25)
        assert healed_after is not None, f"not healed in {HEAL_TIMEOUT} s\n{chaos.logs()}"
        chaos.stop_children()  # a warm shutdown: jobs in flight finish first
        _check_everything(r, items, accepted)
    finally:
        chaos.stop_all()
    print(f"\nchaos: killed job {killed}; healed {healed_after:.1f} s after the last fault")


def _check_everything(r: redis.Redis, items: list[dict], accepted: set[str]) -> None:
    """Every accepted event scored once, as the rules say; boards and replay agree."""
    db.session.commit()
    gen = live_scoring().generation
    ids = dict(db.session.execute(select(Event.external_id, Event.id)).all())
    assert set(ids) == accepted  # every accepted event is stored, once
    rows = db.session.execute(
        select(Event.external_id, PointAward.points, PointAward.id)
        .join(Event, Event.id == PointAward.cause_id)
        .where(PointAward.generation == gen, PointAward.cause_type == "event")
    ).all()
    scored = defaultdict(list)
    for external_id, points, row_id in rows:
        scored[external_id].append((points, row_id))
    by_id = {item["id"]: item for item in items}
    known = {i for i in accepted if by_id[i]["employee_id"] != GHOST}
    assert set(scored) == known, "lost" if known - set(scored) else "scored for nobody"
    assert [i for i, found in scored.items() if len(found) != 1] == []  # nothing twice
    assert db.session.scalar(select(func.count()).select_from(DeadLetter)) == 0
    ghosts = {i for i in accepted if by_id[i]["employee_id"] == GHOST}
    held = set(
        db.session.scalars(
            select(Event.external_id).join(PendingEvent, PendingEvent.event_id == Event.id)
        )
    )
    assert held == ghosts  # held for nobody, still waiting, never lost

    # The ledger equals an independent scoring under the default rules.
    received = dict(db.session.execute(select(Event.external_id, Event.received_at)).all())
    order = {i: found[0][1] for i, found in scored.items()}
    points, per_day, order_free = _reference([by_id[i] for i in known], order, received)
    assert {i: found[0][0] for i, found in scored.items()} == points
    assert per_day == order_free
    stored_days = {
        (ref, day): int(total)
        for ref, day, total in db.session.execute(
            select(Employee.external_id, DailyTotal.local_day, DailyTotal.points)
            .join(Employee, Employee.id == DailyTotal.employee_id)
            .where(DailyTotal.generation == gen)
        )
    }
    assert {k: v for k, v in stored_days.items() if v or k in per_day} == per_day

    # The boards equal a rebuild from the ledger.
    live_boards = _boards(r)
    assert live_boards
    rebuild_derived()
    assert _boards(r) == live_boards

    # A re-score under the live ruleset gives the live ledger.
    version = live_scoring().ruleset.version
    replayed = rescore(version)["generation"]

    def ledger(generation):
        return sorted(
            db.session.execute(
                select(
                    PointAward.cause_id, PointAward.rule, PointAward.points, PointAward.capped
                ).where(PointAward.generation == generation)
            ).all()
        )

    assert ledger(replayed) == ledger(gen)
