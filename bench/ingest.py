"""Ingest benchmark: synthetic events through the real app, PostgreSQL + Redis, one worker.

Setup (every run): drop and recreate the `public` schema of DATABASE_URL, run the
migrations (`flask --app app db upgrade`), flush the Redis db of REDIS_URL, COPY
the people and teams in, create an API token. Then serve the app with gunicorn,
start one `flask --app app laurel worker`, and POST the events in batches from
this process over keep-alive http.client connections.

Figures (stdout, `name: value unit`; medians when --runs > 1):
  acceptance       events / (first POST sent .. last 202 received)
  scoring          events / (first job started .. last job ended), from RQ's registry
  scoring busy     events / (sum of job durations): the worker's own speed
  end to end       events / (first POST .. every event has its ledger row, the queue
                   is empty and the boards are written); the org all-time board's
                   total is checked against SUM(point_awards.points)
  copy events      the same event rows COPYed into an UNLOGGED table shaped like
                   `events` (LIKE events INCLUDING ALL: same indexes)
  copy events + ledger   the event rows and their ledger rows, each into such a table
  POST latency     median and p95 per batch

The database is wiped: the script refuses a database whose name lacks "bench"
unless --allow-any-database is given.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/ingest.py
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import http.client
import itertools
import json
import os
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from common import (
    BIN,
    EVENT_MIX,
    NETWORK_MIX,
    ROOT,
    Env,
    create_people,
    event_count,
    fail,
    note,
    reset_stores,
    run_flask,
)

EVENT_COLUMNS = (
    "id, source, external_id, type, employee_ref, network, occurred_at, content_id, "
    "count, payload_hash, received_at"
)
LEDGER_COLUMNS = (
    "id, generation, employee_id, cause_type, cause_id, rule, network, quantity, points, "
    "base_points, capped, "
    "ruleset_version, reason, local_day, occurred_at, created_at"
)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=200_000, help="events to post (200000)")
    p.add_argument("--people", type=int, default=10_000, help="people in the directory (10000)")
    p.add_argument("--teams", type=int, default=50, help="teams (50)")
    p.add_argument("--batch", type=int, default=1000, help="events per POST (1000, the max)")
    p.add_argument("--clients", type=int, default=1, help="client threads posting (1)")
    p.add_argument("--web-workers", type=int, default=2, help="gunicorn -w (2)")
    p.add_argument("--runs", type=int, default=1, help="full runs; figures are medians (1)")
    p.add_argument("--copy-repeats", type=int, default=3, help="COPY timings per run (3)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds to wait for scoring")
    p.add_argument(
        "--analyze-every",
        type=float,
        default=0,
        metavar="SECONDS",
        help="ANALYZE the scoring tables every SECONDS during the run, as autovacuum\n"
        "would (it is off on some servers); 0 = never (default)",
    )
    p.add_argument(
        "--vacuum",
        action="store_true",
        help="with --analyze-every: VACUUM (ANALYZE) instead, which is what autovacuum\n"
        "does to tables with many updated rows (scores, daily totals, progress)",
    )
    p.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy record the gunicorn workers and the RQ worker into DIR "
        "(raw collapsed stacks, with idle samples) and print their hot spots",
    )
    p.add_argument(
        "--allow-any-database",
        action="store_true",
        help="wipe DATABASE_URL even if its name lacks 'bench'",
    )
    args = p.parse_args()
    if not 1 <= args.batch <= 1000:
        p.error("--batch must be 1..1000 (MAX_EVENTS_PER_REQUEST)")
    if args.events < 1 or args.people < 1 or args.teams < 1 or args.clients < 1:
        p.error("--events, --people, --teams and --clients must be positive")
    return args


# --------------------------------------------------------------------------- environment


# --------------------------------------------------------------------------- subprocesses


class Children:
    """Subprocesses this benchmark started, each in its own session (process group)."""

    def __init__(self, env: Env, log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115  (closed by the child's exit)
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env.child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = [(n, p) for n, p in self.procs if p is not proc]

    def stop_all(self) -> None:
        for name, proc in reversed(list(self.procs)):
            # gunicorn: INT is its quick shutdown; the RQ worker: TERM is a warm shutdown.
            self.stop(proc, signal.SIGINT if name == "gunicorn" else signal.SIGTERM)


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- setup


def make_batches(
    refs: list[str], events: int, batch: int, rng: random.Random
) -> tuple[list[bytes], Counter]:
    """Pre-encoded request bodies: a realistic mix, skewed activity, last 30 days."""
    now = dt.datetime.now(dt.UTC)
    span = 30 * 86400 - 900  # the last 30 days, never in the future
    # A few people do most of the sharing: weight ~ 1 / rank^0.9.
    cum = list(itertools.accumulate(1 / (k**0.9) for k in range(1, len(refs) + 1)))
    order = refs[:]
    rng.shuffle(order)
    types, type_w = zip(*EVENT_MIX.items(), strict=True)
    nets, net_w = zip(*NETWORK_MIX.items(), strict=True)
    kinds: Counter = Counter()
    bodies = []
    for start in range(0, events, batch):
        items = []
        for i in range(start, min(start + batch, events)):
            kind = rng.choices(types, type_w)[0]
            kinds[kind] += 1
            count = event_count(kind, rng)
            person = order[bisect.bisect_left(cum, rng.random() * cum[-1])]
            when = now - dt.timedelta(seconds=rng.random() * span)
            items.append(
                {
                    "id": f"ev-{i:09d}",
                    "type": kind,
                    "employee_id": person,
                    "network": rng.choices(nets, net_w)[0],
                    "occurred_at": when.isoformat(timespec="seconds"),
                    "content_id": f"post-{rng.randrange(events // 20 + 1)}",
                    "count": count,
                }
            )
        bodies.append(json.dumps({"events": items}, separators=(",", ":")).encode())
    return bodies, kinds


# --------------------------------------------------------------------------- serving


def wait_http(port: int, proc: subprocess.Popen, children: Children, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail(f"gunicorn exited:\n{children.log_tail('gunicorn')}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/leaderboard")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    fail(f"gunicorn did not answer in {timeout:.0f}s:\n{children.log_tail('gunicorn')}")


def wait_worker(r, proc: subprocess.Popen, children: Children, timeout: float = 60) -> None:
    from rq import Worker

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail(f"worker exited:\n{children.log_tail('worker')}")
        if Worker.count(connection=r):
            return
        time.sleep(0.1)
    fail(f"worker did not register in {timeout:.0f}s:\n{children.log_tail('worker')}")


def post_all(port: int, token: str, bodies: list[bytes], clients: int) -> list[tuple]:
    """POST every body; returns (sent, answered, status, body) per batch, in order."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    todo: queue.Queue = queue.Queue()
    for item in enumerate(bodies):
        todo.put(item)
    results: list[tuple | None] = [None] * len(bodies)
    errors: list[BaseException] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        try:
            while not errors:
                try:
                    index, body = todo.get_nowait()
                except queue.Empty:
                    return
                sent = time.time()
                conn.request("POST", "/api/v1/events", body, headers)
                resp = conn.getresponse()
                data = resp.read()
                results[index] = (sent, time.time(), resp.status, data)
                if resp.will_close:
                    conn.close()  # gunicorn's sync workers close after each response
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)  # stays interruptible by Ctrl-C
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


