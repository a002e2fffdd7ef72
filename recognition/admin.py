"""Admin pages: program analytics, scoring rules (with re-scoring), API tokens.

Views stay thin: analytics figures come from `recognition.analytics`, rules
are validated only by `Ruleset.from_document` (through `save_ruleset`), and
tokens are made and revoked by `recognition.tokens`. What lives here is how
those map onto pages: the rules document as a form and back, a readable diff
between two rule versions, and the progress of a re-score job.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from recognition import analytics as figures
from recognition.auth import current_person, login_required
from recognition.extensions import db, htmx
from recognition.inputs import record_id
from recognition.tokens import SCOPES, ApiToken, create_token, revoke_token
from scoring import outbox
from scoring.achievements import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_TARGET
from scoring.jobs import (
    ACTIVE_STATES,
    active_rescore,
    enqueue_rescore,
    enqueue_scoring,
    fetch_job,
    rescore_job,
)
from scoring.ledger import org_today
from scoring.models import LedgerGeneration, RulesetVersion
from scoring.rules import (
    DEFAULT_MAX_EVENT_AGE_DAYS,
    EVENT_TYPES,
    MAX_EVENT_AGE_LIMIT,
    MAX_MULTIPLIER,
    NETWORKS,
    RulesetError,
)
from scoring.rulesets import ensure_scoring_setup, live_scoring, save_ruleset

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")

NOTE_LIMIT = 500
MAX_POINTS = 10_000  # as scoring.rules checks; only a browser hint here
HISTORY_LIMIT = 50
RESCORE_FUNC = f"{rescore_job.__module__}.{rescore_job.__qualname__}"


# --- shared page plumbing ----------------------------------------------------------


def _page(full: str | None, partial: str, status: int = 200, **context):
    """The full page, or for htmx only the region it swaps.

    htmx 2 does not swap 4xx answers, so a form re-rendered with errors goes
    back to htmx as 200; plain browsers get the honest status.
    """
    template = partial if htmx or full is None else full
    if htmx and status >= 400:
        status = 200
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def _redirect(target: str):
    """After a successful POST: htmx follows HX-Redirect, browsers a 303."""
    if htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def _when(moment) -> str:
    """A stored UTC time as the organisation reads it."""
    if moment is None:
        return ""
    local = moment.astimezone(current_app.config["LAUREL_TZ"])
    return f"{local.day} {local:%b %Y, %H:%M}"


@bp.context_processor
def _helpers():
    return {"when": _when}


# --- analytics ---------------------------------------------------------------------


@bp.get("/")
@login_required(role="admin")
def analytics():
    """Program figures for one month (`?month=YYYY-MM`, default this month)."""
    today = org_today()
    error = None
    try:
        month = figures.parse_month(request.args.get("month"), today)
    except ValueError as exc:
        error = f"{exc} Showing this month instead."
        month = figures.month_of(today)
    report = figures.month_report(month)
    trend = figures.weekly_trend(min(today, month.last_day))
    return _page(
        "admin/analytics.html",
        "admin/_analytics.html",
        report=report,
        trend=trend,
        charts=[
            bar_chart("shares", "Shares per week", "shares", [(w.label, w.shares) for w in trend]),
            bar_chart("points", "Points per week", "points", [(w.label, w.points) for w in trend]),
        ],
        error=error,
        this_month=figures.month_of(today),
    )


@bp.get("/analytics.csv")
@login_required(role="admin")
def analytics_csv():
    """The month's figures per team and per person, as a CSV download."""
    try:
        month = figures.parse_month(request.args.get("month"), org_today())
    except ValueError:
        # A hand-edited link: back to the page, which explains the month format.
        return redirect(url_for(".analytics", month=request.args.get("month")))
    response = make_response(figures.month_csv(month))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="laurel-analytics-{month.key}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"  # names and activity of real people
    return response


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class BarChart:
    key: str
    title: str
    unit: str
    bars: list[Bar]
    top: int
    width: int = 360
    height: int = 180
    left: int = 40
    bottom: int = 156  # the baseline; week labels sit under it
    plot_top: int = 12

    @property
    def middle(self) -> float:
        return (self.plot_top + self.bottom) / 2

    @property
    def summary(self) -> str:
        if not self.bars:
            return ""
        first, last = self.bars[0].label, self.bars[-1].label
        peak = max(self.bars, key=lambda b: b.value)
        if peak.value == 0:
            return f"Weeks {first} to {last}: no {self.unit} yet."
        return f"Weeks {first} to {last}. Highest: {peak.value:,} {self.unit} in {peak.label}."


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


