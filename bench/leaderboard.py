"""Leaderboard read benchmark: "top 10 + my rank + 2 neighbours each side" on big boards.

For each size (people on the board) it fills, directly in Redis, this week's org
board (a sorted set of integer points from a skewed distribution, so many ties),
plus the people hash (member -> JSON [employee_id, name, team]) and the ids
hash (employee_id -> member) that the read script uses. Keys live under a
board family of their own (`lb:{bench-lb-<size>}:...`) and are deleted after.

Then, for --samples random people, interleaved so both see the same noise:
  service   BoardReader(r, boards).read(window, None, 10, around=<employee_id>):
            the real code path (one EVALSHA of the read script + decoding to Entries)
  raw       the same reads with plain redis-py pipelines, no Lua; the reads depend
            on each other, so it takes 4 round trips:
              1. ZCARD board, ZREVRANGE board 0 9 WITHSCORES, HGET ids <employee_id>
              2. ZREVRANK board <member>
              3. ZREVRANGE board <rank-2> <rank+2> WITHSCORES, HMGET people <top 10>
              4. ZCOUNT board (<first neighbour's points> +inf, HMGET people <neighbours>
            and the same decoding (points to int, names from JSON, tie-aware ranks).
Both answers are checked against each other and against ranks from ZCOUNT.

Figures (stdout, `name: value unit`), per size: median and p95 in microseconds for
both, the service/raw ratio of medians (target <= 1.5), and at the end the ratio of
the service median at the largest size to the smallest (target <= 2).

    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/leaderboard.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.leaderboard import BoardReader, Boards, PersonCard  # noqa: E402
from scoring.periods import Window, window_for  # noqa: E402

CHUNK = 10_000
TEAMS = 50


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="comma-separated board sizes (10000,100000,1000000)",
    )
    p.add_argument("--samples", type=int, default=500, help="random 'me' people per size (500)")
    p.add_argument("--warmup", type=int, default=50, help="untimed reads first (50)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    args = p.parse_args()
    try:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        p.error("--sizes takes whole numbers separated by commas")
    if not args.sizes or min(args.sizes) < 20:
        p.error("--sizes needs sizes of at least 20")
    if args.samples < 1:
        p.error("--samples must be positive")
    return args


def points(rng: random.Random) -> int:
    """Skewed integer points: most people have a few, a long tail has thousands; many ties."""
    return min(int(rng.paretovariate(1.1) * 5), 50_000)


def fill(r, boards: Boards, window: Window, size: int, rng: random.Random) -> None:
    board = boards.key(window)
    pipe = r.pipeline(transaction=False)
    for start in range(1, size + 1, CHUNK):
        members = range(start, min(start + CHUNK, size + 1))
        pipe.zadd(board, {str(i): points(rng) for i in members})
        cards = [
            PersonCard(str(i), f"E{i:07d}", f"Person {i}", f"team-{i % TEAMS}") for i in members
        ]
        pipe.hset(boards.people, mapping={c.member: c.as_json() for c in cards})
        pipe.hset(boards.ids, mapping={c.employee_id: c.member for c in cards})
        if len(pipe) >= 30:
            pipe.execute()
    pipe.execute()


def cleanup(r, boards: Boards) -> None:
    keys = list(r.scan_iter(match=f"{boards.prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        r.unlink(*keys[start : start + 500])


def raw_read(r, board: str, people: str, ids: str, limit: int, who: str):
    """The service's reads with plain redis-py: (total, top, around), rows (rank, member, name, points)."""
    pipe = r.pipeline(transaction=False)
    pipe.zcard(board)
    pipe.zrevrange(board, 0, limit - 1, withscores=True, score_cast_func=int)
    pipe.hget(ids, who)
    total, top, member = pipe.execute()
    pos = r.zrevrank(board, member) if member is not None else None
    start = 0 if pos is None else max(pos - 2, 0)
    pipe = r.pipeline(transaction=False)
    if pos is not None:
        pipe.zrevrange(board, start, pos + 2, withscores=True, score_cast_func=int)
    if top:
        pipe.hmget(people, [m for m, _ in top])
    answers = pipe.execute()
    near = answers.pop(0) if pos is not None else []
    top_names = answers.pop(0) if top else []
    above, near_names = 0, []
    if near:
        pipe = r.pipeline(transaction=False)
        pipe.zcount(board, f"({near[0][1]}", "+inf")
        pipe.hmget(people, [m for m, _ in near])
        above, near_names = pipe.execute()
    return total, _rows(top, 0, 0, top_names), _rows(near, start, above, near_names)