def check_answers(results: list[tuple], bodies: list[bytes]) -> None:
    for (_, _, status, data), body in zip(results, bodies, strict=True):
        if status != 202:
            fail(f"POST answered {status}: {data[:500]!r}")
        report = json.loads(data)
        expected = len(json.loads(body)["events"])
        if report["accepted"] != expected:
            summary = {k: v for k, v in report.items() if k != "results"}
            fail(f"expected {expected} accepted, got {summary}")


def wait_scored(
    r, env: Env, events: int, timeout: float, children: Children, worker: subprocess.Popen
) -> float:
    """Poll until nothing is queued or running and every event has its ledger row;
    returns the time. (A score job takes over jobs waiting behind it, so fewer
    than one job per batch may finish.) The ledger is counted only when RQ
    looks idle, so polling does not load the database."""
    import psycopg
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    q = Queue(env.queue, connection=r)
    started = StartedJobRegistry(env.queue, connection=r)
    failed = FailedJobRegistry(env.queue, connection=r)
    scheduled = ScheduledJobRegistry(env.queue, connection=r)
    db = psycopg.connect(env.pg_url, autocommit=True)

    def ledger_rows() -> int:
        return db.execute("SELECT count(*) FROM point_awards").fetchone()[0]

    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if q.count == 0 and started.count == 0:
                now = time.time()
                if ledger_rows() >= events:
                    return now
            if worker.poll() is not None:
                fail(
                    f"the worker stopped (exit {worker.returncode}):\n{children.log_tail('worker')}"
                )
            if failed.count or scheduled.count:
                fail(
                    f"{failed.count} failed, {scheduled.count} retrying jobs; worker log:\n"
                    + children.log_tail("worker", 60)
                )
            time.sleep(0.02)
    finally:
        db.close()
    fail(f"scoring not done after {timeout:.0f}s")
    raise AssertionError