# Room per character of the axis label: digits at the phone's 13px are about 7.5 wide.
LABEL_CHAR_WIDTH = 8
LABEL_GAP = 10  # from the label's left end to the edge, and to the axis


def bar_chart(key: str, title: str, unit: str, points: list[tuple[str, int]]) -> BarChart:
    """Geometry of a small server-rendered bar chart (one bar per week).

    The plot starts right of the widest axis label ("10,000"), so none is clipped.
    """
    top = _nice_ceiling(max((v for _, v in points), default=0))
    left = max(BarChart.left, LABEL_GAP + LABEL_CHAR_WIDTH * len(f"{top:,}"))
    chart = BarChart(key, title, unit, [], top, left=left)
    slot = (chart.width - chart.left - 4) / max(len(points), 1)
    span = chart.bottom - chart.plot_top
    bars = []
    for index, (label, value) in enumerate(points):
        height = span * value / chart.top
        bars.append(
            Bar(
                x=round(chart.left + index * slot + slot * 0.2, 2),
                y=round(chart.bottom - height, 2),
                width=round(slot * 0.6, 2),
                height=round(height, 2),
                label=label,
                value=value,
            )
        )
    return dataclasses.replace(chart, bars=bars)


# --- rules: the ruleset document as a form -----------------------------------------

EVENT_LABELS = {
    "share": "Share",
    "reshare": "Reshare",
    "comment": "Comment",
    "like": "Like",
    "click": "Click",
}
NETWORK_LABELS = {
    "linkedin": "LinkedIn",
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "other": "Other networks",
}
CAP_LABELS = {
    "scoring_shares": ("Scoring shares per day", "Daily share cap"),
    "engagement_points": ("Engagement points per day", "Daily engagement points cap"),
}
TARGET_UNITS = {
    "shares": "shares",
    "comments_earned": "comments on their shares",
    "engagements_earned": "engagements on their shares",
    "kudos_given": "kudos given",
    "kudos_received": "kudos received",
    "mentorships_completed": "mentorships completed as the mentor",
    "networks": "different networks shared on",
    "share_weeks": "ISO weeks in a row with a share",
}
TIER_LABELS = {
    "min_points_90d": "Points in the last 90 days",
    "min_engagement_per_share": "Engagements per share",
}
# ASCII digits, and few enough that int() and float() take them as they are:
# anything else stays text for the ruleset validator to refuse.
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?([0-9]{1,18}(\.[0-9]{0,18})?|\.[0-9]{1,18})")


@dataclass
class Field:
    """One input; `name` is the ruleset path the validator names in its errors."""

    name: str
    path: tuple
    label: str
    kind: str  # count, cap, multiplier, ratio, text, textarea
    hint: str | None = None
    # Browser hints only (max, maxlength, min); the ruleset validator decides.
    limit: int | None = None
    minimum: int = 0
    value: str = ""
    errors: list[str] = field(default_factory=list)
    # What the rules mean when the document leaves this value out.
    default: Any = None

    @property
    def id(self) -> str:
        return _dom_id("f", self.name)


def _dom_id(prefix: str, name: str) -> str:
    """An HTML id for a form part: the prefix, then the name's letters and digits."""
    return f"{prefix}-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


@dataclass
class Group:
    """A fieldset: the points table, the caps, one badge, one tier."""

    key: str
    legend: str
    fields: list[Field]
    note: str | None = None
    image: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return _dom_id("g", self.key)


