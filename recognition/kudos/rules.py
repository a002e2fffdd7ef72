"""Kudos rules over plain data: settings, allowances, the give checks, fairness flags.

No Flask, SQL or Redis here; the service loads what these need and the
database enforces the limits again under concurrency.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

MAX_RECEIVERS = 5
MAX_MESSAGE = 500
MAX_POINTS = 1_000_000
MAX_VALUES = 30
VALUE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ROLES = ("employee", "manager", "admin")

DEFAULT_SETTINGS: dict = {
    "allowance": 100,
    "role_allowances": {},
    "team_allowances": {},
    "manager_bonus_per_report": 10,
    "pair_cap": 50,
    "values": ["teamwork", "customer-first", "ownership", "curiosity", "courage"],
    "value_required": False,
    "min_message_length": 10,
    "fairness_share": 0.6,
    "fairness_min_points": 40,
    "trade_threshold": 40,
}


class SettingsError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("invalid kudos settings")
        self.errors = errors


@dataclass(frozen=True)
class Settings:
    version: int
    allowance: int
    role_allowances: dict[str, int]
    team_allowances: dict[str, int]
    manager_bonus_per_report: int
    pair_cap: int
    values: tuple[str, ...]
    value_required: bool
    min_message_length: int
    # Fairness review: a giver who sent more than `fairness_share` of their
    # month's points (at least `fairness_min_points`) to one person; two people
    # who each sent the other at least `trade_threshold` points in a month.
    fairness_share: float
    fairness_min_points: int
    trade_threshold: int

    def to_document(self) -> dict:
        return {
            "allowance": self.allowance,
            "role_allowances": dict(self.role_allowances),
            "team_allowances": dict(self.team_allowances),
            "manager_bonus_per_report": self.manager_bonus_per_report,
            "pair_cap": self.pair_cap,
            "values": list(self.values),
            "value_required": self.value_required,
            "min_message_length": self.min_message_length,
            "fairness_share": self.fairness_share,
            "fairness_min_points": self.fairness_min_points,
            "trade_threshold": self.trade_threshold,
        }


def _whole(doc, key, errors, least=0, most=MAX_POINTS) -> int:
    value = doc.get(key, DEFAULT_SETTINGS[key])
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        errors.setdefault(key, []).append(f"must be a whole number from {least} to {most}")
        return DEFAULT_SETTINGS[key]
    return value


def _overrides(doc, key, errors, allowed: Iterable[str] | None) -> dict[str, int]:
    raw = doc.get(key, {})
    if not isinstance(raw, dict):
        errors.setdefault(key, []).append("must map names to whole numbers")
        return {}
    out = {}
    for name, value in raw.items():
        if not isinstance(name, str) or (
            (allowed is not None and name not in allowed) or not VALUE_RE.match(name)
        ):
            what = ", ".join(allowed) if allowed is not None else "a team slug"
            errors.setdefault(f"{key}.{name}", []).append(f"must be {what}")
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POINTS:
            errors.setdefault(f"{key}.{name}", []).append(
                f"must be a whole number from 0 to {MAX_POINTS}"
            )
            continue
        out[name] = value
    return out


def parse_settings(doc, version: int = 0) -> Settings:
    """Validate a settings document (missing keys take defaults); SettingsError names
    each bad field."""
    if not isinstance(doc, dict):
        raise SettingsError({"_schema": ["settings are a JSON object"]})
    errors: dict[str, list[str]] = {}
    for extra in sorted(set(doc) - set(DEFAULT_SETTINGS), key=str):
        errors.setdefault(str(extra), []).append("unknown setting")
    values = doc.get("values", DEFAULT_SETTINGS["values"])
    if (
        not isinstance(values, list)
        or len(values) > MAX_VALUES
        or not all(isinstance(v, str) and VALUE_RE.match(v) and len(v) <= 64 for v in values)
        or len(set(values)) != len(values)
    ):
        errors.setdefault("values", []).append(
            f"must be up to {MAX_VALUES} distinct lowercase-hyphenated names"
        )
        values = DEFAULT_SETTINGS["values"]
    required = doc.get("value_required", False)
    if not isinstance(required, bool):
        errors.setdefault("value_required", []).append("must be true or false")
        required = False
    if required and not values:
        errors.setdefault("value_required", []).append("needs at least one value")
    share = doc.get("fairness_share", DEFAULT_SETTINGS["fairness_share"])
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        errors.setdefault("fairness_share", []).append("must be a fraction above 0, at most 1")
        share = DEFAULT_SETTINGS["fairness_share"]
    settings = Settings(
        version=version,
        allowance=_whole(doc, "allowance", errors),
        role_allowances=_overrides(doc, "role_allowances", errors, ROLES),
        team_allowances=_overrides(doc, "team_allowances", errors, None),
        manager_bonus_per_report=_whole(doc, "manager_bonus_per_report", errors),
        pair_cap=_whole(doc, "pair_cap", errors),
        values=tuple(values),
        value_required=required,
        min_message_length=_whole(doc, "min_message_length", errors, 1, MAX_MESSAGE),
        fairness_share=float(share),
        fairness_min_points=_whole(doc, "fairness_min_points", errors),
        trade_threshold=_whole(doc, "trade_threshold", errors, 1),
    )
    if errors:
        raise SettingsError(errors)
    return settings


# --- allowance ----------------------------------------------------------------


def allowance_for(settings: Settings, role: str, team: str | None, direct_reports: int) -> int:
    """A giver's monthly allowance: the team's override, else the role's, else the
    organisation's; plus the bonus per active direct report for managers."""
    if team is not None and team in settings.team_allowances:
        base = settings.team_allowances[team]
    elif role in settings.role_allowances:
        base = settings.role_allowances[role]
    else:
        base = settings.allowance
    bonus = settings.manager_bonus_per_report * direct_reports if role == "manager" else 0
    return base + bonus