def job_times(r, env: Env) -> tuple[float, float, float, int]:
    """(first start, last end, sum of durations, jobs) of the finished score jobs."""
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    ids = FinishedJobRegistry(env.queue, connection=r).get_job_ids()
    jobs = [j for j in Job.fetch_many(ids, connection=r) if j is not None]

    def ts(moment: dt.datetime) -> float:
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()

    starts = [ts(j.started_at) for j in jobs]
    ends = [ts(j.ended_at) for j in jobs]
    busy = sum(e - s for s, e in zip(starts, ends, strict=True))
    return min(starts), max(ends), busy, len(jobs)


def verify(env: Env, r, events: int) -> int:
    """Every event has its ledger row and the org all-time board adds up to the ledger."""
    import psycopg

    with psycopg.connect(env.pg_url) as conn:
        n_events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        n_ledger, total = conn.execute(
            "SELECT count(*), coalesce(sum(points), 0) FROM point_awards"
        ).fetchone()
    if n_events != events or n_ledger != events:
        fail(f"{n_events} events and {n_ledger} ledger rows stored; expected {events} each")
    board = f"lb:{{{env.org}}}:b:org:all"
    on_board = sum(int(s) for _, s in r.zrange(board, 0, -1, withscores=True))
    if on_board != total:
        fail(f"board {board} totals {on_board} points, the ledger {total}")
    return int(total)


class Analyzer:
    """ANALYZE (or VACUUM ANALYZE) the growing tables now and then, as autovacuum would."""

    TABLES = (
        "events",
        "point_awards",
        "daily_totals",
        "employee_scores",
        "person_progress",
        "badge_awards",
        "employees",
    )

    def __init__(self, env: Env, every: float, vacuum: bool = False):
        self.env, self.every = env, every
        self.command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
        self.stop = threading.Event()
        self.count = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.env.pg_url, autocommit=True) as conn:
            while not self.stop.wait(self.every):
                conn.execute(f"{self.command} {', '.join(self.TABLES)}")
                self.count += 1

    def __enter__(self):
        if self.every > 0:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()


def autovacuum_on(env: Env) -> bool:
    import psycopg

    with psycopg.connect(env.pg_url) as conn:
        return conn.execute("SHOW autovacuum").fetchone()[0] == "on"


# --------------------------------------------------------------------------- COPY floor