@dataclass
class RulesForm:
    base_version: int
    sections: list[tuple[str, str, list[Group]]]  # (id, heading, groups)
    note: str = ""
    note_errors: list[str] = field(default_factory=list)
    general_errors: list[str] = field(default_factory=list)
    summary: list[tuple[str, str, str]] = field(default_factory=list)  # (anchor, what, message)


def _target_hint(badge: dict) -> str:
    if badge.get("kind") == "period_points":
        return "Points earned in one week (Monday to Sunday)."
    unit = TARGET_UNITS.get(badge.get("metric") or "", "")
    return f"Number of {unit}." if unit else ""


def _badge_group(index: int, badge: dict) -> Group:
    key = f"badges[{index}]"
    name = badge.get("name") or badge.get("slug") or f"Badge {index + 1}"
    fields = [
        Field(f"{key}.name", ("badges", index, "name"), "Name", "text", limit=MAX_NAME_LENGTH),
        Field(
            f"{key}.description",
            ("badges", index, "description"),
            "Description",
            "textarea",
            limit=MAX_DESCRIPTION_LENGTH,
        ),
    ]
    note = None
    kind = badge.get("kind")
    if kind == "manual":
        note = "Awarded by hand by the recognition team; there is no target."
    elif kind == "first":
        note = "Earned the first time it happens; there is no target to set."
    elif isinstance(badge.get("levels"), list):
        for level, entry in enumerate(badge["levels"]):
            label = (
                entry.get("label") if isinstance(entry, dict) else None
            ) or f"Level {level + 1}"
            fields.append(
                Field(
                    f"{key}.levels[{level}].target",
                    ("badges", index, "levels", level, "target"),
                    f"{label} target",
                    "count",
                    _target_hint(badge),
                    limit=MAX_TARGET,
                    minimum=1,
                )
            )
    elif "target" in badge:
        fields.append(
            Field(
                f"{key}.target",
                ("badges", index, "target"),
                "Target",
                "count",
                _target_hint(badge),
                limit=MAX_TARGET,
                minimum=1,
            )
        )
    return Group(key, name, fields, note=note, image=badge.get("image"))


def _tier_group(index: int, tier: dict) -> Group:
    key = f"tiers[{index}]"
    name = tier.get("name") or tier.get("slug") or f"Tier {index + 1}"
    if index == 0:
        return Group(key, name, [], note="Everyone starts in this tier; it has no thresholds.")
    return Group(
        key,
        name,
        [
            Field(
                f"{key}.min_points_90d",
                ("tiers", index, "min_points_90d"),
                TIER_LABELS["min_points_90d"],
                "count",
            ),
            Field(
                f"{key}.min_engagement_per_share",
                ("tiers", index, "min_engagement_per_share"),
                TIER_LABELS["min_engagement_per_share"],
                "ratio",
                "Engagements earned per share over the same 90 days.",
            ),
        ],
        note="A person reaches this tier when both thresholds are met.",
    )


def _sections(document: dict) -> list[tuple[str, str, list[Group]]]:
    """Every editable value of a ruleset document, grouped as the form shows them."""
    points = Group(
        "points",
        "Points per event",
        [
            Field(
                f"points.{t}",
                ("points", t),
                EVENT_LABELS[t],
                "count",
                None if t == "share" else "Per engagement.",
                limit=MAX_POINTS,
            )
            for t in EVENT_TYPES
        ],
    )
    multipliers = Group(
        "network_multipliers",
        "Network multipliers",
        [
            Field(
                f"network_multipliers.{n}",
                ("network_multipliers", n),
                NETWORK_LABELS[n],
                "multiplier",
                limit=int(MAX_MULTIPLIER),
            )
            for n in NETWORKS
        ],
        note="Points are multiplied by the network's value (0 to 10), then rounded.",
    )
    caps = Group(
        "daily_caps",
        "Daily caps",
        [
            Field(
                f"daily_caps.{c}",
                ("daily_caps", c),
                CAP_LABELS[c][0],
                "cap",
                "Leave blank for no cap.",
            )
            for c in CAP_LABELS
        ],
        note="Per person and local day. Activity beyond a cap still counts towards badges and tiers.",
    )
    late = Group(
        "max_event_age_days",
        "Late events",
        [
            Field(
                "max_event_age_days",
                ("max_event_age_days",),
                "Days an event may take to arrive",
                "cap",
                "Leave blank for no limit.",
                limit=MAX_EVENT_AGE_LIMIT,
                minimum=1,
                default=DEFAULT_MAX_EVENT_AGE_DAYS,
            )
        ],
        note=(
            "An event that reaches Laurel later than this after it happened is kept and shown, "
            "but earns nothing. Imports through the backfill scope or the command line are exempt."
        ),
    )
    badges = document.get("badges") if isinstance(document.get("badges"), list) else []
    tiers = document.get("tiers") if isinstance(document.get("tiers"), list) else []
    return [
        ("rules-points", "Points", [points, multipliers, caps, late]),
        (
            "rules-badges",
            "Badges",
            [_badge_group(i, b) for i, b in enumerate(badges) if isinstance(b, dict)],
        ),
        (
            "rules-tiers",
            "Thought-leader tiers",
            [_tier_group(i, t) for i, t in enumerate(tiers) if isinstance(t, dict)],
        ),
    ]


