"""Page benchmark: server time of the Me page and the leaderboard, PostgreSQL + Redis.

Server time is one request through the whole Flask app with its test client (routing,
session, sign-in check, queries, Redis reads, template rendering), no network and no
browser. The visitor is signed in through the session cookie, as the demo or SSO
sign-in leaves them.

Datasets (each from scratch: drop and recreate the `public` schema of DATABASE_URL,
`flask db upgrade`, flush the Redis db of REDIS_URL):

  demo   seed_demo(people=200, days=90): the demo organisation, ingested and scored
         through the app's own code (scoring.ledger.score_events per batch).
  big    --people (100,000) people in --teams (50) teams and --events (1,000,000)
         events over the last 90 days, a few people doing most of it (weight ~ 1/rank^0.9):
         teams, people and events are written with COPY straight into their tables,
         then VACUUM ANALYZE, then scored:
           --scoring live (default): the live job's code, scoring.ledger.score_events,
             over the log in id order in batches of 5,000 (a worker catching up on a
             backlog), then rebuild_derived() for the rollups and Redis boards;
             about 10 minutes for 1M events on 2 cores (the COPY takes ~30 s).
           --scoring rescore: a re-score under ruleset 1 (scoring.rescore.rescore,
             what `flask laurel rescore --here` runs), which streams the log person by
             person and COPYs into a new generation: faster (about a minute for 1M
             events), but not the code path the live worker runs.

Timed, per dataset, --requests (200) each after --warmup (20) untimed, interleaved:
  me page                GET /          as people who have points (a rotating sample)
  me page, top sharer    GET /          as the person with the most events (the heaviest
                                        breakdown; their ledger rows are printed too)
  leaderboard page       GET /leaderboard             (full page, this week)
  leaderboard partial    GET /leaderboard?period=month with HX-Request (a tab switch)

Figures (stdout, `name: value unit`), p50 and p95 in milliseconds; progress notes go
to stderr. Targets: p50 < 50 ms at the demo size, < 100 ms at 100k people / 1M events.
--profile prints the top functions (cProfile, cumulative) of a second, profiled pass.

The database is wiped: the script refuses a database whose name lacks "bench".

    psql -h 127.0.0.1 -U postgres -c 'create database bench_pages'
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_pages \\
    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/pages.py [--only demo]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time

from common import (
    ROOT,
    Env,
    create_events,
    create_people,
    fail,
    note,
    reset_stores,
    signed_in_client,
)

sys.path.insert(0, str(ROOT))

DAYS = 90
SAMPLE_PEOPLE = 50
SCORE_BATCH = 5000


def figure(name: str, value, unit: str = "") -> None:
    if isinstance(value, float):
        value = f"{value:.1f}"
    print(f"{name}: {value} {unit}".rstrip(), flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--only", choices=("demo", "big"), help="run one dataset (both by default)")
    p.add_argument("--people", type=int, default=100_000, help="people in the big dataset")
    p.add_argument("--events", type=int, default=1_000_000, help="events in the big dataset")
    p.add_argument("--teams", type=int, default=50, help="teams in the big dataset (50)")
    p.add_argument("--requests", type=int, default=200, help="timed requests per page (200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed requests per page first (20)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.add_argument(
        "--scoring",
        choices=("live", "rescore"),
        default="live",
        help="how the big dataset is scored: the live path in batches (live), or a\n"
        "re-score under ruleset 1 (rescore; see the note above)",
    )
    p.add_argument(
        "--skip-setup",
        action="store_true",
        help="measure the data already there (from a previous run of the same dataset)",
    )
    p.add_argument("--profile", action="store_true", help="also print cProfile hot spots")
    args = p.parse_args()
    if min(args.people, args.events, args.teams, args.requests) < 1 or args.warmup < 0:
        p.error("sizes and --requests must be positive")
    return args


# --------------------------------------------------------------------------- environment


def make_app():
    from app import create_app

    return create_app()


# --------------------------------------------------------------------------- datasets


def setup_demo(app) -> None:
    from recognition.extensions import db
    from recognition.seed import seed_demo

    with app.app_context():
        summary = seed_demo(people=200, days=90)
        db.session.remove()
    note(f"demo: {summary['people']} people, {summary['events']} events")


def setup_big(env: Env, app, people: int, events: int, teams: int, seed: int, scoring: str) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    refs = create_people(env, people, teams, rng)
    create_events(env, refs, events, rng, DAYS)
    note(
        f"big: COPY of {people} people and {events} events in {time.perf_counter() - started:.0f} s"
    )

    from recognition.extensions import db

    started = time.perf_counter()
    with app.app_context():
        if scoring == "rescore":
            from scoring.rescore import rescore

            def progress(done: int, total: int) -> None:
                if done % 200_000 == 0 or done == total:
                    note(f"re-score: {done}/{total} events, {time.perf_counter() - started:.0f} s")

            result = rescore(1, progress)
        else:
            from scoring.ledger import rebuild_derived, score_events

            for first in range(1, events + 1, SCORE_BATCH):
                score_events(list(range(first, min(first + SCORE_BATCH, events + 1))))
                done = min(first + SCORE_BATCH - 1, events)
                if done % 200_000 == 0:
                    note(f"scored {done}/{events} events, {time.perf_counter() - started:.0f} s")
            result = rebuild_derived()
        db.session.remove()
    note(f"big: scored ({scoring}) in {time.perf_counter() - started:.0f} s: {result}")
    with env.pg() as conn:
        conn.execute("VACUUM ANALYZE")


# --------------------------------------------------------------------------- measuring


def who_to_be(app, rng: random.Random) -> tuple[list[int], int, int]:
    """A sample of people with points this generation, the one with the most events,
    and how many ledger rows that person has (what their breakdown reads)."""
    from sqlalchemy import func, select

    from recognition.extensions import db
    from recognition.people import Employee
    from scoring.models import EmployeeScore, Event, PointAward
    from scoring.rulesets import live_scoring

    with app.app_context():
        gen = live_scoring().generation
        scored = list(
            db.session.scalars(
                select(EmployeeScore.employee_id)
                .where(EmployeeScore.generation == gen, EmployeeScore.points > 0)
                .order_by(EmployeeScore.employee_id)
            )
        )
        top_ref = db.session.scalar(
            select(Event.employee_ref)
            .group_by(Event.employee_ref)
            .order_by(func.count().desc())
            .limit(1)
        )
        top = db.session.scalar(select(Employee.id).where(Employee.external_id == top_ref))
        top_rows = db.session.scalar(
            select(func.count()).where(PointAward.generation == gen, PointAward.employee_id == top)
        )
        db.session.remove()
    if not scored:
        fail("nobody has points; the dataset was not scored")
    return rng.sample(scored, min(SAMPLE_PEOPLE, len(scored))), top, top_rows


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Page:
    def __init__(self, name: str, path: str, people: list[int], htmx: bool = False):
        self.name, self.path, self.people = name, path, people
        self.headers = {"HX-Request": "true"} if htmx else {}
        self.times: list[float] = []
        self.clients = {}

    def client(self, app, person: int):
        if person not in self.clients:
            self.clients[person] = signed_in_client(app, person)
        return self.clients[person]

    def hit(self, app, n: int, timed: bool = True) -> None:
        person = self.people[n % len(self.people)]
        client = self.client(app, person)
        started = time.perf_counter()
        resp = client.get(self.path, headers=self.headers)
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status_code != 200:
            fail(f"GET {self.path} as person {person}: {resp.status_code}")
        resp.close()
        if timed:
            self.times.append(elapsed)


def measure(app, label: str, args, rng: random.Random) -> None:
    sample, top, top_rows = who_to_be(app, rng)
    figure(f"top sharer ledger rows ({label})", top_rows)
    pages = [
        Page("me page", "/", sample),
        Page("me page, top sharer", "/", [top]),
        Page("leaderboard page", "/leaderboard", sample),
        Page("leaderboard partial", "/leaderboard?period=month", sample, htmx=True),
    ]
    for n in range(args.warmup):
        for page in pages:
            page.hit(app, n, timed=False)
    for n in range(args.requests):
        for page in pages:
            page.hit(app, n)
    for page in pages:
        figure(f"{page.name} p50 ({label})", percentile(page.times, 0.50), "ms")
        figure(f"{page.name} p95 ({label})", percentile(page.times, 0.95), "ms")
    if args.profile:
        for page in pages:
            profile(app, page, label)


def profile(app, page: Page, label: str, requests: int = 50) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(requests):
        page.hit(app, n, timed=False)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(25)
    print(
        f"\n## profile: {page.name} ({label}), {requests} requests\n{out.getvalue()}",
        file=sys.stderr,
    )


def main() -> None:
    args = parse_args()
    env = Env("bench_pages", 7)
    rng = random.Random(args.seed)
    runs = [args.only] if args.only else ["demo", "big"]
    for which in runs:
        if not args.skip_setup:
            reset_stores(env)
        app = make_app()
        if which == "demo":
            label = "200 people"
            if not args.skip_setup:
                setup_demo(app)
        else:
            label = f"{args.people // 1000}k people, {args.events / 1e6:g}M events"
            if not args.skip_setup:
                setup_big(env, app, args.people, args.events, args.teams, args.seed, args.scoring)
        measure(app, label, args, rng)
        with app.app_context():
            from recognition.extensions import db

            db.engine.dispose()


if __name__ == "__main__":
    main()
