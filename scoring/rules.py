"""Rulesets and the point rules. Pure: no Flask, SQL or Redis.

A ruleset is versioned data. Scoring one event takes the event, the person's
state for that local day (what the day's caps have already used) and the
ruleset, and returns the award plus the new day state, so the same inputs
always give the same ledger rows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from scoring.achievements import BadgeDefinition, TierDefinition, parse_badges, parse_tiers

EVENT_TYPES = ("share", "reshare", "comment", "like", "click")
NETWORKS = ("linkedin", "x", "facebook", "instagram", "other")
SHARE = "share"
# The rule of the ledger row for an event that arrived too long after it
# occurred: stored and shown, worth nothing, counted towards nothing.
LATE = "late"
DEFAULT_MAX_EVENT_AGE_DAYS = 30
MAX_EVENT_AGE_LIMIT = 3650
DEFAULT_RULESET_PATH = Path(__file__).with_name("default_ruleset.json")
MAX_MULTIPLIER = Decimal(10)
# A ruleset without tiers still places everyone somewhere.
_DEFAULT_TIERS = [
    {
        "slug": "contributor",
        "name": "Contributor",
        "min_points_90d": 0,
        "min_engagement_per_share": 0,
    }
]


class RulesetError(ValueError):
    """A ruleset document is invalid; `errors` maps a field path to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Ruleset:
    version: int
    points: dict[str, int]
    multipliers: dict[str, Decimal]
    max_scoring_shares: int | None
    max_engagement_points: int | None
    badges: tuple[BadgeDefinition, ...]
    tiers: tuple[TierDefinition, ...]
    document: dict[str, Any]
    # Events received more than this many days after they occurred earn
    # nothing, unless they came through a backfill path; None: no limit.
    max_event_age_days: int | None = DEFAULT_MAX_EVENT_AGE_DAYS

    @classmethod
    def from_document(cls, document: dict[str, Any], version: int) -> Ruleset:
        errors: dict[str, list[str]] = {}
        points = _parse_points(document.get("points"), errors)
        multipliers = _parse_multipliers(document.get("network_multipliers"), errors)
        caps = document.get("daily_caps") or {}
        if not isinstance(caps, dict):
            errors["daily_caps"] = ["must be an object"]
            caps = {}
        shares = _optional_count(caps.get("scoring_shares"), "daily_caps.scoring_shares", errors)
        engagement = _optional_count(
            caps.get("engagement_points"), "daily_caps.engagement_points", errors
        )
        max_age = _max_event_age(document, errors)
        badges = parse_badges(document.get("badges", []), errors)
        tiers = parse_tiers(document.get("tiers", _DEFAULT_TIERS), errors)
        if errors:
            raise RulesetError(errors)
        return cls(
            version, points, multipliers, shares, engagement, badges, tiers, document, max_age
        )


def _max_event_age(document: dict, errors: dict) -> int | None:
    """Days an event may take to arrive and still earn; absent: the default, null: no limit."""
    if "max_event_age_days" not in document:
        return DEFAULT_MAX_EVENT_AGE_DAYS
    raw = document["max_event_age_days"]
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_EVENT_AGE_LIMIT:
        errors["max_event_age_days"] = [
            f"must be a whole number of days from 1 to {MAX_EVENT_AGE_LIMIT}, or null for no limit"
        ]
        return None
    return raw


def _parse_points(value: Any, errors: dict) -> dict[str, int]:
    if not isinstance(value, dict):
        errors["points"] = ["must be an object mapping event type to points"]
        return {}
    parsed = {}
    for event_type in EVENT_TYPES:
        raw = value.get(event_type)
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 10_000:
            errors[f"points.{event_type}"] = ["must be a whole number from 0 to 10000"]
        else:
            parsed[event_type] = raw
    for extra in sorted(set(value) - set(EVENT_TYPES)):
        errors[f"points.{extra}"] = ["unknown event type"]
    return parsed


def _parse_multipliers(value: Any, errors: dict) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        errors["network_multipliers"] = ["must be an object mapping network to a multiplier"]
        return {}
    parsed = {}
    for network in NETWORKS:
        raw = value.get(network, 1)
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            errors[f"network_multipliers.{network}"] = ["must be a number"]
            continue
        try:
            number = Decimal(str(raw))
        except ArithmeticError:
            errors[f"network_multipliers.{network}"] = ["must be a number"]
            continue
        if not number.is_finite() or not Decimal(0) <= number <= MAX_MULTIPLIER:
            errors[f"network_multipliers.{network}"] = ["must be between 0 and 10"]
        else:
            parsed[network] = number
    for extra in sorted(set(value) - set(NETWORKS)):
        errors[f"network_multipliers.{extra}"] = ["unknown network"]
    return parsed


def _optional_count(raw: Any, name: str, errors: dict) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        errors[name] = ["must be a whole number >= 0, or null for no cap"]
        return None
    return raw


def load_default_document() -> dict[str, Any]:
    return json.loads(DEFAULT_RULESET_PATH.read_text())


@dataclass(frozen=True)
class ScorableEvent:
    type: str
    network: str
    count: int = 1
    # How long after it occurred Laurel received it (received_at - occurred_at),
    # and whether it came through a backfill path, which has no age limit.
    delay: dt.timedelta = dt.timedelta(0)
    backfill: bool = False