_MISSING = object()


def _lookup(document: Any, path: tuple, missing: Any = None) -> Any:
    """The value at `path`, or `missing` where the document has none."""
    for step in path:
        in_dict = isinstance(document, dict) and isinstance(step, str) and step in document
        in_list = isinstance(document, list) and isinstance(step, int) and step < len(document)
        if not (in_dict or in_list):
            return missing
        document = document[step]
    return document


def _assign(document: dict, path: tuple, value: Any) -> None:
    target: Any = document
    for step in path[:-1]:
        if isinstance(step, str) and not isinstance(target.get(step), dict | list):
            target[step] = {}
        target = target[step]
    target[path[-1]] = value


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(str(value)).normalize(), "f")
    return str(value)


def _parsed(raw: str, kind: str) -> Any:
    """What the admin typed, as the JSON value the ruleset validator judges.

    Text that is not a number stays text (or None where text would be
    accepted), so the validator rejects it with its own message.
    """
    raw = raw.strip()
    if kind in ("text", "textarea"):
        return raw
    if raw == "":
        return None  # a cap left blank means no cap; elsewhere the validator refuses it
    if _INTEGER.fullmatch(raw):
        return int(raw)
    if kind in ("multiplier", "ratio") and _DECIMAL.fullmatch(raw):
        return float(raw)
    return None if kind == "multiplier" else raw


def document_from_form(base: dict, form) -> tuple[dict, dict[str, str]]:
    """The ruleset `base` with the form's values put in; also what was typed, by field.

    Fields missing from the form keep their value from `base`.
    """
    document = copy.deepcopy(base)
    typed: dict[str, str] = {}
    for _, _, groups in _sections(base):
        for group in groups:
            for item in group.fields:
                if item.name in form:
                    typed[item.name] = form.get(item.name, "")
                    value = _parsed(typed[item.name], item.kind)
                    absent = _lookup(base, item.path, _MISSING) is _MISSING
                    if item.default is not None and absent and value == item.default:
                        continue  # left at what the rules already mean without it
                    _assign(document, item.path, value)
    return document, typed


def _friendly(message: str) -> str:
    message = message.replace("or null for no cap", "or blank for no cap")
    message = message.replace("or null for no limit", "or blank for no limit")
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else message + "."


def _belongs(path: str, key: str) -> bool:
    return path == key or path.startswith((key + ".", key + "["))


