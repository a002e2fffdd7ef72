"""Re-score benchmark: replay a big event log under a new ruleset, PostgreSQL + Redis.

Setup (every run, not timed): drop and recreate the `public` schema of DATABASE_URL,
run the migrations (`flask --app app db upgrade`), flush the Redis db of REDIS_URL,
COPY teams and people in, COPY the events straight into `events` (a realistic mix:
~25% shares, the rest reshares/comments/likes/clicks with counts, over the last 90
days, a few active people doing most of it, ~0.5% for HR ids nobody has yet), then
VACUUM ANALYZE. Inside an app context: ensure_scoring_setup() (ruleset 1, live
generation 1) and save_ruleset() of a second version (share 12 points, x 1.5).

Unless --no-prime, the log is first re-scored under ruleset 1 (in a subprocess, so
the live generation holds a full ledger, badges and progress rows, as it would in
production, and the switch has real work to carry over). That run is reported as
`prime`, not as the benchmark. Then VACUUM ANALYZE of the scoring tables (with
--skip-setup, `flask laurel prune-generations` first, so each timed run starts
from one full live generation).

Timed: the re-score to ruleset 2, in a SUBPROCESS run the way a worker runs it:
  --via job (default)  python: create_app(), app context, scoring.rescore.rescore(2,
                       report), which is what scoring.jobs.rescore_job does; `report`
                       prints progress with the child's own VmRSS every 10,000 events
  --via cli            `flask --app app laurel rescore --ruleset 2 --here`; no
                       progress (click hides the bar without a tty), so the RSS
                       figures at 10/50/90% are at that share of the wall time
  --runner FILE        any Python file speaking the same stdout protocol, to measure a
                       candidate change to the re-score without editing the app
This process samples the child's RSS every 0.2 s (psutil, else /proc) for the peak, and
(with psutil) the CPU time of the child and of the PostgreSQL backends serving it, and
the load average: on a shared machine the CPU figures are steadier than the wall time.

Checked afterwards: the new generation is live (ruleset 2) and the old one retired;
its ledger has exactly one event row per event of a known person (and none for the
held ones); SUM(points) of the ledger equals SUM(employee_scores), SUM(daily_totals)
and the total computed independently in SQL from the ruleset (points x count x
network multiplier rounded half up, the first N shares per person and local day, the
engagement points per day capped); the org all-time board in Redis sums to it too.

Figures (stdout, `name: value unit`); progress notes go to stderr.

The database is wiped: the script refuses a database whose name lacks "bench"
unless --allow-any-database is given.

    psql -h 127.0.0.1 -U postgres -c 'create database bench_rescore'
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_rescore \\
    REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/rescore.py
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from common import BIN, ROOT, Env, create_events, create_people, fail, note, reset_stores, run_flask

sys.path.insert(0, str(ROOT))

HELD_SHARE = 0.005  # events for HR ids that name nobody (yet)
DAYS = 90
SAMPLE_EVERY = 0.2
MIB = 1024 * 1024

# The child: what scoring.jobs.rescore_job does, with progress (and the child's own
# RSS, read at that moment) on stdout instead of in RQ job meta.
JOB_RUNNER = r"""
import json, resource, sys, time

def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0

from app import create_app

app = create_app()
with app.app_context():
    from scoring.rescore import rescore

    def report(done, total):
        print(f"progress {time.time():.3f} {done} {total} {rss()}", flush=True)

    print(f"begin {time.time():.3f} {rss()}", flush=True)
    result = rescore(int(sys.argv[1]), report)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"end {time.time():.3f} {rss()} {usage.ru_maxrss * 1024} "
          f"{usage.ru_utime:.3f} {usage.ru_stime:.3f}", flush=True)
    print("result " + json.dumps(result), flush=True)
