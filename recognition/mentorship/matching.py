"""Mentorship matching: every mentee and mentor of the organisation paired at once.

Plain Python over plain data, no Flask, SQL or Redis. The caller (the
mentorship service) loads the profiles as `Mentee` and `Mentor`, takes the
organisation's `Weights` and the admin's `Mode`, calls `match`, and stores the
`MatchResult` as a draft: the pairs with their fit and an explanation in words,
the mean fit, who stays unmatched and why, and every mentor's load. `fit`,
`exclusion` and `explain` answer for a single pair (a profile page, a test).

How a run works:

1. Candidate pairs. A pair is a candidate if no hard constraint forbids it
   (`exclusion`), the mentor offers or shares about a topic the mentee wants or
   was bookmarked by them (`relevant`), and its fit is positive. They are found
   with numpy arrays, a block of mentees at a time, and agree exactly with the
   one-pair functions. Very large organisations are pruned (`Pruning`); the
   10,000 x 1,000 benchmark (4.1 million candidate pairs) is not.
2. The assignment: a min-cost flow over the candidate pairs (`_solve`), exact:
   fits are whole thousandths (`FIT_SCALE`), so totals, ties and the brute force
   in the tests agree to the last digit. People are sorted by id first, so the
   same input, in any order, gives the same output.

Why OR-Tools' min-cost flow. Candidates measured on the benchmark's 4.1 million
candidate pairs on this project's 2-core machine (solver time alone; best fit /
most matched):

    OR-Tools SimpleMinCostFlow   2.7 s / 3.0 s   0.6 GB RSS  integer costs; a
                                 mentor's capacity is one arc, so one arc per pair;
                                 "maximum flow, then least cost" is built in
    SciPy min_weight_full_       10.4 s / 8.0 s  1.7 GB      one column per open slot
      bipartite_matching (LAPJVsp)                           (3x the arcs) plus an
                                                             "unmatched" column per
                                                             mentee; float costs
    HiGHS LP (highspy, simplex)  6.8 s / 12.0 s  0.7 GB      on 0.6 million pruned
                                                             pairs only; integral only
                                                             at simplex vertices
    networkx min_cost_flow       80 s / 100 s                pure Python, 0.6 million
                                                             pruned pairs

OR-Tools is the fastest, needs the least memory and works in integers, so it
is exact. Its weight: a 30 MB wheel (80 MB installed) that also pulls pandas,
protobuf, absl-py and immutabledict (about 90 MB more; none of them is
imported by this module, which imports in about 0.1 s); SciPy is a 35 MB wheel
(143 MB installed). Both need numpy, which the candidate search uses anyway.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from ortools.graph.python import min_cost_flow

__all__ = [
    "FIT_SCALE",
    "Exclusion",
    "MatchResult",
    "Mentee",
    "Mentor",
    "MentorLoad",
    "Mode",
    "Pair",
    "Pruning",
    "Reason",
    "Unmatched",
    "Weights",
    "exclusion",
    "explain",
    "fit",
    "fit_units",
    "greedy_baseline",
    "is_candidate",
    "match",
    "relevant",
]

PersonId = int | str
Topic = Hashable

# Fits are counted in thousandths ("units"): every fit is an exact integer, so the
# solver's totals, ties and the brute force in the tests agree to the last digit.
FIT_SCALE = 1000
# Keeps every fit, in units, far inside 32 bits and the solver's cost range.
MAX_WEIGHT = 100
# Demonstrated weights are quantised to the same thousandths before they are used;
# a weight under 0.0005 counts as "does not share about it".
SHARE_SCALE = 1000


# ---------------------------------------------------------------------------
# Inputs


def _frozen(values: Iterable) -> frozenset:
    return values if isinstance(values, frozenset) else frozenset(values)


@dataclass(frozen=True)
class Mentee:
    """Someone who asked for a mentor.

    `wants`: topics they want to grow in. `bookmarks`: mentors they bookmarked.
    `declined_by`: mentors who declined a proposal to them before (never proposed
    again). `prefers_other_team`: they asked for a mentor from another team.
    `tier_rank`: their tier's position (0 = no tier yet, higher = further along).
    """

    id: PersonId
    wants: frozenset[Topic] = frozenset()
    team: Hashable | None = None
    manager_id: PersonId | None = None
    tier_rank: int = 0
    bookmarks: frozenset[PersonId] = frozenset()
    declined_by: frozenset[PersonId] = frozenset()
    prefers_other_team: bool = False

    def __post_init__(self) -> None:
        for name in ("wants", "bookmarks", "declined_by"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        _check_rank(self.tier_rank, f"mentee {self.id!r}")


@dataclass(frozen=True)
class Mentor:
    """Someone who offered to mentor.

    `offers`: topics they offer. `shares`: topic -> weight in [0, 1], how strongly
    what they shared demonstrates the topic (computed elsewhere from their shares,
    weighted by the engagement those earned). `open_slots`: mentees they can still
    take (their capacity less their current mentees). `eligible`: their tier allows
    mentoring; `open`: they have not paused.
    """

    id: PersonId
    offers: frozenset[Topic] = frozenset()
    shares: Mapping[Topic, float] = field(default_factory=dict, hash=False)
    team: Hashable | None = None
    manager_id: PersonId | None = None
    tier_rank: int = 0
    open_slots: int = 1
    eligible: bool = True
    open: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "offers", _frozen(self.offers))
        object.__setattr__(self, "shares", MappingProxyType(dict(self.shares)))
        _check_rank(self.tier_rank, f"mentor {self.id!r}")
        if not isinstance(self.open_slots, int) or self.open_slots < 0:
            raise ValueError(f"mentor {self.id!r}: open_slots must be a whole number >= 0")
        for topic, weight in self.shares.items():
            if not (isinstance(weight, int | float) and 0.0 <= weight <= 1.0):
                raise ValueError(f"mentor {self.id!r}: weight of {topic!r} must be in [0, 1]")

    @property
    def available(self) -> bool:
        """Eligible, open and with a free slot: may be proposed at all."""
        return self.eligible and self.open and self.open_slots > 0

    def shares_units(self, topic: Topic) -> int:
        """How strongly they demonstrate `topic`, in thousandths (0 if not at all)."""
        return round(self.shares.get(topic, 0.0) * SHARE_SCALE)


def _check_rank(rank: int, who: str) -> None:
    if not isinstance(rank, int) or rank < 0:
        raise ValueError(f"{who}: tier_rank must be a whole number >= 0")


@dataclass(frozen=True)
class Weights:
    """How much each part of a fit counts. Each weight is rounded to thousandths.

    A fit is the sum of:
    - `offered` x the share of the mentee's wanted topics the mentor offers
      (all of them: the full weight);
    - `demonstrated` x the mentor's mean demonstrated weight over the mentee's
      wanted topics (the full weight if they share strongly about every one).
      It outweighs `offered` by default: what people actually share says more
      than what they claim;
    - `tier_gap` x (mentor's tier rank - mentee's, capped at +/- `tier_gap_cap`)
      / `tier_gap_cap`: a mentor further along counts more, one behind counts
      against;
    - `cross_team` if they are on different teams (mentoring spreads what people
      know across teams), or `cross_team_asked` instead for a mentee who asked
      for a mentor from another team;
    - `bookmark` if the mentee bookmarked the mentor, plus
      `bookmark_after_decline` if a proposal to this mentee was declined before:
      their bookmarked mentors then come first. The default is large enough that
      every bookmarked mentor outranks every other one for that mentee.
    """

    offered: float = 1.0
    demonstrated: float = 1.5
    tier_gap: float = 0.3
    tier_gap_cap: int = 2
    cross_team: float = 0.1
    cross_team_asked: float = 0.4
    bookmark: float = 0.5
    bookmark_after_decline: float = 3.5

    def __post_init__(self) -> None:
        for name in (
            "offered",
            "demonstrated",
            "tier_gap",
            "cross_team",
            "cross_team_asked",
            "bookmark",
            "bookmark_after_decline",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value <= MAX_WEIGHT):
                raise ValueError(f"weight {name} must be a number from 0 to {MAX_WEIGHT}")
        if not isinstance(self.tier_gap_cap, int) or self.tier_gap_cap < 1:
            raise ValueError("weight tier_gap_cap must be a whole number >= 1")

    def units(self, name: str) -> int:
        return round(getattr(self, name) * FIT_SCALE)


@dataclass(frozen=True)
class Pruning:
    """Fewer candidate pairs for very large organisations. The optimum over the
    kept pairs may fall a little short of the true one, so it is a last resort.

    Only once the organisation has more than `above_pairs` candidate pairs (the
    default is about twice the 10,000 x 1,000 benchmark, which the solver takes
    whole in a few seconds): a pair is then kept if it is among the mentee's
    `per_mentee` best fits, or among the mentor's `per_slot` x open slots best
    fits (ties by order of id; the mentor side is counted within each block of
    about a million mentee x mentor cells, so a little more than that is kept).
    Keeping the mentor side matters: forced on for the benchmark, the mentee
    side alone (64) lost 1.5% of the matches and 2.6% of the total fit, while
    both sides keep 0.93 of its 4.1 million pairs and reach the same total fit.
    `per_mentee=None` turns pruning off; small organisations are never pruned.
    """

    per_mentee: int | None = 64
    per_slot: int = 25
    above_pairs: int = 8_000_000

    def __post_init__(self) -> None:
        if self.per_mentee is not None and self.per_mentee < 1:
            raise ValueError("pruning per_mentee must be >= 1 (or None for no pruning)")
        if self.per_slot < 0:
            raise ValueError("pruning per_slot must be >= 0")
        if self.above_pairs < 0:
            raise ValueError("pruning above_pairs must be >= 0")


class Mode(enum.StrEnum):
    """`BEST_FIT`: the largest total fit; a mentee may stay unmatched even though
    a mentor would take them, if that leaves a better pair for someone else.
    `MOST_MATCHED`: as many mentees matched as possible, then the largest total
    fit among those matchings."""

    BEST_FIT = "best_fit"
    MOST_MATCHED = "most_matched"


# ---------------------------------------------------------------------------
# One pair: hard constraints, fit, explanation


class Exclusion(enum.StrEnum):
    """Why a pair may never be proposed (the hard constraints besides capacity)."""

    SELF = "self"
    MANAGER = "manager"  # the mentor is the mentee's manager
    REPORT = "report"  # the mentee is the mentor's manager
    DECLINED = "declined"
    UNAVAILABLE = "unavailable"  # not eligible, paused, or no free slot


def exclusion(mentee: Mentee, mentor: Mentor) -> Exclusion | None:
    """The hard constraint the pair breaks, or None if it may be proposed."""
    if mentee.id == mentor.id:
        return Exclusion.SELF
    if mentee.manager_id is not None and mentee.manager_id == mentor.id:
        return Exclusion.MANAGER
    if mentor.manager_id is not None and mentor.manager_id == mentee.id:
        return Exclusion.REPORT
    if mentor.id in mentee.declined_by:
        return Exclusion.DECLINED
    if not mentor.available:
        return Exclusion.UNAVAILABLE
    return None


def _div_round(numerator, denominator):
    """numerator / denominator rounded half up, in integers (Python ints or numpy
    int64 arrays alike, so the scalar and the vectorised fits agree exactly)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _cross_team(mentee: Mentee, mentor: Mentor) -> bool:
    return mentee.team is not None and mentor.team is not None and mentee.team != mentor.team