def rules_form(
    base: RulesetVersion,
    typed: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    note: str = "",
) -> RulesForm:
    """The form for editing `base`, showing typed values and errors next to their fields."""
    typed = typed or {}
    form = RulesForm(base.version, _sections(base.document), note=note)
    fields: dict[str, tuple[Group, Field]] = {}
    for _, _, groups in form.sections:
        for group in groups:
            for item in group.fields:
                stored = _lookup(base.document, item.path, _MISSING)
                shown = _shown(item.default if stored is _MISSING else stored)
                item.value = typed.get(item.name, shown)
                fields[item.name] = (group, item)
    groups = [g for _, _, gs in form.sections for g in gs]
    for path, messages in (errors or {}).items():
        for message in map(_friendly, messages):
            if path in fields:
                group, item = fields[path]
                item.errors.append(message)
                form.summary.append((item.id, f"{group.legend}: {item.label}", message))
            elif path == "note":
                form.note_errors.append(message)
                form.summary.append(("f-note", "Note", message))
            elif owner := max(
                (g for g in groups if _belongs(path, g.key)), key=lambda g: len(g.key), default=None
            ):
                owner.errors.append(message)
                form.summary.append((owner.id, owner.legend, message))
            else:
                form.general_errors.append(message)
                form.summary.append(("rules-form", "Rules", message))
    return form


# --- rules: a readable diff between two versions -----------------------------------


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return "not set" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except InvalidOperation:
        return str(value)


def _quoted(value: Any) -> str:
    return "not set" if value is None else f"“{value}”"


def _change(changes: list[str], label: str, old: Any, new: Any, show=_number) -> None:
    if old != new:
        changes.append(f"{label}: {show(old)} → {show(new)}")


def _levels(badge: dict) -> dict[str | None, Any]:
    levels = badge.get("levels")
    if isinstance(levels, list):
        return {
            (entry.get("label") if isinstance(entry, dict) else None)
            or f"Level {i + 1}": entry.get("target") if isinstance(entry, dict) else None
            for i, entry in enumerate(levels)
        }
    return {None: badge["target"]} if "target" in badge else {}


def _by_slug(items: Any) -> dict[str, dict]:
    if not isinstance(items, list):
        return {}
    return {i["slug"]: i for i in items if isinstance(i, dict) and isinstance(i.get("slug"), str)}


def _badge_changes(changes: list[str], old: Any, new: Any) -> None:
    before, after = _by_slug(old), _by_slug(new)
    for slug, badge in after.items():
        name = badge.get("name") or slug
        if slug not in before:
            changes.append(f"New badge: {name}")
            continue
        previous = before[slug]
        if previous.get("name") != badge.get("name"):
            changes.append(f"Badge {_quoted(previous.get('name'))} renamed {_quoted(name)}")
        _change(
            changes,
            f"{name} description",
            previous.get("description"),
            badge.get("description"),
            _quoted,
        )
        old_levels, new_levels = _levels(previous), _levels(badge)
        for label, target in new_levels.items():
            what = f"{name} target" if label is None else f"{name} ({label}) target"
            if label in old_levels:
                _change(changes, what, old_levels[label], target)
            else:
                changes.append(
                    f"{name} ({label or 'single'}) level added, target {_number(target)}"
                )
        for label in [label for label in old_levels if label not in new_levels]:
            changes.append(f"{name} ({label or 'single'}) level removed")
        for key in ("kind", "metric", "period", "image"):
            _change(changes, f"{name} {key}", previous.get(key), badge.get(key), _quoted)
    for slug, badge in before.items():
        if slug not in after:
            changes.append(f"Badge removed: {badge.get('name') or slug}")


def _tier_changes(changes: list[str], old: Any, new: Any) -> None:
    before, after = _by_slug(old), _by_slug(new)
    for slug, tier in after.items():
        name = tier.get("name") or slug
        if slug not in before:
            changes.append(
                f"New tier: {name} (from {_number(tier.get('min_points_90d'))} points in 90 days"
                f" and {_number(tier.get('min_engagement_per_share'))} engagements per share)"
            )
            continue
        previous = before[slug]
        if previous.get("name") != tier.get("name"):
            changes.append(f"Tier {_quoted(previous.get('name'))} renamed {_quoted(name)}")
        for key, label in TIER_LABELS.items():
            _change(changes, f"{name} tier: {label.lower()}", previous.get(key), tier.get(key))
    for slug, tier in before.items():
        if slug not in after:
            changes.append(f"Tier removed: {tier.get('name') or slug}")
    kept = [slug for slug in after if slug in before]
    if kept != [slug for slug in before if slug in after]:
        changes.append("Tier order changed")