def month_of(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The first day of the organisation-local month `moment` falls in."""
    return moment.astimezone(tz).date().replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def resets_at(month: dt.date, tz: ZoneInfo) -> dt.datetime:
    """When the allowance of `month` resets: local midnight of the next month's 1st."""
    return dt.datetime.combine(next_month(month), dt.time(), tzinfo=tz)


# --- the give checks ------------------------------------------------------------


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    active: bool


@dataclass(frozen=True)
class GiveCheck:
    giver: PersonView
    receivers: tuple[PersonView, ...]
    message: str
    value: str | None
    points: int
    allowance_left: int
    pair_used: dict[int, int] = field(default_factory=dict)  # receiver id -> points this month
    event_owner: int | None = None  # the thanked share's author, if an event is named
    unknown_receivers: tuple[str, ...] = ()


def clean_message(text: str) -> str:
    """Trim the message; inner whitespace and line breaks are kept."""
    return text.strip()


def message_errors(text: str, minimum: int = 1) -> list[str]:
    """What is wrong with a kudos message or comment: plain text, `minimum` to
    MAX_MESSAGE characters once trimmed."""
    message = clean_message(text)
    if not message:
        return ["write something"]
    if len(message) < minimum:
        return [f"at least {minimum} characters"]
    if len(message) > MAX_MESSAGE:
        return [f"at most {MAX_MESSAGE} characters"]
    return []


def check_give(settings: Settings, give: GiveCheck) -> dict[str, list[str]]:
    """Every broken rule of a give, by field; empty when it may go ahead."""
    errors: dict[str, list[str]] = defaultdict(list)
    if not give.giver.active:
        errors["giver_id"].append("inactive people cannot give kudos")
    for ref in give.unknown_receivers:
        errors["receiver_ids"].append(f"unknown employee {ref!r}")
    count = len(give.receivers) + len(give.unknown_receivers)
    if count == 0:
        errors["receiver_ids"].append("name at least one receiver")
    if count > MAX_RECEIVERS:
        errors["receiver_ids"].append(f"at most {MAX_RECEIVERS} receivers")
    if len({r.id for r in give.receivers}) != len(give.receivers):
        errors["receiver_ids"].append("each receiver once")
    for r in give.receivers:
        if r.id == give.giver.id:
            errors["receiver_ids"].append("no kudos to yourself")
        elif not r.active:
            errors["receiver_ids"].append(f"{r.name} is inactive and cannot receive kudos")
    if message_problems := message_errors(give.message, settings.min_message_length):
        errors["message"] = message_problems
    if give.value is None:
        if settings.value_required:
            errors["value"].append("choose a value")
    elif give.value not in settings.values:
        errors["value"].append(f"must be one of: {', '.join(settings.values)}")
    if give.points < 0:
        errors["points"].append("cannot be negative")
    elif give.points:
        total = give.points * max(len(give.receivers), 1)
        if total > give.allowance_left:
            errors["points"].append(f"allowance left: {give.allowance_left}")
        for r in give.receivers:
            left = settings.pair_cap - give.pair_used.get(r.id, 0)
            if give.points > left:
                errors["points"].append(f"pair cap: {max(left, 0)} left for {r.name} this month")
    if give.event_owner is not None and give.event_owner not in {r.id for r in give.receivers}:
        errors["event"].append("the share must be by one of the receivers")
    return dict(errors)


# --- fairness review ----------------------------------------------------------------


@dataclass(frozen=True)
class Gift:
    giver: int
    receiver: int
    month: dt.date
    points: int


@dataclass(frozen=True)
class Flag:
    kind: str  # "concentration" | "trading"
    month: dt.date
    people: tuple[int, int]  # (giver, receiver), or the pair in id order
    points: int  # what the giver sent that receiver, or the smaller direction
    detail: str


def fairness_flags(settings: Settings, gifts: Iterable[Gift]) -> list[Flag]:
    """Givers who sent more than the configured share of their month's points to one
    person, and pairs who both sent each other at least the trade threshold."""
    pairs: dict[tuple[dt.date, int, int], int] = defaultdict(int)
    sent: dict[tuple[dt.date, int], int] = defaultdict(int)
    for g in gifts:
        if g.points <= 0:
            continue
        pairs[(g.month, g.giver, g.receiver)] += g.points
        sent[(g.month, g.giver)] += g.points
    flags = []
    for (month, giver, receiver), points in sorted(pairs.items()):
        total = sent[(month, giver)]
        if total >= settings.fairness_min_points and points > settings.fairness_share * total:
            flags.append(
                Flag(
                    "concentration",
                    month,
                    (giver, receiver),
                    points,
                    f"{points} of {total} points this month to one person",
                )
            )
        back = pairs.get((month, receiver, giver), 0)
        if giver < receiver and min(points, back) >= settings.trade_threshold:
            flags.append(
                Flag(
                    "trading",
                    month,
                    (giver, receiver),
                    min(points, back),
                    f"{points} points one way and {back} back in one month",
                )
            )
    return flags
