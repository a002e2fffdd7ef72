"""Badges and thought-leader tiers. Pure: no Flask, SQL or Redis.

The worker folds each scored fact into a person's running `Stats`, asks which
badge levels are newly earned, and steps the person's tier with hysteresis.
Definitions are ruleset data (`badges` and `tiers` in the ruleset document),
parsed and validated here; every decision is a plain function of its inputs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scoring.periods import week_start

KINDS = ("first", "count", "period_points", "streak", "breadth", "manual")
COUNT_METRICS = (
    "shares",
    "comments_earned",
    "engagements_earned",
    "kudos_given",
    "kudos_received",
    "mentorships_completed",
)
METRICS_BY_KIND: dict[str, tuple[str, ...]] = {
    "first": COUNT_METRICS,
    "count": COUNT_METRICS,
    "breadth": ("networks",),
    "streak": ("share_weeks",),
    "period_points": (),
    "manual": (),
}
PERIODS_BY_KIND: dict[str, tuple[str, ...]] = {"period_points": ("week",)}
FACT_KINDS = ("event", "kudos_given", "kudos_received", "kudos_reversed", "mentorships_completed")
ENGAGEMENT_TYPES = ("reshare", "comment", "like", "click")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 64
MAX_NAME_LENGTH = 80
MAX_DESCRIPTION_LENGTH = 300
MAX_TARGET = 1_000_000
_WEEK = dt.timedelta(days=7)
BADGE_FIELDS = {"slug", "name", "description", "image", "kind", "metric", "period"}
BADGE_FIELDS_WITH_TARGETS = BADGE_FIELDS | {"target", "levels"}
TIER_FIELDS = {"slug", "name", "min_points_90d", "min_engagement_per_share"}

_FIRST_TEXT = {
    "shares": "Share for the first time",
    "comments_earned": "Earn your first comment on a share",
    "engagements_earned": "Earn your first engagement on a share",
    "kudos_given": "Give your first kudos",
    "kudos_received": "Receive your first kudos",
    "mentorships_completed": "Complete a mentorship as a mentor",
}
_COUNT_TEXT = {
    "shares": ("Share once", "Share {n} times"),
    "comments_earned": ("Earn a comment on your shares", "Earn {n} comments on your shares"),
    "engagements_earned": (
        "Earn an engagement on your shares",
        "Earn {n} engagements on your shares",
    ),
    "kudos_given": ("Give a kudos", "Give {n} kudos"),
    "kudos_received": ("Receive a kudos", "Receive {n} kudos"),
    "mentorships_completed": (
        "Complete a mentorship as a mentor",
        "Complete {n} mentorships as a mentor",
    ),
}


# --- definitions --------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One level of a badge; single-level badges have one level with no label."""

    level: int
    label: str | None
    target: int | None  # None only for manual badges


@dataclass(frozen=True)
class BadgeDefinition:
    slug: str
    name: str
    description: str
    image: str
    kind: str
    metric: str | None
    period: str | None
    levels: tuple[Level, ...]

    def level(self, number: int) -> Level:
        """The level numbered `number` (1-based); KeyError when there is none."""
        for level in self.levels:
            if level.level == number:
                return level
        raise KeyError(f"badge {self.slug!r} has no level {number}")

    def criteria_text(self, level: Level) -> str:
        """What a person must do to earn `level`, as one short sentence."""
        n = level.target
        if self.kind == "manual" or n is None:
            return "Awarded by the recognition team"
        if self.kind == "first":
            return _FIRST_TEXT[self.metric]
        if self.kind == "count":
            one, many = _COUNT_TEXT[self.metric]
            return one if n == 1 else many.format(n=f"{n:,}")
        if self.kind == "streak":
            if n == 1:
                return "Share in any ISO week"
            return f"Share in {n:,} consecutive ISO weeks"
        if self.kind == "breadth":
            return "Share on a network" if n == 1 else f"Share on {n:,} different networks"
        return f"Earn {n:,} {'point' if n == 1 else 'points'} in one {self.period}"


@dataclass(frozen=True)
class TierDefinition:
    slug: str
    name: str
    min_points_90d: int
    min_engagement_per_share: float  # engagements earned per share over the same 90 days