def copy_rates(env: Env, repeats: int) -> tuple[float, float]:
    """Median (events rows/s, events+ledger rows as events/s) of COPY into scratch tables."""
    import psycopg

    with psycopg.connect(env.pg_url) as conn:
        events = conn.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY id").fetchall()
        ledger = conn.execute(f"SELECT {LEDGER_COLUMNS} FROM point_awards ORDER BY id").fetchall()
        for table in ("events", "point_awards"):
            conn.execute(f"DROP TABLE IF EXISTS bench_copy_{table}")
            conn.execute(f"CREATE UNLOGGED TABLE bench_copy_{table} (LIKE {table} INCLUDING ALL)")
        conn.commit()

        def timed(jobs: list[tuple[str, str, list]]) -> float:
            for table, _, _ in jobs:
                conn.execute(f"TRUNCATE bench_copy_{table}")
            conn.commit()
            start = time.perf_counter()
            with conn.cursor() as cur:
                for table, columns, rows in jobs:
                    with cur.copy(f"COPY bench_copy_{table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            conn.commit()
            return time.perf_counter() - start

        only = [("events", EVENT_COLUMNS, events)]
        both = [*only, ("point_awards", LEDGER_COLUMNS, ledger)]
        t_only = statistics.median(timed(only) for _ in range(repeats))
        t_both = statistics.median(timed(both) for _ in range(repeats))
        for table in ("events", "point_awards"):
            conn.execute(f"DROP TABLE bench_copy_{table}")
        conn.commit()
    return len(events) / t_only, len(events) / t_both


# --------------------------------------------------------------------------- profiling


class Profilers:
    def __init__(self, children: Children, out_dir: Path):
        self.children = children
        self.out_dir = out_dir
        self.procs: list[tuple[str, Path, subprocess.Popen]] = []

    def attach(self, role: str, pid: int) -> None:
        path = self.out_dir / f"{role}-{pid}.txt"
        argv = [str(BIN / "py-spy"), "record", "--pid", str(pid), "--rate", "100"]
        argv += ["--idle", "--format", "raw", "--output", str(path)]
        self.procs.append((role, path, self.children.start(f"py-spy-{role}-{pid}", argv)))

    def finish(self) -> None:
        for _, _, proc in self.procs:
            self.children.stop(proc, signal.SIGINT, timeout=60)
        for role in sorted({role for role, _, _ in self.procs}):
            paths = [p for r, p, _ in self.procs if r == role and p.exists()]
            root = "post_events" if role == "web" else "score_events_job"
            report_hot_spots(role, paths, root)


PROJECT = ("(scoring/", "(recognition/", "(app.py:")


def report_hot_spots(role: str, paths: list[Path], root: str, top: int = 20) -> None:
    """Where time goes, as a share of the samples taken inside `root`.

    Project functions and lines (inclusive: the function or line was on the
    stack), then the innermost frames overall (self time; `Connection.wait`
    of psycopg is waiting for PostgreSQL).
    """
    functions: Counter = Counter()
    lines: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            if not any(root in f for f in frames):
                continue
            n = int(count)
            total += n
            mine = [f for f in frames if f.startswith(PROJECT, f.find(" (") + 1)]
            for f in set(mine):
                lines[f] += n
            for f in {f.rsplit(":", 1)[0] + ")" for f in mine}:
                functions[f] += n
            own[frames[-1]] += n
    if not total:
        note(f"{role}: no samples inside {root}")
        return
    note(f"{role}: {total} samples inside {root} (100/s, idle included), {len(paths)} pids")
    for title, counter in (
        ("project functions, inclusive", functions),
        ("project lines, inclusive", lines),
        ("innermost frames (self)", own),
    ):
        note(f"{role}: {title}")
        for f, n in counter.most_common(top):
            note(f"  {100 * n / total:5.1f}%  {f}")


# --------------------------------------------------------------------------- one run


def one_run(args: argparse.Namespace, env: Env, run: int, log_dir: Path) -> dict[str, float]:
    import redis

    rng = random.Random(args.seed + run)
    r = redis.Redis.from_url(env.redis_url)
    children = Children(env, log_dir)
    try:
        t = time.perf_counter()
        reset_stores(env)
        refs = create_people(env, args.people, args.teams, rng)
        token = run_flask(
            env, "laurel", "create-token", "--source", "bench", "--scope", "events:write"
        ).split()[-1]
        bodies, kinds = make_batches(refs, args.events, args.batch, rng)
        note(
            f"run {run + 1}: setup {time.perf_counter() - t:.1f}s, {args.events} events "
            f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}) in {len(bodies)} "
            f"batches for {args.people} people; logs in {log_dir}"
        )

        port = free_port()
        web = children.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                *("-w", str(args.web_workers), "-b", f"127.0.0.1:{port}"),
                # No control socket: its default path is shared by every gunicorn on the machine.
                "--no-control-socket",
                "app:create_app()",
            ],
        )
        worker = children.start("worker", [str(BIN / "flask"), "--app", "app", "laurel", "worker"])
        wait_http(port, web, children)
        wait_worker(r, worker, children)

        profilers = None
        if args.profile:
            out = Path(args.profile)
            out.mkdir(parents=True, exist_ok=True)
            profilers = Profilers(children, out)
            for pid in children_of(web.pid):
                profilers.attach("web", pid)
            profilers.attach("worker", worker.pid)
            time.sleep(1)  # let py-spy attach before the load starts

        with Analyzer(env, args.analyze_every, args.vacuum) as analyzer:
            results = post_all(port, token, bodies, args.clients)
            done = wait_scored(r, env, args.events, args.timeout, children, worker)
        if analyzer.count:
            note(f"run {run + 1}: {analyzer.command} ran {analyzer.count} times during the run")
        if profilers:
            profilers.finish()
        first_post = min(x[0] for x in results)
        last_202 = max(x[1] for x in results)
        check_answers(results, bodies)
        points = verify(env, r, args.events)
        job_start, job_end, busy, n_jobs = job_times(r, env)
        children.stop_all()
        copy_events, copy_both = copy_rates(env, args.copy_repeats)
    finally:
        children.stop_all()

    latencies = sorted((x[1] - x[0]) * 1000 for x in results)
    n = args.events
    figures = {
        "acceptance": n / (last_202 - first_post),
        "scoring": n / (job_end - job_start),
        "scoring busy": n / busy,
        "end to end": n / (done - first_post),
        "copy events": copy_events,
        "copy events + ledger": copy_both,
        "median POST latency": statistics.median(latencies),
        "p95 POST latency": latencies[int(0.95 * (len(latencies) - 1))],
        "end to end seconds": done - first_post,
        "worker busy share": busy / (done - first_post),
    }
    note(
        f"run {run + 1}: {n_jobs} jobs, {points} points; "
        + ", ".join(f"{k} {v:,.1f}" for k, v in figures.items())
    )
    return figures