def diff_rulesets(old: dict, new: dict) -> list[str]:
    """What changed from ruleset document `old` to `new`, one readable line per change."""
    changes: list[str] = []
    _change(changes, "Ruleset name", old.get("name"), new.get("name"), _quoted)
    old_points, new_points = old.get("points") or {}, new.get("points") or {}
    for event_type in [
        *EVENT_TYPES,
        *sorted((set(old_points) | set(new_points)) - set(EVENT_TYPES)),
    ]:
        label = f"{EVENT_LABELS.get(event_type, event_type)} points"
        _change(changes, label, old_points.get(event_type), new_points.get(event_type))
    old_multipliers = old.get("network_multipliers") or {}
    new_multipliers = new.get("network_multipliers") or {}
    for network in NETWORKS:
        _change(
            changes,
            f"{NETWORK_LABELS[network]} multiplier",
            old_multipliers.get(network, 1),
            new_multipliers.get(network, 1),
        )
    old_caps, new_caps = old.get("daily_caps") or {}, new.get("daily_caps") or {}
    for cap, (_, label) in CAP_LABELS.items():
        _change(
            changes,
            label,
            old_caps.get(cap),
            new_caps.get(cap),
            lambda v: "no cap" if v is None else _number(v),
        )
    _change(
        changes,
        "Days an event may take to arrive",
        old.get("max_event_age_days", DEFAULT_MAX_EVENT_AGE_DAYS),
        new.get("max_event_age_days", DEFAULT_MAX_EVENT_AGE_DAYS),
        lambda v: "no limit" if v is None else _number(v),
    )
    _badge_changes(changes, old.get("badges"), new.get("badges"))
    _tier_changes(changes, old.get("tiers"), new.get("tiers"))
    known = {
        "name",
        "points",
        "network_multipliers",
        "daily_caps",
        "max_event_age_days",
        "badges",
        "tiers",
    }
    for key in sorted((set(old) | set(new)) - known):
        if old.get(key) != new.get(key):
            changes.append(f"Setting {key!r} changed")
    return changes


# --- rules: pages --------------------------------------------------------------------


@dataclass
class RulesOverview:
    latest: RulesetVersion
    live_version: int
    building: set[int]
    history: list[RulesetVersion]


def rules_overview() -> RulesOverview:
    """The newest saved version, the live one, and the recent history."""
    live_version = live_scoring().ruleset.version
    history = list(
        db.session.scalars(
            select(RulesetVersion).order_by(RulesetVersion.version.desc()).limit(HISTORY_LIMIT)
        )
    )
    building = set(
        db.session.scalars(
            select(LedgerGeneration.ruleset_version).where(LedgerGeneration.state == "building")
        )
    )
    return RulesOverview(history[0], live_version, building, history)


def _version(version_id: int) -> RulesetVersion | None:
    ensure_scoring_setup()  # a fresh install has version 1 before anyone looks
    return db.session.get(RulesetVersion, version_id)


@bp.get("/rules")
@login_required(role="admin")
def rules():
    """The scoring rules as a form, starting from the newest saved version."""
    overview = rules_overview()
    return _page(
        "admin/rules.html",
        "admin/_rules_form.html",
        overview=overview,
        form=rules_form(overview.latest),
        rescoring=_active_job(),
    )


@bp.post("/rules")
@login_required(role="admin")
def save_rules():
    """Save the form as a new ruleset version, or show it again with what is wrong."""
    overview = rules_overview()
    base_id = record_id(request.form.get("base_version"))
    base = db.session.get(RulesetVersion, base_id) if base_id else None
    base = base or overview.latest
    document, typed = document_from_form(base.document, request.form)
    note = request.form.get("note", "").strip()
    errors: dict[str, list[str]] = {}
    if len(note) > NOTE_LIMIT:
        errors["note"] = [f"keep the note to {NOTE_LIMIT} characters or fewer"]
    elif document == base.document:
        errors["_form"] = [
            "nothing has changed, so no new version was saved. To apply an existing "
            "version, re-score under it from the history below"
        ]
    else:
        try:
            version = save_ruleset(document, note or None, by=current_person().email)
        except RulesetError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            flash(f"Saved as version {version}.", "success")
            return _redirect(url_for(".rules_version", version_id=version))
    return _page(
        "admin/rules.html",
        "admin/_rules_form.html",
        422,
        overview=overview,
        form=rules_form(base, typed, errors, note),
        rescoring=_active_job(),
    )