"""


def figure(name: str, value, unit: str = "") -> None:
    if isinstance(value, float):
        value = f"{value:.1f}" if abs(value) >= 100 else f"{value:.2f}"
    print(f"{name}: {value} {unit}".rstrip(), flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=1_000_000, help="events in the log (1000000)")
    p.add_argument("--people", type=int, default=10_000, help="people in the directory (10000)")
    p.add_argument("--teams", type=int, default=50, help="teams (50)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.add_argument(
        "--via",
        choices=("job", "cli"),
        default="job",
        help="run the re-score as rescore_job does (job, with progress) or through\n"
        "`flask laurel rescore --here` (cli)",
    )
    p.add_argument(
        "--runner",
        metavar="FILE",
        help="run this Python file in the subprocess instead of the built-in job runner\n"
        "(argv[1] is the ruleset version; same stdout protocol as JOB_RUNNER), to\n"
        "measure a change to the re-score without editing the app",
    )
    p.add_argument(
        "--no-prime",
        action="store_true",
        help="skip the untimed re-score under ruleset 1 (the live generation stays empty)",
    )
    p.add_argument(
        "--skip-setup",
        action="store_true",
        help="reuse the data of a previous run (re-scores to a fresh ruleset version)",
    )
    p.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the re-score")
    p.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy record the timed re-score into DIR (raw collapsed stacks) and\n"
        "print its hot spots; py-spy slows what it samples",
    )
    p.add_argument(
        "--allow-any-database",
        action="store_true",
        help="wipe DATABASE_URL even if its name lacks 'bench'",
    )
    args = p.parse_args()
    if args.events < 1 or args.people < 1 or args.teams < 1:
        p.error("--events, --people and --teams must be positive")
    return args


# --------------------------------------------------------------------------- environment


# --------------------------------------------------------------------------- setup


def second_ruleset() -> dict:
    from scoring.rules import load_default_document

    document = load_default_document()
    document["name"] = "Bench: shares worth more"
    document["points"]["share"] = 12
    document["network_multipliers"]["x"] = 1.5
    return document


def scoring_setup(app) -> int:
    """Ruleset 1 and live generation 1, then a new ruleset version; returns its number."""
    from recognition.extensions import db
    from scoring.rulesets import ensure_scoring_setup, save_ruleset

    with app.app_context():
        ensure_scoring_setup()
        version = save_ruleset(second_ruleset(), note="bench: share 12, x 1.5", by="bench")
        db.session.remove()
    return version


SCORING_TABLES = (
    "events",
    "employees",
    "point_awards",
    "badge_awards",
    "daily_totals",
    "employee_scores",
    "person_progress",
)


def settle(env: Env, prune: bool) -> None:
    """Before the timed run: drop retired generations (--skip-setup leaves them), then
    VACUUM ANALYZE, so every run starts from one full live generation with statistics."""
    if prune:
        note(run_flask(env, "laurel", "prune-generations").strip())
    with env.pg() as conn:
        (autovacuum,) = conn.execute("SHOW autovacuum").fetchone()
        for table in SCORING_TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
    if autovacuum != "on":
        note("autovacuum is off on this server; the tables were analyzed by hand")


# --------------------------------------------------------------------------- the timed run


def rss_of(pid: int):
    """A function giving the RSS of `pid` in bytes (psutil if installed, else /proc)."""
    try:
        import psutil

        proc = psutil.Process(pid)
        return lambda: proc.memory_info().rss
    except ImportError:
        path = f"/proc/{pid}/status"

        def read() -> int:
            with open(path) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
            return 0

        return read


class CpuWatch:
    """CPU seconds of the child and of the PostgreSQL backends serving it, and the load.

    The backends are found from the child's TCP connections (pg_stat_activity's
    client_port), so they are only seen for a server on this host over TCP. On a
    shared machine the wall time depends on what else runs; these do much less.
    """

    def __init__(self, env: Env, pid: int):
        import psutil

        self.psutil = psutil
        self.child = psutil.Process(pid)
        self.pg_port = env.pg_port
        self.conn = env.pg()
        self.child_cpu = 0.0
        self.backend_cpu: dict[int, float] = {}
        self.backends: dict[int, object] = {}
        self.ports: set[int] = set()
        self.loads: list[float] = []

    def poll(self) -> None:
        times = self.child.cpu_times()
        self.child_cpu = times.user + times.system
        self.loads.append(os.getloadavg()[0])
        ports = {
            c.laddr.port
            for c in self.child.net_connections("tcp")
            if c.raddr and c.raddr.port == self.pg_port
        }
        if ports - self.ports:
            self.ports |= ports
            rows = self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE client_port = ANY(%s)", (list(ports),)
            ).fetchall()
            for (pid,) in rows:
                if pid not in self.backends:
                    with contextlib.suppress(self.psutil.Error):
                        self.backends[pid] = self.psutil.Process(pid)
        for pid, proc in self.backends.items():
            try:
                t = proc.cpu_times()
                self.backend_cpu[pid] = t.user + t.system
            except self.psutil.Error:
                pass  # the backend ended with its connection; its last figure stays

    def close(self) -> None:
        self.conn.close()


class Run:
    """One re-score in a subprocess, with its RSS sampled and its progress collected."""

    def __init__(
        self, env: Env, version: int, via: str, log_dir: Path, name: str, runner: str | None
    ):
        self.env = env
        self.samples: list[tuple[float, int]] = []  # (time, rss) every SAMPLE_EVERY
        self.progress: list[tuple[float, int, int, int]] = []  # (time, done, total, rss)
        self.begin: tuple[float, int] | None = None
        self.end: tuple[float, int, int, float, float] | None = None
        self.result: dict | None = None
        self.log = log_dir / f"{name}.log"
        if runner:
            argv = [sys.executable, str(runner), str(version)]
        elif via == "job":
            argv = [sys.executable, "-c", JOB_RUNNER, str(version)]
        else:
            argv = [str(BIN / "flask"), "--app", "app", "laurel", "rescore"]
            argv += ["--ruleset", str(version), "--here"]
        self.argv = argv

    def start(self) -> None:
        self.stderr = open(self.log, "wb")  # noqa: SIM115  (closed in wait())
        self.started = time.time()
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env.child_env,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            start_new_session=True,
        )
        self.rss = rss_of(self.proc.pid)
        self.stdout: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.stdout.append(line)
            word, _, rest = line.strip().partition(" ")
            if word == "progress":
                t, done, total, rss = rest.split()
                self.progress.append((float(t), int(done), int(total), int(rss)))
            elif word == "begin":
                t, rss = rest.split()
                self.begin = (float(t), int(rss))
            elif word == "end":
                t, rss, maxrss, utime, stime = rest.split()
                self.end = (float(t), int(rss), int(maxrss), float(utime), float(stime))
            elif word == "result":
                self.result = json.loads(rest)

    def _sample(self) -> None:
        try:
            self.cpu: CpuWatch | None = CpuWatch(self.env, self.proc.pid)
        except Exception as exc:  # no psutil, or the child is already gone
            note(f"no CPU figures: {exc!r}")
            self.cpu = None
        tick = 0
        while self.proc.poll() is None:
            try:
                self.samples.append((time.time(), self.rss()))
                if self.cpu and tick % 5 == 0:
                    self.cpu.poll()
            except Exception:  # the process is gone between poll() and the read
                break
            tick += 1
            time.sleep(SAMPLE_EVERY)
        if self.cpu:
            self.cpu.close()

    def wait(self, timeout: float) -> float:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            fail(f"the re-score took over {timeout:.0f}s; log: {self.log}")
        finished = time.time()
        self.reader.join(10)
        self.sampler.join(10)
        self.stderr.close()
        if self.proc.returncode != 0:
            text = self.log.read_text(errors="replace")
            tail = "\n".join(text.splitlines()[-40:])
            hint = ""
            if "InvalidCursorName" in text:
                hint = (
                    "\nhint: replay() reads events through a server-side cursor (yield_per) "
                    "and _Sink.write() commits every FLUSH_ROWS ledger rows; on PostgreSQL "
                    "the commit closes that cursor, so any log of more than FLUSH_ROWS "
                    "events fails. --runner can try a fix without editing the app."
                )
            fail(f"the re-score failed (exit {self.proc.returncode}):\n{tail}{hint}")
        if self.result is None and self.stdout:
            # The CLI prints "generation: 3, events: 1000000, caught_up: 0".
            last = self.stdout[-1].strip()
            try:
                self.result = {
                    k.strip(): int(v) for k, v in (p.split(":") for p in last.split(","))
                }
            except ValueError:
                self.result = None
        return finished - self.started

    def peak(self) -> int:
        return max([rss for _, rss in self.samples] + [self.end[2] if self.end else 0])

    def rss_at_time(self, t: float) -> int:
        before = [rss for when, rss in self.samples if when <= t]
        return before[-1] if before else 0

    def rss_at_progress(self, share: float) -> tuple[int, int] | None:
        """(done, rss) at the first progress report at or past `share` of the events."""
        for _, done, total, rss in self.progress:
            if total and done >= share * total:
                return done, rss
        return None


# --------------------------------------------------------------------------- profiling


def start_profiler(out_dir: Path, pid: int) -> tuple[subprocess.Popen, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "rescore-raw.txt"
    argv = [str(BIN / "py-spy"), "record", "--pid", str(pid), "--rate", "100"]
    argv += ["--idle", "--format", "raw", "--output", str(path)]
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    return proc, path


def report_hot_spots(path: Path, top: int = 25) -> None:
    """Inclusive and self time per function (and self per line), as a share of samples."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    own_line: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any("rescore" in f for f in frames):
            continue
        n = int(count)
        total += n
        for f in {_function(f) for f in frames}:
            inclusive[f] += n
        own[_function(frames[-1])] += n
        own_line[_function(frames[-1], lines=True)] += n
    if not total:
        note("profile: no samples inside rescore")
        return
    note(f"profile: {total} samples inside rescore (100/s, idle included), {path}")
    for title, counter in (("inclusive", inclusive), ("self", own), ("self by line", own_line)):
        note(f"profile: top {title}")
        for f, n in counter.most_common(top):
            note(f"  {100 * n / total:5.1f}%  {f}")


