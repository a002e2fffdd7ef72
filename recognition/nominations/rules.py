"""Nomination rules over plain data: categories, periods, who may nominate and
who decides each step. No Flask, SQL or Redis here."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

PERIODS = ("month", "quarter", "year")
WHO = ("reports", "managers", "anyone")
WHO_LABELS = {
    "reports": "Managers, for their direct reports",
    "managers": "Any manager",
    "anyone": "Anyone",
}
DECIDERS = ("second_line_manager", "admin", "group")
DECIDER_LABELS = {
    "second_line_manager": "The nominee's second-line manager",
    "admin": "Any program admin",
    "group": "A named group of people",
}
MIN_REASON, MAX_REASON = 20, 2000
MAX_STEPS = 3
MAX_GROUP = 20
DEFAULT_BONUS = 100
MAX_BONUS = 10_000
MAX_DECLINE = 1000
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CategoryError(ValueError):
    """A category document that breaks a rule; `errors` names each field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Step:
    decider: str
    group: tuple[int, ...] = ()

    def to_document(self) -> dict:
        doc: dict = {"decider": self.decider}
        if self.decider == "group":
            doc["group"] = list(self.group)
        return doc


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    description: str
    period: str
    badge: str | None
    bonus_points: int
    who_may_nominate: str
    steps: tuple[Step, ...]
    active: bool = True
    version: int = 0


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    active: bool = True
    role: str = "employee"
    manager_id: int | None = None