@bp.get("/rules/versions/<int:version_id>")
@login_required(role="admin")
def rules_version(version_id: int):
    """One version: who saved it and why, what it changed, and re-scoring under it."""
    row = _version(version_id) or abort(404)
    previous = db.session.scalar(
        select(RulesetVersion)
        .where(RulesetVersion.version < version_id)
        .order_by(RulesetVersion.version.desc())
        .limit(1)
    )
    overview = rules_overview()
    return render_template(
        "admin/rules_version.html",
        row=row,
        previous=previous,
        changes=diff_rulesets(previous.document, row.document) if previous else None,
        overview=overview,
        rescoring=_active_job(),
    )


def _active_job() -> JobProgress | None:
    job = active_rescore()
    return job_progress(job.id) if job is not None else None


@bp.post("/rules/versions/<int:version_id>/rescore")
@login_required(role="admin")
def rescore(version_id: int):
    """Start replaying the event history under a version; it goes live when done.

    One re-score at a time: while one waits or runs, it is shown instead.
    """
    if _version(version_id) is None:
        abort(404)
    running = _active_job()
    if running is None:
        job = job_progress(enqueue_rescore(version_id).id)
        notice = None
    else:
        job = running
        notice = "A re-score is already waiting or running; this one was not started."
    if htmx:
        return _page(None, "admin/_rescore.html", version=version_id, rescoring=job, notice=notice)
    if notice:
        flash(notice, "error")
    return redirect(url_for(".job", job_id=job.id), 303)


@dataclass(frozen=True)
class JobProgress:
    id: str
    version: int | None
    status: str
    done: int | None
    total: int | None
    result: dict | None

    @property
    def running(self) -> bool:
        return self.status in ACTIVE_STATES

    @property
    def waiting(self) -> bool:
        return self.status in ("queued", "deferred", "scheduled")

    @property
    def state(self) -> str:
        return {
            "queued": "Waiting for a worker",
            "started": "Re-scoring",
            "deferred": "Waiting for a worker",
            "scheduled": "Waiting to retry",
            "finished": "Finished",
            "failed": "Failed",
            "stopped": "Stopped",
            "canceled": "Cancelled",
        }.get(self.status, self.status.replace("_", " ").capitalize())


def job_progress(job_id: str) -> JobProgress | None:
    """Where a re-score job is; None when there is no such re-score job."""
    job = fetch_job(job_id)
    if job is None or job.func_name != RESCORE_FUNC:
        return None
    status = job.get_status().value
    progress = job.meta.get("progress") or {}
    result = job.return_value() if status == "finished" else None
    return JobProgress(
        id=job.id,
        version=job.args[0] if job.args else None,
        status=status,
        done=progress.get("done"),
        total=progress.get("total"),
        result=result if isinstance(result, dict) else None,
    )


@bp.get("/jobs/<job_id>")
@login_required(role="admin")
def job(job_id: str):
    """A re-score's progress; htmx polls the partial every second while it runs.

    Polled from a rules page (`reload=1`), the end of the job reloads that page,
    so everything on it (which version is live, the button) shows the new state.
    """
    progress = job_progress(job_id) or abort(404)
    if htmx and request.args.get("reload") and not progress.running:
        flash(_outcome(progress), "success" if progress.status == "finished" else "error")
        response = make_response("", 200)
        response.headers["HX-Refresh"] = "true"
        return response
    return _page(
        "admin/job.html", "admin/_job.html", job=progress, reload=bool(request.args.get("reload"))
    )


def _outcome(job: JobProgress) -> str:
    if job.status == "finished":
        events = (job.result or {}).get("events")
        done = f" {events:,} {'event' if events == 1 else 'events'} re-scored." if events else ""
        return f"Re-score finished: version {job.version} is live.{done}"
    return (
        f"The re-score under version {job.version} did not finish ({job.state.lower()}), "
        "so nothing changed: points still follow the live version."
    )