def _function(frame: str, lines: bool = False) -> str:
    """'name (path/to/file.py:12)' -> 'name (to/file.py)', with ':12' if `lines`."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    if not lines:
        where = where.rsplit(":", 1)[0]
    return f"{name} ({'/'.join(where.split('/')[-2:])})"


# --------------------------------------------------------------------------- checks


def expected_points_sql(document: dict, tz: str) -> str:
    """SQL for the total the ruleset gives the log, computed without the app's code."""
    points = ", ".join(f"('{t}', {int(v)})" for t, v in document["points"].items())
    mults = ", ".join(
        f"('{n}', {Decimal(str(v))})" for n, v in document["network_multipliers"].items()
    )
    caps = document.get("daily_caps") or {}
    share_cap = caps.get("scoring_shares")
    engagement_cap = caps.get("engagement_points")
    share_where = "" if share_cap is None else f"WHERE rn <= {int(share_cap)}"
    engagement = "s" if engagement_cap is None else f"LEAST(s, {int(engagement_cap)})"
    return f"""
        WITH e AS (
            SELECT ev.id, p.id AS person, ev.type,
                   (ev.occurred_at AT TIME ZONE '{tz}')::date AS day,
                   ROUND(pt.points * ev.count * COALESCE(m.mult, 1))::bigint AS base
            FROM events ev
            JOIN employees p ON p.external_id = ev.employee_ref
            JOIN (VALUES {points}) AS pt(type, points) ON pt.type = ev.type
            LEFT JOIN (VALUES {mults}) AS m(network, mult) ON m.network = ev.network
        ),
        shares AS (
            SELECT base, ROW_NUMBER() OVER (PARTITION BY person, day ORDER BY id) AS rn
            FROM e WHERE type = 'share'
        ),
        engagement AS (
            SELECT SUM(base) AS s FROM e WHERE type <> 'share' GROUP BY person, day
        )
        SELECT (SELECT COALESCE(SUM(base), 0) FROM shares {share_where})
             + (SELECT COALESCE(SUM({engagement}), 0) FROM engagement)
    """