def parse_badges(raw: Any, errors: dict[str, list[str]]) -> tuple[BadgeDefinition, ...]:
    """Validate the ruleset's `badges` list; problems go into `errors` by path.

    A missing list (None) means the program has no badges. Each badge has
    either `target` (one level) or `levels` (a list of {label, target} with
    strictly increasing targets); manual badges have neither.
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        _add(errors, "badges", "must be a list of badges")
        return ()
    parsed: list[BadgeDefinition] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        path = f"badges[{index}]"
        badge = _parse_badge(item, path, errors)
        if badge is None:
            continue
        if badge.slug in seen:
            _add(errors, f"{path}.slug", f"duplicate slug, also used by badges[{seen[badge.slug]}]")
            continue
        seen[badge.slug] = index
        parsed.append(badge)
    return tuple(parsed)


def _parse_badge(item: Any, path: str, errors: dict) -> BadgeDefinition | None:
    if not isinstance(item, dict):
        _add(errors, path, "must be an object")
        return None
    before = _error_count(errors)
    slug = _slug(item.get("slug"), f"{path}.slug", errors)
    name = _text(item.get("name"), f"{path}.name", MAX_NAME_LENGTH, errors)
    description = _text(
        item.get("description"), f"{path}.description", MAX_DESCRIPTION_LENGTH, errors
    )
    image = _image(item.get("image"), f"{path}.image", errors)

    kind = item.get("kind")
    if kind not in KINDS:
        _add(errors, f"{path}.kind", f"must be one of: {', '.join(KINDS)}")
        kind = None
    metric = item.get("metric")
    period = item.get("period")
    if kind is not None:
        allowed = METRICS_BY_KIND[kind]
        if allowed and metric not in allowed:
            _add(errors, f"{path}.metric", f"must be one of: {', '.join(allowed)} for {kind}")
        elif not allowed and metric is not None:
            _add(errors, f"{path}.metric", f"not used by {kind} badges; leave it out")
        periods = PERIODS_BY_KIND.get(kind, ())
        if periods and period not in periods:
            _add(errors, f"{path}.period", f"must be one of: {', '.join(periods)} for {kind}")
        elif not periods and period is not None:
            _add(errors, f"{path}.period", f"not used by {kind} badges; leave it out")

    allowed_fields = BADGE_FIELDS if kind == "manual" else BADGE_FIELDS_WITH_TARGETS
    for extra in sorted(set(item) - allowed_fields, key=str):
        if kind == "manual" and extra in ("target", "levels"):
            _add(errors, f"{path}.{extra}", "manual badges have no target; leave it out")
        else:
            _add(errors, f"{path}.{extra}", "unknown field")

    levels: tuple[Level, ...] = ()
    if kind == "manual":
        levels = (Level(1, None, None),)
    elif kind is not None:
        levels = _levels(item, path, kind, errors)

    if _error_count(errors) != before:
        return None
    return BadgeDefinition(slug, name, description, image, kind, metric, period, levels)


def _levels(item: dict, path: str, kind: str, errors: dict) -> tuple[Level, ...]:
    has_target, has_levels = "target" in item, "levels" in item
    if has_target == has_levels:
        _add(errors, path, "needs either target (one level) or levels, not both")
        return ()
    if has_target:
        target = _target(item["target"], f"{path}.target", errors)
        if target is None:
            return ()
        if kind == "first" and target != 1:
            _add(errors, f"{path}.target", "must be 1 for a first badge")
        return (Level(1, None, target),)

    raw = item["levels"]
    if not isinstance(raw, list) or not raw:
        _add(errors, f"{path}.levels", "must be a non-empty list of {label, target}")
        return ()
    if kind == "first":
        _add(errors, f"{path}.levels", "a first badge has one level; use target 1")
        return ()
    levels: list[Level] = []
    labels: set[str] = set()
    previous: int | None = None
    for index, entry in enumerate(raw):
        where = f"{path}.levels[{index}]"
        if not isinstance(entry, dict):
            _add(errors, where, "must be an object with label and target")
            previous = None
            continue
        for extra in sorted(set(entry) - {"label", "target"}, key=str):
            _add(errors, f"{where}.{extra}", "unknown field")
        label = entry.get("label")
        if len(raw) > 1 or label is not None:
            label = _text(label, f"{where}.label", MAX_NAME_LENGTH, errors)
            if label in labels:
                _add(errors, f"{where}.label", "duplicate label in this badge")
            labels.add(label)
        target = _target(entry.get("target"), f"{where}.target", errors)
        if target is not None and previous is not None and target <= previous:
            _add(
                errors, f"{where}.target", f"must be greater than the previous level's ({previous})"
            )
        previous = target
        levels.append(Level(index + 1, label, target))
    return tuple(levels)


def parse_tiers(raw: Any, errors: dict[str, list[str]]) -> tuple[TierDefinition, ...]:
    """Validate the ruleset's `tiers` list, lowest first; problems go into `errors`.

    The first tier is where everyone starts (both thresholds 0); each later
    tier needs thresholds at least the previous tier's, and higher in one.
    """
    if not isinstance(raw, list) or not raw:
        _add(errors, "tiers", "must be a non-empty list of tiers, lowest first")
        return ()
    parsed: list[TierDefinition] = []
    seen: dict[str, int] = {}
    previous: TierDefinition | None = None
    for index, item in enumerate(raw):
        path = f"tiers[{index}]"
        if not isinstance(item, dict):
            _add(errors, path, "must be an object")
            previous = None
            continue
        before = _error_count(errors)
        for extra in sorted(set(item) - TIER_FIELDS, key=str):
            _add(errors, f"{path}.{extra}", "unknown field")
        slug = _slug(item.get("slug"), f"{path}.slug", errors)
        if slug is not None and slug in seen:
            _add(errors, f"{path}.slug", f"duplicate slug, also used by tiers[{seen[slug]}]")
        elif slug is not None:
            seen[slug] = index
        name = _text(item.get("name"), f"{path}.name", MAX_NAME_LENGTH, errors)
        points = item.get("min_points_90d")
        if isinstance(points, bool) or not isinstance(points, int) or points < 0:
            _add(errors, f"{path}.min_points_90d", "must be a whole number >= 0")
            points = None
        ratio = item.get("min_engagement_per_share")
        if (
            isinstance(ratio, bool)
            or not isinstance(ratio, int | float)
            or not math.isfinite(ratio)
            or ratio < 0
        ):
            _add(errors, f"{path}.min_engagement_per_share", "must be a number >= 0")
            ratio = None
        if index == 0:
            if points not in (None, 0):
                _add(errors, f"{path}.min_points_90d", "must be 0 for the first tier")
            if ratio not in (None, 0):
                _add(errors, f"{path}.min_engagement_per_share", "must be 0 for the first tier")
        elif previous is not None and points is not None and ratio is not None:
            if points < previous.min_points_90d:
                _add(
                    errors,
                    f"{path}.min_points_90d",
                    f"must be at least the previous tier's ({previous.min_points_90d})",
                )
            if ratio < previous.min_engagement_per_share:
                _add(
                    errors,
                    f"{path}.min_engagement_per_share",
                    f"must be at least the previous tier's ({previous.min_engagement_per_share:g})",
                )
            if (points, ratio) == (previous.min_points_90d, previous.min_engagement_per_share):
                _add(errors, path, "must raise at least one threshold above the previous tier")
        if _error_count(errors) != before:
            previous = None
            continue
        tier = TierDefinition(slug, name, points, float(ratio))
        parsed.append(tier)
        previous = tier
    return tuple(parsed)


def _add(errors: dict[str, list[str]], path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _error_count(errors: dict[str, list[str]]) -> int:
    return sum(len(messages) for messages in errors.values())


def _slug(raw: Any, path: str, errors: dict) -> str | None:
    if not isinstance(raw, str) or not SLUG_PATTERN.match(raw) or len(raw) > MAX_SLUG_LENGTH:
        _add(errors, path, "must be lower-case letters and digits joined by single hyphens")
        return None
    return raw


def _text(raw: Any, path: str, limit: int, errors: dict) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        _add(errors, path, "must be a non-empty string")
        return None
    if len(raw) > limit:
        _add(errors, path, f"must be at most {limit} characters")
        return None
    return raw.strip()


def _image(raw: Any, path: str, errors: dict) -> str | None:
    # Only site paths and web URLs: the value lands in an <img src>.
    if not isinstance(raw, str) or any(c.isspace() for c in raw):
        local = web = False
    else:
        local = raw.startswith("/") and not raw.startswith("//")
        web = raw.startswith(("https://", "http://"))
    if local or web:
        return raw
    _add(errors, path, "must be a site path like /static/badges/x.svg or an http(s) URL")
    return None


def _target(raw: Any, path: str, errors: dict) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_TARGET:
        _add(errors, path, f"must be a whole number from 1 to {MAX_TARGET}")
        return None
    return raw


# --- a person's counters ------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """A person's running counters, folded from facts in scoring order."""

    shares: int = 0  # share events (their count field is ignored)
    comments_earned: int = 0  # sum of `count` of comment events
    engagements_earned: int = 0  # sum of `count` of reshare/comment/like/click events
    networks: frozenset[str] = frozenset()  # networks shared on
    share_weeks: frozenset[dt.date] = frozenset()  # Mondays of ISO weeks with a share
    kudos_given: int = 0
    kudos_received: int = 0
    mentorships_completed: int = 0  # as the mentor

    def to_json(self) -> dict[str, Any]:
        return {
            "shares": self.shares,
            "comments_earned": self.comments_earned,
            "engagements_earned": self.engagements_earned,
            "networks": sorted(self.networks),
            "share_weeks": [day.isoformat() for day in sorted(self.share_weeks)],
            "kudos_given": self.kudos_given,
            "kudos_received": self.kudos_received,
            "mentorships_completed": self.mentorships_completed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Stats:
        """Read `to_json` output; missing keys (older rows) take their defaults."""
        data = data or {}
        return cls(
            shares=int(data.get("shares", 0)),
            comments_earned=int(data.get("comments_earned", 0)),
            engagements_earned=int(data.get("engagements_earned", 0)),
            networks=frozenset(data.get("networks", ())),
            # Stored as the Mondays they are (to_json), so no week_start() here.
            share_weeks=frozenset(map(dt.date.fromisoformat, data.get("share_weeks", ()))),
            kudos_given=int(data.get("kudos_given", 0)),
            kudos_received=int(data.get("kudos_received", 0)),
            mentorships_completed=int(data.get("mentorships_completed", 0)),
        )


@dataclass(frozen=True)
class Fact:
    """One thing that happened to the person, in scoring order."""

    kind: str  # "event" | "kudos_given" | "kudos_received" | "mentorships_completed"
    event_type: str | None  # share | reshare | comment | like | click, for events
    network: str | None
    count: int  # engagements in the event; 1 for a kudos
    local_day: dt.date
    points: int  # ledger points the fact earned, after caps


def observe(stats: Stats, fact: Fact) -> Stats:
    """Fold one fact into the counters. Order-independent: every counter commutes."""
    if fact.kind == "kudos_given":
        return dataclasses.replace(stats, kudos_given=stats.kudos_given + fact.count)
    if fact.kind == "kudos_received":
        return dataclasses.replace(stats, kudos_received=stats.kudos_received + fact.count)
    if fact.kind == "kudos_reversed":
        # A reversal row's quantity is -1: it counts kudos_received down.
        return dataclasses.replace(stats, kudos_received=stats.kudos_received + fact.count)
    if fact.kind == "mentorships_completed":
        return dataclasses.replace(
            stats, mentorships_completed=stats.mentorships_completed + fact.count
        )
    if fact.kind != "event":
        raise ValueError(f"unknown fact kind {fact.kind!r}")
    if fact.event_type == "share":
        # Sets are only rebuilt when they grow, so a badge check memoised on the
        # same set (the streak) is not recomputed for every share.
        networks, weeks = stats.networks, stats.share_weeks
        if fact.network and fact.network not in networks:
            networks = networks | {fact.network}
        week = week_start(fact.local_day)
        if week not in weeks:
            weeks = weeks | {week}
        # Built directly: dataclasses.replace costs several times more, per event.
        return Stats(
            stats.shares + 1,
            stats.comments_earned,
            stats.engagements_earned,
            networks,
            weeks,
            stats.kudos_given,
            stats.kudos_received,
            stats.mentorships_completed,
        )
    if fact.event_type not in ENGAGEMENT_TYPES:
        raise ValueError(f"unknown event type {fact.event_type!r}")
    comments = stats.comments_earned + (fact.count if fact.event_type == "comment" else 0)
    return Stats(
        stats.shares,
        comments,
        stats.engagements_earned + fact.count,
        stats.networks,
        stats.share_weeks,
        stats.kudos_given,
        stats.kudos_received,
        stats.mentorships_completed,
    )


def longest_streak(weeks: Iterable[dt.date]) -> int:
    """The longest run of consecutive ISO weeks among `weeks` (any day of each week)."""
    best = run = 0
    previous: dt.date | None = None
    for monday in sorted({week_start(day) for day in weeks}):
        run = run + 1 if previous is not None and monday - previous == _WEEK else 1
        best = max(best, run)
        previous = monday
    return best


@lru_cache(maxsize=1024)
def _longest_streak_of(weeks: frozenset[dt.date]) -> int:
    return longest_streak(weeks)


def current_streak(weeks: Iterable[dt.date], today: dt.date) -> int:
    """The run of consecutive share weeks ending this ISO week, or last week.

    Last week still counts so a streak does not read as broken on a Monday
    morning before the week's first share.
    """
    mondays = {week_start(day) for day in weeks}
    end = week_start(today)
    if end not in mondays:
        end -= _WEEK
    run = 0
    while end in mondays:
        run += 1
        end -= _WEEK
    return run


# --- badges -------------------------------------------------------------------


def _badge_value(badge: BadgeDefinition, stats: Stats, week_points: int) -> int:
    """The number the badge's targets are compared with (longest run for streaks)."""
    if badge.kind in ("first", "count"):
        return getattr(stats, badge.metric)
    if badge.kind == "breadth":
        return len(stats.networks)
    if badge.kind == "streak":
        return _longest_streak_of(stats.share_weeks)
    if badge.kind == "period_points":
        return week_points
    return 0


def earned_levels(badge: BadgeDefinition, stats: Stats, week_points: int) -> set[int]:
    """Levels whose criteria hold now; never any for manual badges.

    `week_points` is the person's points in the ISO week of the fact being
    evaluated, so a late fact is judged against its own week.
    """
    if badge.kind == "manual":
        return set()
    value = _badge_value(badge, stats, week_points)
    return {level.level for level in badge.levels if level.target <= value}


def new_awards(
    badges: Sequence[BadgeDefinition],
    stats: Stats,
    week_points: int,
    held: set[tuple[str, int]],
) -> list[tuple[str, int]]:
    """(slug, level) pairs earned now and not held, in definition then level order.

    Levels award in order: a level is only awarded when every lower level is
    held or awarded in the same call.
    """
    awards: list[tuple[str, int]] = []
    for badge in badges:
        value = None  # computed only for a badge with a level still to earn
        for level in badge.levels:
            key = (badge.slug, level.level)
            if key in held:
                continue
            if badge.kind == "manual":
                break
            if value is None:
                value = _badge_value(badge, stats, week_points)
            if level.target > value:
                break
            awards.append(key)
    return awards


@dataclass(frozen=True)
class BadgeProgress:
    slug: str
    name: str
    level: int
    label: str | None
    current: int
    target: int


def progress(
    badges: Sequence[BadgeDefinition],
    stats: Stats,
    this_week_points: int,
    held: set[tuple[str, int]],
    today: dt.date,
) -> list[BadgeProgress]:
    """For each automatic badge not fully held: its lowest unheld level and how close.

    `current` is not clamped to the target (a level can be earned but not yet
    stored). Streaks show the live run (see `current_streak`), not the best one.
    """
    rows: list[BadgeProgress] = []
    for badge in badges:
        if badge.kind == "manual":
            continue
        level = next((lv for lv in badge.levels if (badge.slug, lv.level) not in held), None)
        if level is None:
            continue
        if badge.kind == "streak":
            current = current_streak(stats.share_weeks, today)
        else:
            current = _badge_value(badge, stats, this_week_points)
        rows.append(
            BadgeProgress(badge.slug, badge.name, level.level, level.label, current, level.target)
        )
    return rows


# --- tiers --------------------------------------------------------------------


@dataclass(frozen=True)
class TierMetrics:
    """A person's figures over the rolling 90 days that tiers are judged on."""

    points_90d: int
    shares_90d: int
    engagements_90d: int

    @property
    def engagement_per_share(self) -> float:
        return self.engagements_90d / self.shares_90d if self.shares_90d else 0.0


@dataclass(frozen=True)
class TierState:
    tier: str
    below_since: dt.date | None = None  # first local day below the current tier's thresholds


def _qualifies(tier: TierDefinition, metrics: TierMetrics) -> bool:
    return (
        metrics.points_90d >= tier.min_points_90d
        and metrics.engagement_per_share >= tier.min_engagement_per_share
    )


def qualifying_tier(tiers: Sequence[TierDefinition], metrics: TierMetrics) -> TierDefinition:
    """The highest tier whose thresholds are both met (the first tier always is)."""
    best = tiers[0]
    for tier in tiers:
        if _qualifies(tier, metrics):
            best = tier
    return best


def demotion_day(below_since: dt.date) -> dt.date:
    """The first day a demotion may happen: after two full ISO weeks below."""
    first_full_week = below_since if below_since.weekday() == 0 else week_start(below_since) + _WEEK
    return first_full_week + 2 * _WEEK


def step_tier(
    tiers: Sequence[TierDefinition],
    state: TierState | None,
    metrics: TierMetrics,
    today: dt.date,
) -> TierState:
    """The person's tier after judging `metrics` on local day `today`.

    Promotion is immediate. Falling below the current tier only demotes once
    two full ISO weeks have passed below it, so one quiet week costs nothing;
    the caller decides how often to step (on each fact, and daily for people
    whose 90-day window is draining). A person whose tier is no longer in the
    ruleset, or who has no state yet, starts at the qualifying tier.
    """
    target = qualifying_tier(tiers, metrics)
    order = [tier.slug for tier in tiers]
    if state is None or state.tier not in order:
        return TierState(target.slug)
    if order.index(target.slug) >= order.index(state.tier):
        return TierState(target.slug)
    since = today if state.below_since is None else min(state.below_since, today)
    if today >= demotion_day(since):
        return TierState(target.slug)
    return TierState(state.tier, since)


@dataclass(frozen=True)
class TierProgress:
    current: str
    next: str | None
    components: list[dict]  # {"name", "current", "needed"} per threshold of the next tier


def tier_progress(
    tiers: Sequence[TierDefinition], state: TierState, metrics: TierMetrics
) -> TierProgress:
    """How far the person is from the tier above their current one.

    At the top tier there is no next tier and no components.
    """
    order = [tier.slug for tier in tiers]
    if state.tier in order:
        position = order.index(state.tier)
    else:
        position = order.index(qualifying_tier(tiers, metrics).slug)
    if position + 1 >= len(tiers):
        return TierProgress(state.tier, None, [])
    following = tiers[position + 1]
    components = [
        {
            "name": "points_90d",
            "current": metrics.points_90d,
            "needed": following.min_points_90d,
        },
        {
            "name": "engagement_per_share",
            "current": metrics.engagement_per_share,
            "needed": following.min_engagement_per_share,
        },
    ]
    return TierProgress(state.tier, following.slug, components)


@dataclass(frozen=True)
class TierHistory:
    """A person's tier after stepping through their history day by day."""

    state: TierState
    since: dt.date  # the day they reached (or started in) their current tier
    promotions: tuple[tuple[dt.date, str], ...]  # (day, tier reached), oldest first


def tier_history(
    tiers: Sequence[TierDefinition],
    daily: dict[dt.date, tuple[int, int, int]],
    last: dt.date,
    window_days: int = 90,
) -> TierHistory:
    """Step a tier through every day from the first of `daily` to `last`, as the daily
    review would have, judging each day on the `window_days` ending on it.

    `daily` maps a local day to that day's (points, shares, engagements). A
    promotion is a step up, or starting above the first tier (as live scoring
    counts them).
    """
    order = [tier.slug for tier in tiers]
    day = min(daily) if daily else last
    window: deque[tuple[int, int, int]] = deque()
    points = shares = engagements = 0
    state: TierState | None = None
    since = day
    promotions: list[tuple[dt.date, str]] = []
    while day <= last:
        today = daily.get(day, (0, 0, 0))
        window.append(today)
        points, shares, engagements = (
            points + today[0],
            shares + today[1],
            engagements + today[2],
        )
        if len(window) > window_days:
            gone = window.popleft()
            points, shares, engagements = (
                points - gone[0],
                shares - gone[1],
                engagements - gone[2],
            )
        after = step_tier(tiers, state, TierMetrics(points, shares, engagements), day)
        before = state.tier if state else None
        if before is None or after.tier != before:
            since = day
            if order.index(after.tier) > (order.index(before) if before in order else 0):
                promotions.append((day, after.tier))
        state = after
        day += dt.timedelta(days=1)
    return TierHistory(state or TierState(order[0]), since, tuple(promotions))