# --- API tokens ------------------------------------------------------------------------

SCOPE_DESCRIPTIONS = {
    "events:write": "Post share and engagement events",
    "events:backfill": "With events:write: events earn points however long ago they happened (for importing history)",
    "directory:write": "Create and update employees and teams",
    "kudos:write": "Give kudos, react and comment for the person a request names (chat integrations)",
    "mentorship:write": "Set mentorship profiles and act on mentorships for the person a request names",
    "nominations:write": "Submit nominations for a named nominator",
    "nominations:decide": "Approve, decline or withdraw nominations for a named person (their rights apply)",
    "read": "Read leaderboards, badges and notifications",
    "admin": "Everything, including rulesets, badges and re-scoring",
}


def token_list() -> list[ApiToken]:
    """Active tokens first, newest first within each."""
    return list(
        db.session.scalars(
            select(ApiToken).order_by(
                ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc()
            )
        )
    )


def _tokens_page(status: int = 200, **context):
    context = {
        "tokens": token_list(),
        "scopes": [(s, SCOPE_DESCRIPTIONS.get(s, "")) for s in SCOPES],
        "errors": {},
        "typed": {"source": "", "scopes": []},
        "created": None,
        "secret": None,
        "notice": None,
        **context,
    }
    response = _page("admin/tokens.html", "admin/_tokens.html", status, **context)
    if context["secret"]:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tokens")
@login_required(role="admin")
def tokens():
    """API tokens: who has one, with which scopes; create and revoke."""
    return _tokens_page()


@bp.post("/tokens")
@login_required(role="admin")
def create_api_token():
    """Create a token and show its secret this once; only a hash is kept."""
    source = request.form.get("source", "").strip()
    scopes = request.form.getlist("scopes")
    try:
        row, secret = create_token(source, scopes)
    except ValueError as exc:
        where = "source" if str(exc).startswith("source") else "scopes"
        message = {
            "source": "Give the integration a name of 1 to 64 characters.",
            "scopes": "Choose at least one of the scopes listed.",
        }[where]
        return _tokens_page(
            422, errors={where: message}, typed={"source": source, "scopes": scopes}
        )
    return _tokens_page(201, created=row, secret=secret)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required(role="admin")
def revoke_api_token(token_id: int):
    """Revoke a token; without JavaScript, a confirmation page comes first."""
    row = db.session.get(ApiToken, token_id) or abort(404)
    if row.revoked_at is None and request.form.get("confirmed") != "yes":
        return render_template("admin/revoke_token.html", token=row)
    revoked = revoke_token(str(token_id))
    if revoked is None:
        notice = f"Token {row.prefix}… was already revoked."
    else:
        notice = f"Token {row.prefix}… is revoked. Requests using it now get 401 Unauthorized."
    if htmx:
        return _tokens_page(notice=notice)
    flash(notice, "success")
    return redirect(url_for(".tokens"), 303)


# --- events set aside ------------------------------------------------------------------

DEAD_LETTER_LIMIT = 200


@bp.get("/dead-letters")
@login_required(role="admin")
def dead_letters():
    """Events whose scoring failed, set aside so everyone else scores; retry after a fix."""
    total, items = outbox.dead_letters(limit=DEAD_LETTER_LIMIT)
    return render_template(
        "admin/dead_letters.html",
        total=total,
        items=items,
        backlog=outbox.backlog(),
        event_labels=EVENT_LABELS,
        network_labels=NETWORK_LABELS,
    )


@bp.post("/dead-letters/<int:dead_letter_id>/retry")
@login_required(role="admin")
def retry_dead_letter(dead_letter_id: int):
    """Put a set-aside event back in the queue to be scored."""
    event_id = outbox.retry_dead_letter(dead_letter_id)
    if event_id is None:
        flash("That event is no longer set aside.", "success")
    else:
        enqueue_scoring([event_id])
        flash(
            "The event is back in the queue. If it fails again it returns to this list.",
            "success",
        )
    return _redirect(url_for(".dead_letters"))
