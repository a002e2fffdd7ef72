"""Kudos benchmark: the recognition feed and a give, at 100k people and 1M kudos.

Server time is one request through the whole Flask app with its test client
(routing, the server-side session, CSRF, queries, Redis, templates), no network
and no browser, as bench/pages.py measures pages.

Dataset (from scratch: drop and recreate the `public` schema of DATABASE_URL,
`flask db upgrade`, flush the Redis db of REDIS_URL):
  --people (100,000) people in --teams (50) teams, COPY'd as bench/pages.py does;
  --kudos (1,000,000) kudos over the last 90 days, newest last, written with
  INSERT ... SELECT in PostgreSQL: random givers, one receiver each and a second
  one for every fifth, 0, 5 or 10 points, a value on two in three; each receipt
  has its ledger row (cause `kudos`, rule `kudos_received`), as a give writes it;
  one reaction on every third kudos and a comment on every tenth. Then
  rebuild_derived() (rollups, totals, Redis boards) and VACUUM ANALYZE.

Timed, --requests (200) each after --warmup (20) untimed, interleaved:
  feed page            GET /kudos                     the company feed (20 kudos,
                                                      receivers, reactions, comments)
  feed, load more      GET /kudos?before=<id>         htmx, at a random depth
  team feed            GET /kudos?team=<slug>         the biggest team's received kudos
  give (form)          POST /kudos/give               as a new giver each time, 5 points
                                                      to a random colleague: the allowance
                                                      and pair rows, the kudos, receipts,
                                                      ledger rows, badge progress, the
                                                      notification and the board refresh
  give (API)           POST /api/v1/kudos             the same through a token, with an
                                                      Idempotency-Key

Figures (stdout, `name: value unit`): p50 and p95 in milliseconds. Target: p95
under 50 ms for the feed page and for a give (the write included).

The database is wiped: the script refuses a database whose name lacks "bench".

    psql -h 127.0.0.1 -U postgres -c 'create database bench_kudos'
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_kudos \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/kudos.py
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

from common import ROOT, Env, create_people, fail, note, reset_stores, signed_in_client

sys.path.insert(0, str(ROOT))

DAYS = 90


def figure(name: str, value, unit: str = "") -> None:
    if isinstance(value, float):
        value = f"{value:.1f}"
    print(f"{name}: {value} {unit}".rstrip(), flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--people", type=int, default=100_000, help="people (100,000)")
    p.add_argument("--kudos", type=int, default=1_000_000, help="kudos (1,000,000)")
    p.add_argument("--teams", type=int, default=50, help="teams (50)")
    p.add_argument("--requests", type=int, default=200, help="timed requests per case (200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed requests per case (20)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.add_argument("--skip-setup", action="store_true", help="measure the data already loaded")
    return p.parse_args()


def load_kudos(env: Env, people: int, kudos: int) -> None:
    """1M kudos with receipts, ledger rows, reactions and comments, in SQL."""
    span = f"{DAYS} days"
    with env.pg(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            """
            INSERT INTO kudos (id, giver_id, message, value, points, month, request_hash,
                               settings_version, created_at)
            SELECT g, 1 + floor(random() * %(people)s)::int,
                   'Thanks for the launch post, number ' || g || '!',
                   (ARRAY['teamwork', 'customers', NULL])[1 + g %% 3],
                   (ARRAY[0, 5, 10])[1 + floor(random() * 3)::int],
                   date_trunc('month', at)::date, 'bench', 0, at
            FROM (SELECT g, now() - %(span)s::interval * (%(kudos)s - g) / %(kudos)s AS at
                  FROM generate_series(1, %(kudos)s) AS g) AS s
            """,
            {"people": people, "kudos": kudos, "span": span},
        )
        # Receivers other than the giver and each other: offsets `off` and `off + 1`
        # (1..people-1) around the ring of ids.
        cur.execute(
            """
            INSERT INTO kudos_receipts (kudos_id, receiver_id, points)
            SELECT k.id, 1 + (k.giver_id - 1 + o.off + r.n - 1) %% %(people)s, k.points
            FROM kudos AS k
            CROSS JOIN LATERAL (
                SELECT 1 + floor(random() * (%(people)s - 2) + 0 * k.id)::int AS off
            ) AS o
            CROSS JOIN LATERAL (SELECT 1 AS n UNION ALL SELECT 2 WHERE k.id %% 5 = 0) AS r
            ORDER BY k.id, r.n
            """,
            {"people": people},
        )
        cur.execute(
            """
            INSERT INTO point_awards (generation, employee_id, cause_type, cause_id, rule,
                                      quantity, points, base_points, capped, ruleset_version,
                                      reason, local_day, occurred_at, created_at)
            SELECT 1, r.receiver_id, 'kudos', r.id, 'kudos_received', 1, r.points, r.points,
                   false, 1, 'Kudos from a colleague', k.created_at::date, k.created_at,
                   k.created_at
            FROM kudos_receipts AS r JOIN kudos AS k ON k.id = r.kudos_id
            """
        )
        cur.execute(
            """
            INSERT INTO kudos_reactions (kudos_id, employee_id, created_at)
            SELECT k.id, 1 + (k.giver_id + 7) %% %(people)s, k.created_at
            FROM kudos AS k WHERE k.id %% 3 = 0
            """,
            {"people": people},
        )
        cur.execute(
            """
            INSERT INTO kudos_comments (kudos_id, author_id, message, created_at)
            SELECT k.id, 1 + (k.giver_id + 11) %% %(people)s, 'So well deserved!', k.created_at
            FROM kudos AS k WHERE k.id %% 10 = 0
            """,
            {"people": people},
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('kudos', 'id'), %s)", (kudos,))
        conn.commit()


def setup(env: Env, app, args) -> None:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    create_people(env, args.people, args.teams, rng)
    from recognition.extensions import db
    from scoring.rulesets import ensure_scoring_setup

    with app.app_context():
        ensure_scoring_setup()  # generation 1 and ruleset 1, which the ledger rows name
        db.session.commit()
        db.session.remove()
    load_kudos(env, args.people, args.kudos)
    note(
        f"setup: {args.people} people, {args.kudos} kudos in {time.perf_counter() - started:.0f} s"
    )
    started = time.perf_counter()
    with app.app_context():
        from scoring.ledger import rebuild_derived

        result = rebuild_derived()
        db.session.remove()
    note(f"rebuild_derived in {time.perf_counter() - started:.0f} s: {result}")
    with env.pg() as conn:
        conn.execute("VACUUM ANALYZE")


class Case:
    def __init__(self, name: str):
        self.name = name
        self.times: list[float] = []

    def timed(self, timed: bool, call, *args, **kwargs) -> None:
        started = time.perf_counter()
        resp = call(*args, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status_code not in (200, 201, 302):
            fail(f"{self.name}: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
        resp.close()
        if timed:
            self.times.append(elapsed)


def measure(app, args) -> None:
    from sqlalchemy import func, select

    from recognition.extensions import db
    from recognition.kudos.models import Kudos
    from recognition.people import Employee, Team
    from recognition.tokens import create_token

    rng = random.Random(args.seed + 1)
    with app.app_context():
        people = db.session.scalar(select(func.max(Employee.id)))
        top_kudos = db.session.scalar(select(func.max(Kudos.id)))
        team = db.session.execute(
            select(Team.slug, func.count())
            .join(Employee, Employee.team_id == Team.id)
            .group_by(Team.slug)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        _, secret = create_token("bench-chat", ["kudos:write", "read"])
        refs = dict(db.session.execute(select(Employee.id, Employee.external_id)).all())
        db.session.remove()
    figure("team feed members", team[1])
    readers = [signed_in_client(app, rng.randint(1, people)) for _ in range(20)]
    total = args.warmup + args.requests
    # Givers who have given nothing this month, one per give; never their own receiver.
    givers = rng.sample(range(1, people + 1), 2 * total)
    form_givers, api_givers = givers[:total], givers[total:]
    cases = {
        "feed page": Case("feed page"),
        "feed, load more": Case("feed, load more"),
        "team feed": Case("team feed"),
        "give (form)": Case("give (form)"),
        "give (API)": Case("give (API)"),
    }
    bearer = {"Authorization": f"Bearer {secret}"}

    def receiver_for(giver: int) -> int:
        other = rng.randint(1, people - 1)
        return other + 1 if other >= giver else other

    for n in range(total):
        timed = n >= args.warmup
        reader = readers[n % len(readers)]
        cases["feed page"].timed(timed, reader.get, "/kudos")
        before = rng.randint(1000, top_kudos)
        cases["feed, load more"].timed(
            timed, reader.get, f"/kudos?before={before}", headers={"HX-Request": "true"}
        )
        cases["team feed"].timed(timed, reader.get, f"/kudos?team={team[0]}")
        giver = form_givers[n]
        client = signed_in_client(app, giver)
        form = {
            "csrf_token": f"bench-{giver}",
            "form_token": f"bench-{n}",
            "receivers": refs[receiver_for(giver)],
            "message": "Thanks for the great demo yesterday!",
            "value": "teamwork",
            "points": "5",
        }
        cases["give (form)"].timed(timed, client.post, "/kudos/give", data=form)
        api_giver = api_givers[n]
        body = {
            "giver_id": refs[api_giver],
            "receiver_ids": [refs[receiver_for(api_giver)]],
            "message": "Thanks for the great demo yesterday!",
            "points": 5,
        }
        headers = {**bearer, "Idempotency-Key": f"bench-{n}"}
        cases["give (API)"].timed(timed, client.post, "/api/v1/kudos", json=body, headers=headers)
    for case in cases.values():
        figure(f"{case.name} p50", percentile(case.times, 0.50), "ms")
        figure(f"{case.name} p95", percentile(case.times, 0.95), "ms")


def main() -> None:
    args = parse_args()
    env = Env("bench_kudos", 8)
    os.environ.setdefault("LAUREL_RATE_LIMIT_API", "0")  # a throughput bench, one token
    from app import create_app

    if not args.skip_setup:
        reset_stores(env)
    app = create_app()
    if not args.skip_setup:
        setup(env, app, args)
    figure("people", args.people)
    figure("kudos", args.kudos)
    measure(app, args)
    with app.app_context():
        from recognition.extensions import db

        db.engine.dispose()


if __name__ == "__main__":
    main()
