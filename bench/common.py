"""What the benchmarks share: the environment they run in, and bulk-loaded data.

Benchmarks wipe the database they are pointed at, so they insist on a
PostgreSQL database whose name contains "bench" (unless told otherwise).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import secrets
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EVENT_MIX = {"share": 25, "reshare": 10, "comment": 15, "like": 30, "click": 20}
NETWORK_MIX = {"linkedin": 55, "x": 20, "facebook": 12, "instagram": 8, "other": 5}


def fail(message: str) -> None:
    print(f"bench/{Path(sys.argv[0]).name}: {message}", file=sys.stderr)
    raise SystemExit(2)


def note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


class Env:
    """DATABASE_URL / REDIS_URL checked, plus the environment for child processes."""

    def __init__(self, example_database: str, example_redis_db: int, allow_any: bool = False):
        missing = [k for k in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(k)]
        if missing:
            fail(
                f"set {' and '.join(missing)}, e.g. "
                f"DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/{example_database} "
                f"REDIS_URL=redis://127.0.0.1:6379/{example_redis_db}"
            )
        from sqlalchemy.engine import make_url

        url = make_url(os.environ["DATABASE_URL"])
        if not url.drivername.startswith("postgresql"):
            fail(f"DATABASE_URL must be PostgreSQL (got {url.drivername!r})")
        if "bench" not in (url.database or "") and not allow_any:
            fail(
                f"this wipes database {url.database!r}; use a database named *bench* "
                "or pass --allow-any-database"
            )
        self.pg_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.pg_port = url.port or 5432
        self.redis_url = os.environ["REDIS_URL"]
        self.queue = os.environ.get("LAUREL_QUEUE", "laurel")
        self.org = os.environ.get("LAUREL_ORG", "laurel")
        self.tz = os.environ.get("LAUREL_TIMEZONE", "UTC")
        # The app insists on SECRET_KEY with DATABASE_URL: this process and its children.
        os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(16))
        self.child_env = dict(os.environ)
        self.child_env["PYTHONUNBUFFERED"] = "1"
        # The benches measure throughput; the per-token API limit would cap it.
        self.child_env.setdefault("LAUREL_RATE_LIMIT_API", "0")

    def pg(self, autocommit: bool = True):
        import psycopg

        return psycopg.connect(self.pg_url, autocommit=autocommit)


def signed_in_client(app, person_id: int):
    """A test client of `app` signed in as this person through a real server-side
    session, as the SSO or demo sign-in leaves them; its CSRF token is `bench-<id>`."""
    from recognition.extensions import db
    from recognition.sessions import start_session

    with app.app_context():
        secret = start_session(person_id)
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = secret
        session["csrf"] = f"bench-{person_id}"
    return client


def run_flask(env: Env, *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "app", *args],
        cwd=ROOT,
        env=env.child_env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        fail(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def reset_stores(env: Env) -> None:
    """An empty, migrated database and an empty Redis database."""
    import redis

    with env.pg() as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    run_flask(env, "db", "upgrade")
    redis.Redis.from_url(env.redis_url).flushdb()


def create_people(env: Env, people: int, teams: int, rng: random.Random) -> list[str]:
    """COPY teams and people in one transaction; returns the people's HR ids."""
    now = dt.datetime.now(dt.UTC)
    refs = [f"E{i:07d}" for i in range(1, people + 1)]
    with env.pg(autocommit=False) as conn, conn.cursor() as cur:
        with cur.copy("COPY teams (id, slug, name) FROM STDIN") as copy:
            for t in range(1, teams + 1):
                copy.write_row((t, f"team-{t:03d}", f"Team {t:03d}"))
        with cur.copy(
            "COPY employees (id, external_id, email, name, team_id, role, active, "
            "created_at, updated_at) FROM STDIN"
        ) as copy:
            for i, ref in enumerate(refs, start=1):
                team = min(1 + int(teams * rng.random() ** 1.5), teams)  # some teams bigger
                email = f"{ref.lower()}@bench.example"
                copy.write_row((i, ref, email, f"Person {i}", team, "employee", True, now, now))
        cur.execute("SELECT setval(pg_get_serial_sequence('teams', 'id'), %s)", (teams,))
        cur.execute("SELECT setval(pg_get_serial_sequence('employees', 'id'), %s)", (people,))
    return refs


def event_count(kind: str, rng: random.Random) -> int:
    """The `count` of a synthetic event: likes and clicks Pareto-distributed (a few
    posts draw most of them), comments mostly 1, shares and reshares always 1."""
    if kind in ("like", "click"):
        return min(int(rng.paretovariate(1.3)), 200)
    if kind == "comment":
        return rng.choice((1, 1, 1, 2, 3))
    return 1


def create_events(
    env: Env,
    refs: list[str],
    events: int,
    rng: random.Random,
    days: int = 90,
    held_share: float = 0.0,
) -> Counter:
    """COPY an event log straight into `events`, ids in (roughly) arrival order.

    A few people do most of the sharing; `held_share` of the events name an HR
    id nobody has (held events). Returns the count per type (and "held").
    """
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    span = days * 86400 - 900  # never in the future
    # A few people do most of the sharing: weight ~ 1 / rank^0.9.
    order = refs[:]
    rng.shuffle(order)
    cum = list(itertools.accumulate(1 / (k**0.9) for k in range(1, len(order) + 1)))
    who = rng.choices(order, cum_weights=cum, k=events)
    kinds_of = rng.choices(list(EVENT_MIX), list(EVENT_MIX.values()), k=events)
    nets = rng.choices(list(NETWORK_MIX), list(NETWORK_MIX.values()), k=events)
    # Events arrive about in the order they happened: sorted times, a little jitter.
    offsets = sorted((rng.random() * span for _ in range(events)), reverse=True)
    kinds: Counter = Counter()
    held = 0
    with env.pg(autocommit=False) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY events (id, source, external_id, type, employee_ref, network, occurred_at, "
            "content_id, count, payload_hash, received_at) FROM STDIN"
        ) as copy:
            chunk: list[str] = []
            for i in range(events):
                kind = kinds_of[i]
                kinds[kind] += 1
                count = event_count(kind, rng)
                ref = who[i]
                if held_share and rng.random() < held_share:
                    ref = f"H{rng.randrange(1000):06d}"  # nobody (yet): a held event
                    held += 1
                received = now - dt.timedelta(seconds=int(offsets[i]))
                occurred = received - dt.timedelta(seconds=int(rng.random() * 3600))
                chunk.append(
                    f"{i + 1}\tbench\tev-{i:09d}\t{kind}\t{ref}\t{nets[i]}\t"
                    f"{occurred.isoformat()}\tpost-{rng.randrange(events // 20 + 1)}\t{count}\t"
                    f"{i:064x}\t{received.isoformat()}\n"
                )
                if len(chunk) >= 10_000:
                    copy.write("".join(chunk))
                    chunk.clear()
            if chunk:
                copy.write("".join(chunk))
        cur.execute("SELECT setval(pg_get_serial_sequence('events', 'id'), %s)", (events,))
    with env.pg() as conn:
        # An established table: statistics and visibility map as autovacuum leaves them.
        conn.execute("VACUUM ANALYZE events")
        conn.execute("VACUUM ANALYZE employees")
    kinds["held"] = held
    return kinds