def _add(errors: dict, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def slug_for(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


def parse_category(
    doc: dict, manual_badges: set[str], people: dict[str, int], slug: str | None = None
) -> Category:
    """A validated category from an editor's document, or CategoryError.

    `manual_badges` are the badges an approval may give; `people` maps the
    employee ids a group step may name to their row ids (active people only).
    """
    errors: dict[str, list[str]] = {}
    name = str(doc.get("name") or "").strip()
    if not 1 <= len(name) <= 120:
        _add(errors, "name", "give a name of 1 to 120 characters")
    description = str(doc.get("description") or "").strip()
    if len(description) > 1000:
        _add(errors, "description", "at most 1,000 characters")
    slug = slug or slug_for(name)
    if name and not SLUG_RE.match(slug or ""):
        _add(errors, "name", "needs at least one letter or digit")
    period = doc.get("period")
    if period not in PERIODS:
        _add(errors, "period", "choose month, quarter or year")
    badge = doc.get("badge") or None
    if badge is not None and badge not in manual_badges:
        _add(errors, "badge", "choose a manual badge of the live ruleset (or none)")
    bonus = doc.get("bonus_points", DEFAULT_BONUS)
    if isinstance(bonus, bool) or not isinstance(bonus, int) or not 0 <= bonus <= MAX_BONUS:
        _add(errors, "bonus_points", f"a whole number from 0 to {MAX_BONUS}")
        bonus = 0
    who = doc.get("who_may_nominate")
    if who not in WHO:
        _add(errors, "who_may_nominate", "choose reports, managers or anyone")
    raw_steps = doc.get("steps")
    steps: list[Step] = []
    if not isinstance(raw_steps, list) or not 1 <= len(raw_steps) <= MAX_STEPS:
        _add(errors, "steps", f"an approval chain of 1 to {MAX_STEPS} steps")
        raw_steps = []
    for i, item in enumerate(raw_steps, start=1):
        key = f"steps.{i}"
        decider = item.get("decider") if isinstance(item, dict) else None
        if decider not in DECIDERS:
            _add(errors, key, "choose who decides: second_line_manager, admin or group")
            continue
        group: tuple[int, ...] = ()
        if decider == "group":
            refs = item.get("group")
            if not isinstance(refs, list) or not 1 <= len(refs) <= MAX_GROUP:
                _add(errors, key, f"a group names 1 to {MAX_GROUP} people")
                continue
            unknown = [str(r) for r in refs if str(r) not in people]
            if unknown:
                _add(errors, key, "not active employees: " + ", ".join(unknown[:5]))
                continue
            group = tuple(sorted({people[str(r)] for r in refs}))
        steps.append(Step(decider, group))
    if errors:
        raise CategoryError(errors)
    return Category(
        slug=slug,
        name=name,
        description=description,
        period=period,
        badge=badge,
        bonus_points=bonus,
        who_may_nominate=who,
        steps=tuple(steps),
        active=doc.get("active", True) is not False,
    )


def steps_from_document(steps: list) -> tuple[Step, ...]:
    return tuple(Step(s["decider"], tuple(s.get("group", ()))) for s in steps)


# --- periods ------------------------------------------------------------------------


def period_label(kind: str, day: dt.date) -> str:
    if kind == "month":
        return f"{day:%Y-%m}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


_LABELS = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}


def period_bounds(kind: str, label: str) -> tuple[dt.date, dt.date]:
    """Local days [first, end) of a period label; ValueError if it is not one of `kind`."""
    match = _LABELS[kind].match(label or "")
    if not match:
        raise ValueError(f"not a {kind} such as {period_label(kind, dt.date(2026, 11, 1))}")
    year = int(match.group(1))
    if year < 2000 or year > 2999:
        raise ValueError("year out of range")
    if kind == "year":
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    if kind == "quarter":
        first_month = (int(match.group(2)) - 1) * 3 + 1
        months = 3
    else:
        first_month, months = int(match.group(2)), 1
    first = dt.date(year, first_month, 1)
    end_month = first_month + months
    end = dt.date(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return first, end


def open_periods(kind: str, today: dt.date) -> tuple[str, str]:
    """The periods one may nominate for: the current one and the one before."""
    current = period_label(kind, today)
    first, _ = period_bounds(kind, current)
    previous = period_label(kind, first - dt.timedelta(days=1))
    return current, previous


def period_name(kind: str, label: str) -> str:
    """For people: "November 2026", "Q4 2026", "2026"."""
    try:
        first, _ = period_bounds(kind, label)
    except ValueError:
        return label
    if kind == "month":
        return f"{first:%B %Y}"
    if kind == "quarter":
        return f"Q{(first.month - 1) // 3 + 1} {first.year}"
    return str(first.year)


# --- nominating ---------------------------------------------------------------------


def clean_reason(text: str) -> str:
    """Plain text, trimmed, with one kind of line break."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass(frozen=True)
class NominateCheck:
    nominator: PersonView
    nominee: PersonView | None
    category: Category | None
    period: str
    reason: str
    today: dt.date
    unknown_nominee: str | None = None
    # Direct reports of the nominator (for "reports" categories).
    reports: frozenset[int] = field(default_factory=frozenset)


def check_nomination(check: NominateCheck) -> dict[str, list[str]]:
    """Every rule a new nomination must meet, as errors naming the field."""
    errors: dict[str, list[str]] = {}
    nominator, nominee, category = check.nominator, check.nominee, check.category
    if not nominator.active:
        _add(errors, "nominator_id", "inactive people cannot nominate")
    if nominee is None:
        _add(errors, "nominee_id", "pick a colleague to nominate")
    elif nominee.id == nominator.id:
        _add(errors, "nominee_id", "you cannot nominate yourself")
    elif not nominee.active:
        _add(errors, "nominee_id", "only active people can be nominated")
    if category is None or not category.active:
        _add(errors, "category", "choose one of the open categories")
    else:
        if category.who_may_nominate == "managers" and nominator.role not in ("manager", "admin"):
            _add(errors, "category", f"only managers nominate for {category.name}")
        if (
            category.who_may_nominate == "reports"
            and nominee is not None
            and "nominee_id" not in errors
            and nominee.id not in check.reports
        ):
            _add(errors, "nominee_id", f"{category.name} is for a manager's own direct reports")
        try:
            period_bounds(category.period, check.period)
        except ValueError as exc:
            _add(errors, "period", str(exc))
        else:
            allowed = open_periods(category.period, check.today)
            if check.period not in allowed:
                _add(
                    errors,
                    "period",
                    "nominate for " + " or ".join(period_name(category.period, p) for p in allowed),
                )
    reason = clean_reason(check.reason)
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        _add(
            errors, "reason", f"write {MIN_REASON} to {MAX_REASON:,} characters (now {len(reason)})"
        )
    return errors


# --- deciding -----------------------------------------------------------------------


@dataclass(frozen=True)
class DecideCheck:
    step: Step
    actor: PersonView
    nominator_id: int
    nominee_id: int
    second_line_id: int | None
    # Who decided earlier steps: one person decides at most one step.
    decided_by: frozenset[int] = frozenset()


def refusal_to_decide(check: DecideCheck) -> str | None:
    """Why this person may not decide this step, or None when they may."""
    actor = check.actor
    if not actor.active:
        return "inactive people cannot decide"
    if actor.id == check.nominator_id:
        return "you cannot decide a nomination you made"
    if actor.id == check.nominee_id:
        return "you cannot decide a nomination you received"
    if actor.id in check.decided_by:
        return "you decided an earlier step; another person decides this one"
    decider = check.step.decider
    if decider == "second_line_manager":
        # Without a second-line manager, the program admins stand in.
        if check.second_line_id is None:
            return None if actor.role == "admin" else "this step is for a program admin"
        if actor.id != check.second_line_id:
            return "this step is for the nominee's second-line manager"
        return None
    if decider == "admin":
        return None if actor.role == "admin" else "this step is for a program admin"
    return None if actor.id in check.step.group else "this step is for the recognition group"


def after_approval(step: int, steps: int) -> tuple[str, int]:
    """Status and waiting step once `step` of `steps` is approved."""
    if step >= steps:
        return "approved", steps
    return "in_review", step + 1


def check_decline_reason(reason: str) -> str | None:
    reason = (reason or "").strip()
    if not reason:
        return "a decline needs a reason"
    if len(reason) > MAX_DECLINE:
        return f"at most {MAX_DECLINE:,} characters"
    return None