def fit_units(mentee: Mentee, mentor: Mentor, weights: Weights) -> int:
    """The pair's fit in thousandths (see `Weights`), hard constraints aside."""
    wanted = len(mentee.wants)
    offered = len(mentee.wants & mentor.offers)
    shared = sum(mentor.shares_units(t) for t in mentee.wants)
    topics = _div_round(
        weights.units("offered") * SHARE_SCALE * offered + weights.units("demonstrated") * shared,
        SHARE_SCALE * max(wanted, 1),
    )
    cap = weights.tier_gap_cap
    gap = max(-cap, min(cap, mentor.tier_rank - mentee.tier_rank))
    units = topics + _div_round(weights.units("tier_gap") * gap, cap)
    if _cross_team(mentee, mentor):
        units += weights.units("cross_team_asked" if mentee.prefers_other_team else "cross_team")
    if mentor.id in mentee.bookmarks:
        units += weights.units("bookmark")
        if mentee.declined_by:
            units += weights.units("bookmark_after_decline")
    return units


def fit(mentee: Mentee, mentor: Mentor, weights: Weights | None = None) -> float:
    """The pair's fit (see `Weights`), to three decimals, hard constraints aside."""
    return fit_units(mentee, mentor, weights or Weights()) / FIT_SCALE


def relevant(mentee: Mentee, mentor: Mentor) -> bool:
    """The mentor offers or shares about a topic the mentee wants, or is bookmarked."""
    return (
        bool(mentee.wants & mentor.offers)
        or any(mentor.shares_units(t) > 0 for t in mentee.wants)
        or mentor.id in mentee.bookmarks
    )