def main() -> None:
    args = parse_args()
    env = Env("bench", 5, args.allow_any_database)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the `finally` cleanups
    log_dir = Path(tempfile.mkdtemp(prefix="laurel-bench-ingest-"))
    if not autovacuum_on(env) and not args.analyze_every:
        note("autovacuum is off on this server: no table gets statistics during the run")
    runs = [one_run(args, env, run, log_dir) for run in range(args.runs)]

    def med(name: str) -> float:
        return statistics.median(run[name] for run in runs)

    e2e = med("end to end")
    if args.profile:
        note("profiled run: py-spy slows the processes it samples; figures are not comparable")
    print(f"acceptance: {med('acceptance'):.0f} events/s")
    print(f"scoring: {med('scoring'):.0f} events/s")
    print(f"scoring busy: {med('scoring busy'):.0f} events/s")
    print(f"end to end: {e2e:.0f} events/s")
    print(f"copy events: {med('copy events'):.0f} events/s")
    print(f"copy events + ledger: {med('copy events + ledger'):.0f} events/s")
    ratios = [r["end to end"] / r["copy events"] for r in runs]
    print(f"end to end / copy events: {statistics.median(ratios):.3f} ratio")
    ratios = [r["end to end"] / r["copy events + ledger"] for r in runs]
    print(f"end to end / copy events + ledger: {statistics.median(ratios):.3f} ratio")
    print(f"median POST latency: {med('median POST latency'):.0f} ms")
    print(f"p95 POST latency: {med('p95 POST latency'):.0f} ms")
    print(f"worker busy share: {med('worker busy share'):.2f} ratio")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