def verify(env: Env, r, version: int, result: dict | None) -> dict[str, int]:
    """Check the switch and the sums; returns figures for the report."""
    with env.pg() as conn:
        live = conn.execute(
            "SELECT id, ruleset_version FROM ledger_generations WHERE state = 'live'"
        ).fetchall()
        if len(live) != 1:
            fail(f"expected one live generation, found {live}")
        gen, live_version = live[0]
        if live_version != version:
            fail(f"live generation {gen} has ruleset {live_version}, expected {version}")
        if result and result.get("generation") not in (None, gen):
            fail(f"the re-score built generation {result['generation']}, but {gen} is live")
        others = conn.execute(
            "SELECT id, state FROM ledger_generations WHERE id <> %s", (gen,)
        ).fetchall()
        if any(state != "retired" for _, state in others):
            fail(f"other generations are not all retired: {others}")
        (document,) = conn.execute(
            "SELECT document FROM rulesets WHERE version = %s", (version,)
        ).fetchone()
        (known,) = conn.execute(
            "SELECT count(*) FROM events e JOIN employees p ON p.external_id = e.employee_ref"
        ).fetchone()
        rows, distinct, ledger_sum = conn.execute(
            "SELECT count(*), count(DISTINCT cause_id), COALESCE(SUM(points), 0) "
            "FROM point_awards WHERE generation = %s AND cause_type = 'event'",
            (gen,),
        ).fetchone()
        if rows != known or distinct != known:
            fail(f"ledger of generation {gen}: {rows} rows / {distinct} events, expected {known}")
        (stray,) = conn.execute(
            "SELECT count(*) FROM point_awards a JOIN events e ON e.id = a.cause_id "
            "LEFT JOIN employees p ON p.external_id = e.employee_ref "
            "WHERE a.generation = %s AND a.cause_type = 'event' "
            "AND (p.id IS NULL OR p.id <> a.employee_id)",
            (gen,),
        ).fetchone()
        if stray:
            fail(f"{stray} ledger rows of generation {gen} are for the wrong person or nobody")
        (all_sum,) = conn.execute(
            "SELECT COALESCE(SUM(points), 0) FROM point_awards WHERE generation = %s", (gen,)
        ).fetchone()
        (scores_sum,) = conn.execute(
            "SELECT COALESCE(SUM(points), 0) FROM employee_scores WHERE generation = %s", (gen,)
        ).fetchone()
        (daily_sum,) = conn.execute(
            "SELECT COALESCE(SUM(points), 0) FROM daily_totals WHERE generation = %s", (gen,)
        ).fetchone()
        if not scores_sum == daily_sum == all_sum:
            fail(
                f"generation {gen}: ledger {all_sum}, employee_scores {scores_sum}, "
                f"daily_totals {daily_sum} points"
            )
        (expected,) = conn.execute(expected_points_sql(document, env.tz)).fetchone()
        if int(expected) != int(ledger_sum):
            fail(f"ledger sum {ledger_sum} != {expected} computed from ruleset {version}")
        (badges,) = conn.execute(
            "SELECT count(*) FROM badge_awards WHERE generation = %s", (gen,)
        ).fetchone()
        (progress_rows,) = conn.execute(
            "SELECT count(*) FROM person_progress WHERE generation = %s", (gen,)
        ).fetchone()
    board = f"lb:{{{env.org}}}:b:org:all"
    board_sum = sum(int(score) for _, score in r.zrange(board, 0, -1, withscores=True))
    if board_sum != int(all_sum):
        fail(f"org all-time board sums to {board_sum}, ledger to {all_sum}")
    return {
        "generation": gen,
        "known": known,
        "ledger_rows": rows,
        "points": int(ledger_sum),
        "badges": badges,
        "progress_rows": progress_rows,
    }