@dataclass(frozen=True)
class DayState:
    """What a person's events have used of one local day's caps so far."""

    scoring_shares: int = 0
    share_points: int = 0
    engagement_points: int = 0

    @property
    def points(self) -> int:
        return self.share_points + self.engagement_points


@dataclass(frozen=True)
class Award:
    rule: str
    points: int
    base_points: int
    capped: bool
    reason: str


def base_points(event: ScorableEvent, ruleset: Ruleset) -> int:
    """Points before caps: value x count x network multiplier, rounded half up."""
    raw = ruleset.points[event.type] * event.count * ruleset.multipliers[event.network]
    if raw == int(raw):  # the common case (multiplier 1.0): no rounding to do
        return int(raw)
    return int(Decimal(raw).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def arrived_too_late(event: ScorableEvent, ruleset: Ruleset) -> bool:
    """Received more than the ruleset's window after it occurred, and not a backfill.

    Measured from when Laurel received it, so a re-score decides the same.
    """
    limit = ruleset.max_event_age_days
    return limit is not None and not event.backfill and event.delay > dt.timedelta(days=limit)


def score_event(event: ScorableEvent, state: DayState, ruleset: Ruleset) -> tuple[Award, DayState]:
    """Score one event against the day's caps; returns the award and the new state.

    An event that arrived too late earns nothing and leaves the day's caps as
    they were (its award's rule is LATE).
    """
    full = base_points(event, ruleset)
    what = f"{event.type} on {event.network}"
    if event.count != 1:
        what += f" x{event.count}"
    if arrived_too_late(event, ruleset):
        days = event.delay.days
        reason = (
            f"{what}: no points, it arrived {days} days after it happened "
            f"(events earn within {ruleset.max_event_age_days} days)"
        )
        return Award(LATE, 0, full, False, reason), state
    if event.type == SHARE:
        cap = ruleset.max_scoring_shares
        if cap is not None and state.scoring_shares >= cap:
            reason = f"{what}: capped, daily limit of {cap} scoring shares reached"
            return Award(event.type, 0, full, True, reason), state
        award = Award(event.type, full, full, False, f"{what}: {full} points")
        return award, DayState(
            state.scoring_shares + 1, state.share_points + full, state.engagement_points
        )
    cap = ruleset.max_engagement_points
    granted = full if cap is None else max(0, min(full, cap - state.engagement_points))
    if granted < full:
        reason = (
            f"{what}: {granted} of {full} points, daily engagement limit of {cap} points reached"
        )
    else:
        reason = f"{what}: {full} points"
    award = Award(event.type, granted, full, granted < full, reason)
    return award, DayState(
        state.scoring_shares, state.share_points, state.engagement_points + granted
    )


# --- what would close a gap on a board ------------------------------------------

# Beyond this many days of full activity, or shares in a day without a share cap,
# a gap is just a gap: no advice.
MAX_ADVICE_DAYS = 30
MAX_ADVICE_SHARES = 25


@dataclass(frozen=True)
class GapAdvice:
    """What would close a gap: `shares` today (on `network`, when networks differ),
    or about `days` of full activity (every scoring share and engagement point the
    daily caps allow, today's remainder counted as a day)."""

    shares: int | None = None
    network: str | None = None
    days: int | None = None


def closing_advice(
    gap: int, ruleset: Ruleset, today: DayState, days_left: int | None = None
) -> GapAdvice | None:
    """What would make up `gap` points under `ruleset`, given what `today` has used of the caps.

    Shares come first, as the one thing a person does themselves: when the
    scoring shares left today cover the gap, the advice is that many shares.
    Otherwise it is the number of days at the daily caps. `days_left` (today
    included) bounds a period that ends, such as this week. None when nothing
    sensible can be said: shares earn nothing, or it would take longer than
    the period has left or than MAX_ADVICE_DAYS (or, with no share cap, more
    than MAX_ADVICE_SHARES shares).
    """
    if gap <= 0:
        return None
    paying = {n: m for n, m in ruleset.multipliers.items() if m > 0}
    if not paying or ruleset.points.get(SHARE, 0) <= 0:
        return None
    best = max(paying, key=lambda n: (paying[n], n == "linkedin"))
    per_share = base_points(ScorableEvent(SHARE, best), ruleset)
    if per_share <= 0:
        return None
    network = best if len(set(paying.values())) > 1 else None
    shares_needed = -(-gap // per_share)
    cap = ruleset.max_scoring_shares
    shares_left = None if cap is None else max(0, cap - today.scoring_shares)
    if shares_left is None or shares_needed <= shares_left:
        if (days_left is not None and days_left < 1) or shares_needed > MAX_ADVICE_SHARES:
            return None
        return GapAdvice(shares=shares_needed, network=network)
    engagement_cap = ruleset.max_engagement_points
    # Unbounded engagement is no promise, so only the capped part counts.
    full_day = cap * per_share + (engagement_cap or 0)
    if full_day <= 0:
        return None
    rest_of_today = shares_left * per_share
    if engagement_cap is not None:
        rest_of_today += max(0, engagement_cap - today.engagement_points)
    still = max(0, gap - rest_of_today)
    days = (1 if rest_of_today > 0 else 0) + -(-still // full_day)
    # Days counted from tomorrow when today has nothing left to give.
    calendar_days = days if rest_of_today > 0 else days + 1
    if days > MAX_ADVICE_DAYS or (days_left is not None and calendar_days > days_left):
        return None
    return GapAdvice(days=days)