def _rows(pairs, start: int, above: int, names) -> list[tuple[int, str, str, int]]:
    rows: list[tuple[int, str, str, int]] = []
    for offset, ((member, score), raw) in enumerate(zip(pairs, names, strict=True)):
        if rows and score == rows[-1][3]:
            rank = rows[-1][0]
        elif not rows:
            rank = above + 1
        else:
            rank = start + offset + 1
        employee_id = json.loads(raw)[0] if raw else member.decode()
        rows.append((rank, member.decode(), employee_id, score))
    return rows


def check(r, board: str, view, raw) -> None:
    """Service and raw agree, and every rank is 1 + the number of people strictly ahead."""
    total, top, near = raw
    service_top = [(e.rank, e.member, e.employee_id, e.points) for e in view.entries]
    service_near = [(e.rank, e.member, e.employee_id, e.points) for e in view.around]
    if (view.total, service_top, service_near) != (total, top, near):
        raise SystemExit(f"service and raw reads disagree:\n{view}\n{raw}")
    for rank, _, _, pts in top + near:
        if rank != 1 + r.zcount(board, f"({pts}", "+inf"):
            raise SystemExit(f"rank {rank} for {pts} points is not a competition rank")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def bench_size(r, size: int, args, window: Window) -> float:
    rng = random.Random(args.seed + size)
    boards = Boards(f"bench-lb-{size}")
    cleanup(r, boards)
    try:
        t = time.perf_counter()
        fill(r, boards, window, size, rng)
        print(f"# {size}: filled in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        reader = BoardReader(r, boards)
        board = boards.key(window)
        people = [f"E{rng.randint(1, size):07d}" for _ in range(args.samples + args.warmup)]
        service_us: list[float] = []
        raw_us: list[float] = []
        clock = time.perf_counter_ns
        for i, who in enumerate(people):
            timed = i >= args.warmup
            # Alternate which goes first, so neither always gets a warm cache line.
            for which in ("service", "raw") if i % 2 else ("raw", "service"):
                t0 = clock()
                if which == "service":
                    view = reader.read(window, None, 10, around=who)
                else:
                    raw = raw_read(r, board, boards.people, boards.ids, 10, who)
                elapsed = (clock() - t0) / 1000
                if timed:
                    (service_us if which == "service" else raw_us).append(elapsed)
            if i < args.warmup:
                check(r, board, view, raw)
    finally:
        cleanup(r, boards)
    service, raw_med = statistics.median(service_us), statistics.median(raw_us)
    print(f"service {size}: {service:.0f} us median")
    print(f"service {size} p95: {pct(service_us, 0.95):.0f} us")
    print(f"raw {size}: {raw_med:.0f} us median")
    print(f"raw {size} p95: {pct(raw_us, 0.95):.0f} us")
    print(f"service/raw {size}: {service / raw_med:.2f} ratio")
    sys.stdout.flush()
    return service


def main() -> None:
    args = parse_args()
    url = os.environ.get("REDIS_URL")
    if not url:
        raise SystemExit(
            "bench/leaderboard.py: set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/5"
        )
    import redis

    r = redis.Redis.from_url(url)
    r.ping()
    window = window_for("week", dt.date.today())
    service = {size: bench_size(r, size, args, window) for size in args.sizes}
    small, large = min(args.sizes), max(args.sizes)
    if large != small:
        print(f"service {large}/{small}: {service[large] / service[small]:.2f} ratio")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted (keys of the size in progress were deleted)", file=sys.stderr)
        raise SystemExit(130) from None