# --------------------------------------------------------------------------- main


def timed_rescore(
    env: Env,
    version: int,
    args: argparse.Namespace,
    log_dir: Path,
    name: str,
    profile: str | None = None,
) -> tuple[Run, float]:
    run = Run(env, version, args.via, log_dir, name, args.runner)
    run.start()
    profiler = None
    if profile:
        profiler = start_profiler(Path(profile), run.proc.pid)
    seconds = run.wait(args.timeout)
    if profiler:
        proc, path = profiler
        try:
            proc.wait(60)  # py-spy writes its output when the target exits
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(60)
        if path.exists():
            report_hot_spots(path)
            note(f"profile: raw stacks in {path} (flamegraph.pl or speedscope draw them)")
    return run, seconds


def main() -> None:
    args = parse_args()
    env = Env("bench_rescore", 6, args.allow_any_database)
    import redis

    r = redis.Redis.from_url(env.redis_url)
    r.ping()
    log_dir = Path(tempfile.mkdtemp(prefix="laurel-bench-rescore-"))
    note(f"logs in {log_dir}")

    from app import create_app

    if args.skip_setup:
        version = scoring_setup(create_app())
        note(f"reusing the data; stored ruleset version {version}")
    else:
        rng = random.Random(args.seed)
        t0 = time.perf_counter()
        reset_stores(env)
        refs = create_people(env, args.people, args.teams, rng)
        note(f"{args.people} people in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        kinds = create_events(env, refs, args.events, rng, DAYS, HELD_SHARE)
        note(
            f"{args.events} events COPYed in {time.perf_counter() - t0:.1f}s: "
            + ", ".join(f"{k} {v}" for k, v in kinds.items())
        )
        app = create_app()
        version = scoring_setup(app)
        note(f"stored ruleset version {version}")
        if not args.no_prime:
            note("prime: re-scoring under ruleset 1 so the live generation is full")
            prime, prime_seconds = timed_rescore(env, 1, args, log_dir, "prime")
            note(f"prime: {prime_seconds:.1f}s, {prime.result}")
            figure("prime re-score (old generation empty)", prime_seconds, "s")

    settle(env, prune=args.skip_setup)
    note(f"timed: re-scoring under ruleset {version} (--via {args.via})")
    run, seconds = timed_rescore(env, version, args, log_dir, "rescore", args.profile)
    note(f"result: {run.result}")
    note("checking the new generation")
    checked = verify(env, r, version, run.result)

    events = (run.result or {}).get("events", checked["ledger_rows"])
    figure("events", args.events, "events")
    figure("events replayed (known people)", events, "events")
    figure("people", args.people, "people")
    figure("re-score", seconds, "s")
    figure("re-score rate", events / seconds, "events/s")
    if run.begin and run.progress:
        replay_end = run.progress[-1][0]
        figure("startup (process start .. rescore() called)", run.begin[0] - run.started, "s")
        figure("replay (rescore() .. replay committed)", replay_end - run.begin[0], "s")
        figure("replay rate", events / (replay_end - run.begin[0]), "events/s")
        if run.end:
            figure("switch (catch-up, carry-over, rebuild boards)", run.end[0] - replay_end, "s")
    figure("peak RSS", run.peak() / MIB, "MiB")
    if run.begin and run.progress and run.samples:
        replay_end = run.progress[-1][0]
        during = [rss for t, rss in run.samples if run.begin[0] <= t <= replay_end]
        after = [rss for t, rss in run.samples if t > replay_end]
        if during:
            figure("peak RSS during the replay", max(during) / MIB, "MiB")
        if after:
            peak_at = max((rss, t) for t, rss in run.samples if t > replay_end)[1]
            figure("peak RSS during the switch", max(after) / MIB, "MiB")
            note(f"the switch's peak came {peak_at - replay_end:.1f}s after the replay ended")
    if run.begin:
        figure("RSS before rescore()", run.begin[1] / MIB, "MiB")
    if run.progress:
        for share in (0.1, 0.5, 0.9):
            at = run.rss_at_progress(share)
            if at:
                figure(f"RSS at {int(share * 100)}% ({at[0]} events)", at[1] / MIB, "MiB")
        first, last = run.progress[0], run.progress[-1]
        figure(f"RSS at start of replay ({first[1]} events)", first[3] / MIB, "MiB")
        figure(f"RSS at end of replay ({last[1]} events)", last[3] / MIB, "MiB")
    else:
        end = run.samples[-1][0] if run.samples else run.started + seconds
        for share in (0.1, 0.5, 0.9):
            at = run.rss_at_time(run.started + share * (end - run.started))
            figure(f"RSS at {int(share * 100)}% of the wall time", at / MIB, "MiB")
    if run.end:
        figure("RSS at exit", run.end[1] / MIB, "MiB")
    cpu = getattr(run, "cpu", None)
    child_cpu = run.end[3] + run.end[4] if run.end else (cpu.child_cpu if cpu else None)
    if child_cpu is not None:
        figure("re-score process CPU (user + sys)", child_cpu, "s")
    if cpu and cpu.backend_cpu:
        figure("PostgreSQL backend CPU", sum(cpu.backend_cpu.values()), "s")
    if cpu and cpu.loads:
        figure("load average during the run (max 1 min)", max(cpu.loads), "")
        if max(cpu.loads) > (os.cpu_count() or 1):
            note(
                f"the machine was busy (load {max(cpu.loads):.1f} on {os.cpu_count()} CPUs): "
                "the wall time is inflated; the CPU figures are the steadier ones"
            )
    figure("ledger rows", checked["ledger_rows"], "rows")
    figure("badges awarded", checked["badges"], "badges")
    figure("points", checked["points"], "points")
    note(
        f"verified: generation {checked['generation']} live under ruleset {version}, "
        f"{checked['ledger_rows']} ledger rows = events of known people, points match the "
        "rules, employee_scores, daily_totals and the org all-time board"
    )


if __name__ == "__main__":
    main()
