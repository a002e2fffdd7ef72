"""Mentorship matching benchmark: a whole synthetic organisation paired at once.

Pure computation (recognition.mentorship.matching): no database, no Redis.

The organisation is deterministic for --seed: --mentees people asking (10,000)
and --mentors offering (1,000), 50 of them both, in --teams teams (50), over
--topics topics (40) whose popularity is Zipf-skewed (weight 1/rank^--zipf,
1.0: the top topic is ~40 times as popular as the last):
  mentees  want 1-3 topics; 30% ask for another team; 20% bookmarked 1-3
           mentors; 5% were declined by one mentor before; tier ranks 0-3;
           10% report to a mentor, the rest to another mentee
  mentors  offer 1-4 topics and share about 0-5 (demonstrated weight u^2 for
           u uniform in [0, 1)); capacity 1-5 open slots; tier ranks 2-4; 90%
           eligible and 90% open; half report to another mentor

Timed (median of --runs, each mode interleaved with the others; wall and CPU
time, the CPU time being steadier on a shared machine): match() in
both modes, the greedy baseline, and best fit with pruning forced on (the
default Pruning sizes, as a 10x larger organisation would get). Then one more
best-fit run under tracemalloc for its peak allocation (Python and numpy;
OR-Tools' own C++ memory is not traced, the process's peak RSS covers it).

Figures (stdout, `name: value unit`); notes on stderr prefixed `#`. The run
fails if best fit's total is below greedy's or most matched matches fewer
mentees than best fit.

    .venv/bin/python bench/mentorship.py            # --help for options
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognition.mentorship.matching import (  # noqa: E402
    MatchResult,
    Mentee,
    Mentor,
    Mode,
    Pruning,
    greedy_baseline,
    match,
)

BOTH_ROLES = 50  # people who are mentee and mentor at once (never paired with themselves)
TIER_NAMES = {0: "Newcomer", 1: "Advocate", 2: "Influencer", 3: "Thought Leader", 4: "Luminary"}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mentees", type=int, default=10_000, help="people asking (10000)")
    p.add_argument("--mentors", type=int, default=1_000, help="people offering (1000)")
    p.add_argument("--teams", type=int, default=50, help="teams (50)")
    p.add_argument("--topics", type=int, default=40, help="topics (40)")
    p.add_argument("--zipf", type=float, default=1.0, help="topic popularity exponent (1.0)")
    p.add_argument("--runs", type=int, default=5, help="timed runs per mode, medians (5)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    args = p.parse_args()
    if args.mentees < 1 or args.mentors <= BOTH_ROLES or args.teams < 1 or args.topics < 5:
        p.error(f"needs >= 1 mentee, > {BOTH_ROLES} mentors, >= 1 team and >= 5 topics")
    if args.runs < 1:
        p.error("--runs must be positive")
    return args


def note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def organisation(args) -> tuple[list[Mentee], list[Mentor]]:
    rng = random.Random(args.seed)
    popularity = [1 / rank**args.zipf for rank in range(1, args.topics + 1)]

    def topics(count: int) -> frozenset[int]:
        chosen: set[int] = set()
        while len(chosen) < count:
            chosen.add(rng.choices(range(args.topics), popularity)[0])
        return frozenset(chosen)

    first_mentor = args.mentees - BOTH_ROLES + 1
    mentor_ids = list(range(first_mentor, first_mentor + args.mentors))
    mentors = [
        Mentor(
            mid,
            offers=topics(rng.randint(1, 4)),
            shares={t: rng.random() ** 2 for t in topics(rng.randint(0, 5))},
            team=rng.randrange(args.teams),
            manager_id=rng.choice(mentor_ids) if rng.random() < 0.5 else None,
            tier_rank=rng.choice((2, 2, 3, 3, 4)),
            open_slots=rng.randint(1, 5),
            eligible=rng.random() < 0.9,
            open=rng.random() < 0.9,
        )
        for mid in mentor_ids
    ]
    mentees = [
        Mentee(
            i,
            wants=topics(rng.randint(1, 3)),
            team=rng.randrange(args.teams),
            manager_id=(
                rng.choice(mentor_ids) if rng.random() < 0.1 else rng.randint(1, args.mentees)
            ),
            tier_rank=rng.choice((0, 1, 1, 2, 2, 3)),
            bookmarks=(
                frozenset(rng.sample(mentor_ids, rng.randint(1, 3)))
                if rng.random() < 0.2
                else frozenset()
            ),
            declined_by=frozenset([rng.choice(mentor_ids)]) if rng.random() < 0.05 else frozenset(),
            prefers_other_team=rng.random() < 0.3,
        )
        for i in range(1, args.mentees + 1)
    ]
    return mentees, mentors


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    mentees, mentors = organisation(args)
    topic_names = {t: f"Topic {t:02d}" for t in range(args.topics)}
    note(
        f"organisation of {len(mentees):,} mentees and {len(mentors):,} mentors "
        f"({sum(m.open_slots for m in mentors if m.available):,} open slots of eligible, "
        f"open mentors) built in {time.perf_counter() - started:.1f}s; "
        f"peak RSS so far {rss_mb():.0f} MB"
    )
    runs = {
        "best fit": lambda: match(mentees, mentors, mode=Mode.BEST_FIT, topic_names=topic_names),
        "most matched": lambda: match(
            mentees, mentors, mode=Mode.MOST_MATCHED, topic_names=topic_names
        ),
        "greedy": lambda: greedy_baseline(mentees, mentors, topic_names=topic_names),
        "best fit pruned": lambda: match(
            mentees, mentors, topic_names=topic_names, pruning=Pruning(above_pairs=0)
        ),
    }
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    results: dict[str, MatchResult] = {}
    for run in range(args.runs):
        for name, call in runs.items():
            t, c = time.perf_counter(), time.process_time()
            results[name] = call()
            seconds[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
        note(
            f"run {run + 1}: "
            + ", ".join(f"{n} {s[-1]:.2f}s (cpu {cpu[n][-1]:.2f}s)" for n, s in seconds.items())
        )

    tracemalloc.start()
    runs["best fit"]()
    traced = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()

    best, most, greedy = results["best fit"], results["most matched"], results["greedy"]
    pruned = results["best fit pruned"]
    print(f"candidate pairs: {best.candidate_pairs} pairs")
    print(f"pruned candidate pairs: {pruned.considered_pairs} pairs")
    for name in runs:
        print(f"{name} time: {statistics.median(seconds[name]):.2f} s median")
        print(f"{name} cpu: {statistics.median(cpu[name]):.2f} s median")
    print(f"best fit traced peak: {traced:.0f} MB")
    print(f"peak rss: {rss_mb():.0f} MB")
    for name, result in results.items():
        print(f"{name} total fit: {result.total_fit:.3f} fit")
    print(f"best fit/greedy: {best.total_units / greedy.total_units:.3f} ratio")
    print(f"most matched/greedy: {most.total_units / greedy.total_units:.3f} ratio")
    print(f"best fit pruned/best fit: {pruned.total_units / best.total_units:.4f} ratio")
    for name, result in results.items():
        print(f"{name} matched: {100 * result.matched_share:.2f} %")
        print(f"{name} mean fit: {result.mean_fit:.3f} fit")
        if not result.pruned:
            load_figures(name, result)
    reasons = Counter(u.reason.value for u in best.unmatched)
    note("best fit unmatched: " + ", ".join(f"{r} {c}" for r, c in reasons.most_common()))
    note(f"a pair: {best.pairs[0].explanation!r}" if best.pairs else "no pairs")
    if best.total_units < greedy.total_units or len(most.pairs) < len(best.pairs):
        raise SystemExit("the solver lost to greedy, or most matched matched fewer: a bug")


def load_figures(name: str, result: MatchResult) -> None:
    """How the pairs spread over the mentors who could take someone."""
    slots = sum(m.open_slots for m in result.load)
    assigned = [m.assigned for m in result.load]
    filled = [m.assigned / m.open_slots for m in result.load]
    idle = sum(1 for a in assigned if a == 0)
    print(f"{name} slots filled: {100 * sum(assigned) / slots:.1f} %")
    print(f"{name} mentors without a mentee: {100 * idle / len(assigned):.1f} %")
    print(f"{name} mentors full: {100 * sum(1 for f in filled if f == 1) / len(filled):.1f} %")
    print(f"{name} mentees per mentor: {statistics.mean(assigned):.2f} mean")
    print(f"{name} mentees per mentor stdev: {statistics.pstdev(assigned):.2f} mentees")


if __name__ == "__main__":
    main()