def is_candidate(mentee: Mentee, mentor: Mentor, weights: Weights) -> bool:
    """May be proposed (no hard constraint broken), relevant, and a positive fit."""
    return (
        exclusion(mentee, mentor) is None
        and relevant(mentee, mentor)
        and fit_units(mentee, mentor, weights) > 0
    )


def _name_list(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def explain(
    mentee: Mentee,
    mentor: Mentor,
    topic_names: Mapping[Topic, str] | None = None,
    tier_names: Mapping[int, str] | None = None,
) -> str:
    """Why this mentor, in words from the data, addressed to the mentee, e.g.
    "shares about Video and fintech, which you want to grow in; Thought Leader;
    another team". Topic and tier names come from the caller; a topic without a
    name shows as itself, a tier without a name is left out."""
    topic_names = topic_names or {}
    tier_names = tier_names or {}

    def name(topic: Topic) -> str:
        return str(topic_names.get(topic, topic))

    # Strongest demonstrated topic first; the name breaks ties so the text is stable.
    shared = sorted(
        (t for t in mentee.wants if mentor.shares_units(t) > 0),
        key=lambda t: (-mentor.shares_units(t), name(t)),
    )
    offered = sorted((t for t in mentee.wants & mentor.offers if t not in shared), key=name)
    topics = []
    if shared:
        topics.append(f"shares about {_name_list([name(t) for t in shared])}")
    if offered:
        topics.append(f"offers {_name_list([name(t) for t in offered])}")
    parts = [", and ".join(topics) + ", which you want to grow in"] if topics else []
    if mentor.tier_rank in tier_names:
        parts.append(str(tier_names[mentor.tier_rank]))
    if _cross_team(mentee, mentor):
        parts.append("another team, as you asked" if mentee.prefers_other_team else "another team")
    if mentor.id in mentee.bookmarks:
        parts.append("you bookmarked them")
    return "; ".join(parts)


# ---------------------------------------------------------------------------
# The whole organisation: sparse candidate pairs, built a block of mentees at a time

# A block of mentees x available mentors holds at most this many cells, which bounds
# the memory of the dense intermediate arrays (~10 arrays of 8 bytes per cell).
_BLOCK_CELLS = 1 << 20


def _order_key(person: Mentee | Mentor) -> tuple[str, PersonId]:
    return (type(person.id).__name__, person.id)


def _sorted_unique(people: Sequence, kind: str) -> list:
    ordered = sorted(people, key=_order_key)
    for before, after in itertools.pairwise(ordered):
        if before.id == after.id:
            raise ValueError(f"{kind} {after.id!r} appears twice")
    return ordered


@dataclass
class _Candidates:
    """Candidate pairs as parallel arrays (indices into the sorted mentees and
    mentors), sorted by mentee then mentor, plus what the unmatched reasons need."""

    mentee: np.ndarray  # int32 mentee index
    mentor: np.ndarray  # int32 mentor index
    units: np.ndarray  # int32 fit in thousandths, > 0
    relevant: np.ndarray  # per mentee: some eligible, open mentor is relevant
    allowed: np.ndarray  # per mentee: ... and not ruled out by a hard constraint
    has_room: np.ndarray  # per mentee: ... and with a free slot
    total: int  # candidate pairs before pruning
    pruned: bool


class _Table:
    """The organisation as arrays: a row per mentee, a column per eligible, open mentor."""

    def __init__(self, mentees: list[Mentee], mentors: list[Mentor], weights: Weights):
        self.mentees, self.weights = mentees, weights
        # Mentors with no free slot stay in the table: a mentee whose only suitable
        # mentors are full is told so, not "nobody offers your topics".
        self.columns = [j for j, m in enumerate(mentors) if m.eligible and m.open]
        available = [mentors[j] for j in self.columns]
        self.slots = np.array([m.open_slots for m in available], dtype=np.int64)
        self.column_of = {m.id: c for c, m in enumerate(available)}
        topics: dict[Topic, int] = {}
        for person in mentees:
            for t in person.wants:
                topics.setdefault(t, len(topics))
        # Only topics someone wants can add to a fit.
        self.wanted = np.zeros((len(mentees), len(topics)), dtype=np.float64)
        for i, person in enumerate(mentees):
            self.wanted[i, [topics[t] for t in person.wants]] = 1.0
        self.offers = np.zeros((len(available), len(topics)), dtype=np.float64)
        self.shares = np.zeros((len(available), len(topics)), dtype=np.float64)
        for c, mentor in enumerate(available):
            self.offers[c, [topics[t] for t in mentor.offers if t in topics]] = 1.0
            for t in mentor.shares:
                if t in topics:
                    self.shares[c, topics[t]] = mentor.shares_units(t)
        self.wanted_count = np.maximum(self.wanted.sum(axis=1).astype(np.int64), 1)
        self.mentee_tier = np.array([p.tier_rank for p in mentees], dtype=np.int64)
        self.mentor_tier = np.array([m.tier_rank for m in available], dtype=np.int64)
        teams: dict[Hashable, int] = {}
        # -1: no team known, never "another team".
        self.mentee_team = np.array(
            [-1 if p.team is None else teams.setdefault(p.team, len(teams)) for p in mentees]
        )
        self.mentor_team = np.array(
            [-1 if m.team is None else teams.setdefault(m.team, len(teams)) for m in available]
        )
        self.cross_units = np.array(
            [
                weights.units("cross_team_asked" if p.prefers_other_team else "cross_team")
                for p in mentees
            ],
            dtype=np.int64,
        )
        self.reports_of: dict[PersonId, list[int]] = {}
        for c, mentor in enumerate(available):
            if mentor.manager_id is not None:
                self.reports_of.setdefault(mentor.manager_id, []).append(c)

    def block(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fits, relevance and hard-constraint masks of mentees start..stop x columns."""
        w = self.weights
        wanted = self.wanted[start:stop]
        # Exact: small whole numbers in float64 products and sums.
        offered = (wanted @ self.offers.T).astype(np.int64)
        shared = (wanted @ self.shares.T).astype(np.int64)
        units = _div_round(
            w.units("offered") * SHARE_SCALE * offered + w.units("demonstrated") * shared,
            SHARE_SCALE * self.wanted_count[start:stop, None],
        )
        cap = w.tier_gap_cap
        gap = np.clip(self.mentor_tier[None, :] - self.mentee_tier[start:stop, None], -cap, cap)
        units += _div_round(w.units("tier_gap") * gap, cap)
        teams = self.mentee_team[start:stop, None]
        cross = (teams != self.mentor_team[None, :]) & (teams >= 0) & (self.mentor_team >= 0)
        units += np.where(cross, self.cross_units[start:stop, None], 0)
        relevant = (offered > 0) | (shared > 0)
        allowed = np.ones_like(relevant)
        bookmark = w.units("bookmark")
        for row, person in enumerate(self.mentees[start:stop]):
            boost = bookmark + (w.units("bookmark_after_decline") if person.declined_by else 0)
            for c in self._columns(person.bookmarks):
                relevant[row, c] = True
                units[row, c] += boost
            ruled_out = [*self._columns((person.id, person.manager_id, *person.declined_by))]
            ruled_out += self.reports_of.get(person.id, [])
            allowed[row, ruled_out] = False
        return units, relevant, allowed

    def _columns(self, ids: Iterable[PersonId | None]) -> Iterable[int]:
        return (self.column_of[i] for i in ids if i in self.column_of)


def _best_per_row(keep: np.ndarray, units: np.ndarray, limit: int) -> np.ndarray:
    """The mask of each row's `limit` best candidates: higher fit first, then the
    lower column, so the choice never depends on how a sort breaks ties."""
    columns = units.shape[1]
    if limit >= columns:
        return keep
    key = np.where(keep, units * columns + (columns - 1 - np.arange(columns)), -1)
    best = np.argpartition(-key, limit - 1, axis=1)[:, :limit]
    mask = np.zeros_like(keep)
    np.put_along_axis(mask, best, True, axis=1)
    return mask & keep


def _best_per_column(keep: np.ndarray, units: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """The mask of each column's `limits[c]` best candidates (ties: the lower row)."""
    rows = units.shape[0]
    key = np.where(keep, units * rows + (rows - 1 - np.arange(rows))[:, None], -1)
    order = np.argsort(-key, axis=0)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(rows)[:, None], axis=0)
    return keep & (rank < limits[None, :])


def _candidates(table: _Table, pruning: Pruning) -> _Candidates:
    """All candidate pairs, or (past `pruning.above_pairs`) the pruned set.

    The first pass keeps every pair and gives up as soon as there are too many;
    only then does a second pass prune, so an organisation below the threshold
    pays nothing for pruning and one above pays one extra partial pass."""
    found = _collect(table, pruning, prune=False)
    return found if found is not None else _collect(table, pruning, prune=True)


def _collect(table: _Table, pruning: Pruning, prune: bool) -> _Candidates | None:
    n = len(table.mentees)
    columns = np.array(table.columns, dtype=np.int64)
    flags = {name: np.zeros(n, dtype=bool) for name in ("relevant", "allowed", "has_room")}
    parts: list[tuple[np.ndarray, ...]] = []
    total = 0
    step = max(1, _BLOCK_CELLS // max(len(columns), 1))
    for start in range(0, n, step):
        stop = min(n, start + step)
        units, relevant, allowed = table.block(start, stop)
        allowed &= relevant
        room = allowed & (table.slots > 0)
        flags["relevant"][start:stop] = relevant.any(axis=1)
        flags["allowed"][start:stop] = allowed.any(axis=1)
        flags["has_room"][start:stop] = room.any(axis=1)
        keep = room & (units > 0)
        total += int(keep.sum())
        if not prune and pruning.per_mentee is not None and total > pruning.above_pairs:
            return None
        if prune:
            # Both sides: a mentee's best mentors, and each mentor's best mentees
            # (per slot), so that a mentor of rarer topics is not left without any.
            kept = _best_per_row(keep, units, pruning.per_mentee)
            keep = kept | _best_per_column(keep, units, pruning.per_slot * table.slots)
        parts.append(_pairs(keep, units, start))
    if parts:
        mentee, column, units = (np.concatenate(p) for p in zip(*parts, strict=True))
    else:
        mentee = column = units = np.zeros(0, dtype=np.int32)
    mentor = columns[column].astype(np.int32)
    return _Candidates(mentee, mentor, units, **flags, total=total, pruned=prune)


def _pairs(mask: np.ndarray, units: np.ndarray, start: int) -> tuple[np.ndarray, ...]:
    # Row-major: sorted by mentee, then mentor. 32 bits hold every index and fit
    # and halve the memory of the largest arrays of a run.
    rows, cols = np.nonzero(mask)
    return (
        (rows + start).astype(np.int32),
        cols.astype(np.int32),
        units[rows, cols].astype(np.int32),
    )


# ---------------------------------------------------------------------------
# The assignment


def _solve(candidates: _Candidates, slots: np.ndarray, mentees: int, mode: Mode) -> np.ndarray:
    """The chosen candidate pairs (a boolean mask), as a min-cost flow.

    source -> each mentee (capacity 1) -> each candidate mentor (capacity 1, cost
    -fit) -> sink (capacity: the mentor's open slots). BEST_FIT adds a free
    source -> sink arc, so leaving a mentee out costs nothing and the flow only
    takes pairs that raise the total. MOST_MATCHED asks OR-Tools for the maximum
    flow (most pairs) and, among those, the least cost (highest total fit).
    """
    pairs = len(candidates.units)
    if pairs == 0:
        return np.zeros(0, dtype=bool)
    mentors = len(slots)
    source, sink = mentees + mentors, mentees + mentors + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    # Candidate arcs first: arc k is candidate pair k.
    tails = [candidates.mentee, np.full(mentees, source), mentees + np.arange(mentors)]
    heads = [mentees + candidates.mentor, np.arange(mentees), np.full(mentors, sink)]
    capacities = [np.ones(pairs, np.int8), np.ones(mentees, np.int8), slots]
    costs = [-candidates.units, np.zeros(mentees, np.int64), np.zeros(mentors, np.int64)]
    if mode is Mode.BEST_FIT:
        tails.append(np.array([source]))
        heads.append(np.array([sink]))
        capacities.append(np.array([mentees]))
        costs.append(np.zeros(1, np.int64))
    flow.add_arcs_with_capacity_and_unit_cost(
        *(np.concatenate(parts, dtype=np.int64) for parts in (tails, heads, capacities, costs))
    )
    flow.set_node_supply(source, mentees)
    flow.set_node_supply(sink, -mentees)
    status = flow.solve() if mode is Mode.BEST_FIT else flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"the min-cost flow solver stopped with {status!r}")
    return flow.flows(np.arange(pairs)) > 0


def _check_constraints(candidates: _Candidates, chosen: np.ndarray, mentors: Sequence[Mentor]):
    """The solver's answer breaks no hard constraint (a wrong answer must never be
    stored, so this is checked on every run; it costs a few milliseconds)."""
    mentee = candidates.mentee[chosen]
    if len(np.unique(mentee)) != len(mentee):
        raise RuntimeError("solver gave a mentee two mentors")
    load = np.bincount(candidates.mentor[chosen], minlength=len(mentors))
    if np.any(load > np.array([m.open_slots for m in mentors], dtype=np.int64)):
        raise RuntimeError("solver gave a mentor more mentees than open slots")


# ---------------------------------------------------------------------------
# The result


class Reason(enum.StrEnum):
    """Why a mentee stays unmatched (see `message` for the words)."""

    NO_TOPICS = "no_topics"
    NO_MENTOR_OPEN = "no_mentor_open"
    NO_TOPIC_MATCH = "no_topic_match"
    RULED_OUT = "ruled_out"
    AT_CAPACITY = "at_capacity"
    POOR_FIT = "poor_fit"

    @property
    def message(self) -> str:
        return _REASON_MESSAGES[self]


_REASON_MESSAGES = {
    Reason.NO_TOPICS: "asked for no topics and bookmarked no mentor",
    Reason.NO_MENTOR_OPEN: "no eligible mentor is open to new mentees",
    Reason.NO_TOPIC_MATCH: "no eligible, open mentor offers or shares their topics",
    Reason.RULED_OUT: (
        "every mentor for their topics is ruled out: declined before, "
        "in their reporting line, or themselves"
    ),
    Reason.AT_CAPACITY: "every suitable mentor is at capacity",
    Reason.POOR_FIT: "every mentor for their topics fits too poorly (behind them in tier)",
}


@dataclass(frozen=True)
class Pair:
    """A proposed pair; `explanation` is addressed to the mentee."""

    mentee_id: PersonId
    mentor_id: PersonId
    fit_units: int
    explanation: str

    @property
    def fit(self) -> float:
        return self.fit_units / FIT_SCALE


@dataclass(frozen=True)
class Unmatched:
    """A mentee left without a proposal; `suitable` counts their candidate mentors."""

    mentee_id: PersonId
    reason: Reason
    suitable: int

    @property
    def message(self) -> str:
        return self.reason.message


@dataclass(frozen=True)
class MentorLoad:
    """How many of a mentor's open slots the run fills."""

    mentor_id: PersonId
    assigned: int
    open_slots: int


@dataclass(frozen=True)
class MatchResult:
    """One run: pairs (in order of mentee id), who stays unmatched and why, and
    the load of every mentor who could take someone. `method` is the mode's value
    ("best_fit", "most_matched") or "greedy_baseline". `candidate_pairs` counts
    the candidate pairs, `considered_pairs` those the solver was given (fewer
    only if `pruned`)."""

    method: str
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    load: tuple[MentorLoad, ...]
    candidate_pairs: int
    considered_pairs: int
    pruned: bool

    @property
    def total_units(self) -> int:
        return sum(p.fit_units for p in self.pairs)

    @property
    def total_fit(self) -> float:
        return self.total_units / FIT_SCALE

    @property
    def mean_fit(self) -> float:
        """Mean fit of the proposed pairs (0.0 when there are none)."""
        return self.total_fit / len(self.pairs) if self.pairs else 0.0

    @property
    def matched_share(self) -> float:
        """Share of the mentees who get a proposal (0.0 when nobody asked)."""
        asked = len(self.pairs) + len(self.unmatched)
        return len(self.pairs) / asked if asked else 0.0


def _reason(candidates: _Candidates, i: int, suitable: int, mentee: Mentee, anyone: bool):
    # With a candidate left out, every candidate mentor is full (a free slot would
    # have raised the total and the count); without one, they were full already.
    if suitable or (candidates.allowed[i] and not candidates.has_room[i]):
        return Reason.AT_CAPACITY
    if candidates.has_room[i]:
        return Reason.POOR_FIT
    if candidates.relevant[i]:
        return Reason.RULED_OUT
    if not mentee.wants and not mentee.bookmarks:
        return Reason.NO_TOPICS
    return Reason.NO_TOPIC_MATCH if anyone else Reason.NO_MENTOR_OPEN


def _result(
    method: str,
    mentees: list[Mentee],
    mentors: list[Mentor],
    candidates: _Candidates,
    chosen: np.ndarray,
    topic_names: Mapping[Topic, str] | None,
    tier_names: Mapping[int, str] | None,
) -> MatchResult:
    _check_constraints(candidates, chosen, mentors)
    suitable = np.bincount(candidates.mentee, minlength=len(mentees))
    chosen_mentees = candidates.mentee[chosen].tolist()
    matched = dict(zip(chosen_mentees, candidates.mentor[chosen].tolist(), strict=True))
    units = dict(zip(chosen_mentees, candidates.units[chosen].tolist(), strict=True))
    anyone = any(m.eligible and m.open for m in mentors)
    pairs, unmatched = [], []
    for i, mentee in enumerate(mentees):
        if i in matched:
            mentor = mentors[matched[i]]
            text = explain(mentee, mentor, topic_names, tier_names)
            pairs.append(Pair(mentee.id, mentor.id, units[i], text))
        else:
            reason = _reason(candidates, i, int(suitable[i]), mentee, anyone)
            unmatched.append(Unmatched(mentee.id, reason, int(suitable[i])))
    load = np.bincount(candidates.mentor[chosen], minlength=len(mentors))
    loads = tuple(
        MentorLoad(m.id, int(load[j]), m.open_slots) for j, m in enumerate(mentors) if m.available
    )
    return MatchResult(
        method,
        tuple(pairs),
        tuple(unmatched),
        loads,
        candidate_pairs=candidates.total,
        considered_pairs=len(candidates.units),
        pruned=candidates.pruned,
    )


# ---------------------------------------------------------------------------
# Entry points


def _prepare(
    mentees: list[Mentee], mentors: list[Mentor], weights: Weights | None, pruning: Pruning | None
) -> tuple[list[Mentee], list[Mentor], _Candidates]:
    """People in id order (refusing duplicates) and their candidate pairs."""
    mentees = _sorted_unique(mentees, "mentee")
    mentors = _sorted_unique(mentors, "mentor")
    table = _Table(mentees, mentors, weights or Weights())
    return mentees, mentors, _candidates(table, pruning or Pruning())


def match(
    mentees: Iterable[Mentee],
    mentors: Iterable[Mentor],
    weights: Weights | None = None,
    mode: Mode | str = Mode.BEST_FIT,
    *,
    topic_names: Mapping[Topic, str] | None = None,
    tier_names: Mapping[int, str] | None = None,
    pruning: Pruning | None = None,
) -> MatchResult:
    """Pair the whole organisation at once, optimally for `mode`.

    The hard constraints (not yourself, not your manager or direct report, not a
    mentor who declined you, only eligible and open mentors, at most their open
    slots, one mentor per mentee) are never broken. Same input, same output,
    whatever the order of the people in it. Raises ValueError for an unknown mode
    or a person listed twice.
    """
    mode = Mode(mode)
    mentees, mentors, candidates = _prepare(list(mentees), list(mentors), weights, pruning)
    slots = np.array([m.open_slots if m.available else 0 for m in mentors], dtype=np.int64)
    chosen = _solve(candidates, slots, len(mentees), mode)
    return _result(mode.value, mentees, mentors, candidates, chosen, topic_names, tier_names)


def greedy_baseline(
    mentees: Iterable[Mentee],
    mentors: Iterable[Mentor],
    weights: Weights | None = None,
    *,
    topic_names: Mapping[Topic, str] | None = None,
    tier_names: Mapping[int, str] | None = None,
    pruning: Pruning | None = None,
) -> MatchResult:
    """FOR TESTS AND THE BENCHMARK ONLY, never to propose pairs: first come, best
    available mentor. Mentees in the order given each take their best-fitting
    candidate mentor who still has a free slot. It keeps the hard constraints but
    is not optimal; it is the yardstick the solver is measured against."""
    mentees = list(mentees)
    arrival = {m.id: k for k, m in enumerate(mentees)}
    ordered, ordered_mentors, candidates = _prepare(mentees, list(mentors), weights, pruning)
    free = [m.open_slots if m.available else 0 for m in ordered_mentors]
    # Each mentee's candidates best first (ties: the mentor first in id order).
    by_preference = np.lexsort((candidates.mentor, -candidates.units, candidates.mentee))
    starts = np.searchsorted(candidates.mentee[by_preference], np.arange(len(ordered) + 1))
    chosen = np.zeros(len(candidates.units), dtype=bool)
    mentor_of = candidates.mentor.tolist()
    for i in sorted(range(len(ordered)), key=lambda i: arrival[ordered[i].id]):
        for k in by_preference[starts[i] : starts[i + 1]].tolist():
            if free[mentor_of[k]]:
                free[mentor_of[k]] -= 1
                chosen[k] = True
                break
    return _result(
        "greedy_baseline", ordered, ordered_mentors, candidates, chosen, topic_names, tier_names
    )
