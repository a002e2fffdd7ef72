"""Pages for everyone signed in: Me, profiles, settings, notifications.

Each route serves the full page, or for an htmx request the partial of the
region it swaps. Everything works as plain links and forms; htmx only makes
it faster. The helpers at the bottom turn service results into what the
templates show (labels, figures, chart geometry), so templates stay simple.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from redis import RedisError
from sqlalchemy import select

from recognition.auth import current_person, login_required
from recognition.extensions import begin_write, db, htmx
from recognition.inputs import record_id
from recognition.kudos import views as kudos_views
from recognition.nominations import views as nominations_views
from recognition.people import Employee
from recognition.problems import problem
from scoring import badges, history, standings
from scoring.achievements import BadgeDefinition
from scoring.jobs import enqueue, resync_person_job
from scoring.ledger import resync_person
from scoring.openbadges import achievement_document
from scoring.rules import LATE
from scoring.rulesets import live_scoring

bp = Blueprint("me_pages", __name__)
log = logging.getLogger(__name__)

ACHIEVEMENT_TYPES = ["application/ld+json", "application/json"]
CHART_WEEKS = 12
NEAREST_BADGES = 3
RECENT_ACTIVITY = 10
BELL_MAX = 99

NETWORKS = {
    "linkedin": "LinkedIn",
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "other": "another network",
}
RULES = {  # singular, plural
    "share": ("Share", "shares"),
    "reshare": ("Reshare", "reshares"),
    "comment": ("Comment", "comments"),
    "like": ("Like", "likes"),
    "click": ("Click", "clicks"),
    LATE: ("Late event", "late events"),  # arrived too long after it happened: no points
}
CAUSES = {"kudos": "Kudos", "nomination": "Nominations", "adjustment": "Adjustments"}
TIER_GOALS = {
    "points_90d": ("Points in the last 90 days", 0),
    "engagement_per_share": ("Engagements per share", 1),
}
BADGE_UNITS = {  # (kind, metric) -> singular, plural
    ("count", "shares"): ("share", "shares"),
    ("first", "shares"): ("share", "shares"),
    ("count", "comments_earned"): ("comment", "comments"),
    ("first", "comments_earned"): ("comment", "comments"),
    ("count", "engagements_earned"): ("engagement", "engagements"),
    ("first", "engagements_earned"): ("engagement", "engagements"),
    ("count", "kudos_given"): ("kudos given", "kudos given"),
    ("first", "kudos_given"): ("kudos given", "kudos given"),
    ("count", "kudos_received"): ("kudos received", "kudos received"),
    ("first", "kudos_received"): ("kudos received", "kudos received"),
    ("count", "mentorships_completed"): ("mentorship completed", "mentorships completed"),
    ("first", "mentorships_completed"): ("mentorship completed", "mentorships completed"),
    ("breadth", "networks"): ("network", "networks"),
    ("streak", "share_weeks"): ("week in a row", "weeks in a row"),
    ("period_points", None): ("point this week", "points this week"),
}


# --- routes -------------------------------------------------------------------


@bp.get("/")
@login_required
def me():
    """The person's own progress. htmx polls the standing region; 204 when unchanged."""
    person = current_person()
    standing = _standing(person)
    if htmx:
        if request.args.get("known") == standing["digest"]:
            return _vary(current_app.make_response(("", 204)))
        return _render("me/_standing.html", standing=standing)
    rules = live_scoring().ruleset
    achievements = badges.person_achievements(person, week_points=standing["week"])
    definitions = {b.slug: b for b in rules.badges}
    return _render(
        "me/index.html",
        standing=standing,
        tier=_tier(achievements["tier"], {t.slug: t.name for t in rules.tiers}),
        earned=_earned(achievements["earned"]),
        nearest=_nearest(achievements["progress"], definitions),
        chart=_chart(history.weekly_points(person.id, CHART_WEEKS)),
        activity=[_activity(a) for a in history.recent_activity(person.id, RECENT_ACTIVITY)],
        breakdown=[_breakdown_row(r) for r in history.breakdown(person.id)],
        kudos=kudos_views.me_panel(person),
    )


@bp.get("/favicon.ico")
def favicon():
    """Pages link their icon; this answers clients that ask the conventional path."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/badges/<slug>/<int:level>")
def achievement(slug: str, level: int):
    """Public: a badge level, the `Achievement` an exported credential names by this URL.

    People get a page; `Accept: application/json` (or JSON-LD) gets the
    Open Badges 3.0 Achievement itself.
    """
    found = badges.find_achievement(slug, level)
    kind = request.accept_mimetypes.best_match(["text/html", *ACHIEVEMENT_TYPES])
    wants_json = kind in ACHIEVEMENT_TYPES
    if found is None:
        if wants_json:
            return problem(404, "Not Found", f"No badge {slug!r} with a level {level}.")
        return _vary(
            current_app.make_response(
                (render_template("badges/not_found.html", slug=slug, level=level), 404)
            ),
            "Accept",
        )
    badge, lv = found
    root = request.url_root.rstrip("/")
    image = badge.image if badge.image.startswith("http") else root + badge.image
    details = {
        "achievement_url": url_for(".achievement", slug=slug, level=level, _external=True),
        "badge_name": badge.name,
        "level_label": lv.label,
        "description": badge.description,
        "criteria": badge.criteria_text(lv),
        "image_url": image,
    }
    if wants_json:
        document = achievement_document(
            issuer_url=root, issuer_name=current_app.config["LAUREL_ISSUER_NAME"], **details
        )
        response = current_app.make_response(json.dumps(document))
        response.mimetype = kind
        return _vary(response, "Accept")
    page = render_template(
        "badges/achievement.html",
        badge=badge,
        level=lv,
        details=details,
        levels=badge.levels,
        issuer=current_app.config["LAUREL_ISSUER_NAME"],
    )
    return _vary(current_app.make_response(page), "Accept")


@bp.get("/people/<employee_id>")
@login_required
def profile(employee_id: str):
    """A colleague's public profile: badges and tier, points unless they opted out."""
    person = db.session.scalar(select(Employee).where(Employee.external_id == employee_id))
    if person is None or not person.active:
        return _render("people/not_found.html", status=404, employee_id=employee_id)
    is_self = person.id == current_person().id
    show_points = is_self or not person.leaderboard_opt_out
    achievements = badges.person_achievements(person)
    tier_names = {t.slug: t.name for t in live_scoring().ruleset.tiers}
    return _render(
        "people/profile.html",
        person=person,
        is_self=is_self,
        standing=standings.standing(person) if show_points else None,
        tier=_tier(achievements["tier"], tier_names),
        earned=_earned(achievements["earned"]),
        kudos=kudos_views.profile_panel(person, current_person()),
        wins=nominations_views.profile_outcomes(person),
    )


@bp.get("/settings")
@login_required
def settings():
    template = "me/_settings_form.html" if htmx else "me/settings.html"
    return _render(template, person=current_person(), message=None)


@bp.post("/settings")
@login_required
def save_settings():
    """Save the leaderboard choice; the boards follow in a job."""
    person = current_person()
    hide = request.form.get("leaderboard_opt_out") == "1"
    _set_leaderboard_opt_out(person, hide)
    if hide:
        message = (
            "Saved. You're hidden from public leaderboards; you still see your own rank on Me."
        )
    else:
        message = "Saved. You're on the public leaderboards."
    if htmx:
        return _render("me/_settings_form.html", person=person, message=message)
    flash(message, "success")
    return redirect(url_for(".settings"), 303)


@bp.get("/notifications")
@login_required
def notifications():
    person = current_person()
    template = "me/_notifications.html" if htmx else "me/notifications.html"
    return _render(template, **_notification_list(person.id), message=None)


@bp.get("/notifications/bell")
@login_required
def bell():
    """The bell's count, polled by the top bar; a normal visit goes to the list.

    `known` is the count on show: while it holds the answer is 204, so htmx swaps
    nothing and screen readers hear nothing new.
    """
    if not htmx:
        return redirect(url_for(".notifications"))
    unread = _unread_count(current_person().id)
    if request.args.get("known") == str(unread):
        return _vary(current_app.make_response(("", 204)))
    return _render("me/_bell.html", unread=unread)


@bp.post("/notifications/read")
@login_required
def mark_read():
    """Mark one notification (`id`) or all of them (`all`) as read."""
    person = current_person()
    ids = [record_id(value) for value in request.form.getlist("id")]
    if request.form.get("all"):
        ids = None
    elif not ids or None in ids:
        template = "me/_notifications.html" if htmx else "me/notifications.html"
        message = "Pick a notification to mark as read, or mark them all."
        return _render(
            template,
            status=422,
            **_notification_list(person.id),
            message=message,
            message_kind="error",
        )
    count = badges.mark_read(person.id, ids)
    if ids is None:
        message = "All caught up: every notification is marked as read."
    else:
        message = "Marked as read." if count else "That notification was already read."
    if htmx:
        listing = _notification_list(person.id)
        return _render("me/_notifications_swap.html", **listing, message=message)
    flash(message, "success")
    return redirect(url_for(".notifications"), 303)


# --- rendering ----------------------------------------------------------------


def _vary(response, header: str = "HX-Request"):
    # Full page or partial depends on HX-Request (and so does the sign-in redirect).
    response.vary.add(header)
    return response


def _render(template: str, status: int = 200, **context):
    return _vary(current_app.make_response((render_template(template, **context), status)))


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(current_app.config["LAUREL_TZ"])


def _when(moment: dt.datetime) -> str:
    local = _local(moment)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def _date(moment: dt.datetime | dt.date) -> str:
    day = _local(moment).date() if isinstance(moment, dt.datetime) else moment
    return f"{day.day} {day:%b %Y}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


# --- services the pages use ---------------------------------------------------


def _set_leaderboard_opt_out(person: Employee, hide: bool) -> None:
    """Store the choice and move the person on or off every board before answering.

    A privacy choice must not wait for a worker. The job queued after it only
    tidies up: a score job already running for this person when the choice was
    saved may still write the totals it read before.
    """
    begin_write(db.session)
    person.leaderboard_opt_out = hide
    db.session.commit()
    try:
        resync_person(person.id)
    except RedisError:
        # The choice is saved; the job below or `flask laurel rebuild` catch up.
        log.exception("could not update the boards for person %s", person.id)
    try:
        enqueue(resync_person_job, person.id)
    except Exception:
        log.exception("could not enqueue the board resync for person %s", person.id)


def _unread_count(person_id: int) -> int:
    return len(badges.notifications(person_id, unread_only=True, limit=BELL_MAX + 1))


def _notification_list(person_id: int) -> dict:
    items = []
    for n in badges.notifications(person_id):
        created = dt.datetime.fromisoformat(n["created_at"])
        if n["kind"] == "badge_earned":
            link, link_text = url_for(".me") + "#badges", "See your badges"
        elif n["link"]:
            link, link_text = n["link"], "View details"
        else:
            link = link_text = None
        items.append(
            {
                **n,
                "created_iso": created.isoformat(),
                "created": _when(created),
                "link": link,
                "link_text": link_text,
            }
        )
    unread = _unread_count(person_id)
    return {"items": items, "unread": unread}


# --- shaping service results for the templates --------------------------------


STANDING_PERIODS = {"week": "This week", "month": "This month", "all": "All time"}
# The boards a gap is worked out for: the week (what today can change) and all time.
GAP_PERIODS = {"week": "This week", "all": "All time"}


def _standing(person: Employee) -> dict:
    """Points and rank per period, movement since the week began, and the gaps above."""
    periods = standings.standing(person)
    rank = periods["all"]["rank"]
    movement = standings.movement(person) if rank is not None else None
    view = {
        "periods": [
            {"label": label, "points": periods[key]["points"], "rank": periods[key]["rank"]}
            for key, label in STANDING_PERIODS.items()
        ],
        "week": periods["week"]["points"],
        "rank": rank,
        "ranked": any(periods[key]["rank"] for key in STANDING_PERIODS),
        "hidden": person.leaderboard_opt_out,
        "movement": _movement(movement),
        "gaps": [
            note
            for key, label in GAP_PERIODS.items()
            if (note := _gap_note(person, key, label, periods[key]))
        ],
    }
    view["digest"] = hashlib.sha256(repr(sorted(view.items())).encode()).hexdigest()[:16]
    return view


def _gap_note(person: Employee, period: str, label: str, standing: dict) -> str | None:
    """A line like "This week: 30 points behind #1. 3 shares today would do it.", with
    advice only where the live rules and today's caps make one true."""
    if not standing["rank"]:
        return None
    if standing["rank"] == 1:
        return f"{label}: you're top of the board."
    gap = standings.gap_to_next(person, period, points=standing["points"])
    if gap is None:
        return None
    note = f"{label}: {_plural(gap['points'], 'point', 'points')} behind #{gap['rank']}."
    advice = standings.gap_advice(person, period, gap["points"])
    if advice is None:
        return note
    if advice.shares is not None:
        where = f" on {NETWORKS.get(advice.network, advice.network)}" if advice.network else ""
        what = f"{_plural(advice.shares, 'share', 'shares')}{where} today"
    elif advice.days == 1:
        what = "A day of full activity"
    else:
        what = f"About {advice.days} days of full activity"
    return f"{note} {what[:1].upper()}{what[1:]} would do it."


def _movement(movement: dict | None) -> dict | None:
    if movement is None:
        return None
    up = movement["up"]
    if up is None:
        return {"direction": "new", "text": "new on the board this week"}
    if up > 0:
        return {"direction": "up", "text": f"up {_plural(up, 'place', 'places')} since last week"}
    if up < 0:
        return {
            "direction": "down",
            "text": f"down {_plural(-up, 'place', 'places')} since last week",
        }
    return {"direction": "same", "text": "no change since last week"}


def _tier(tier: dict, names: dict[str, str]) -> dict:
    """The tier and, per goal of the next tier, the figures and a bar."""
    goals = []
    for component in tier["progress"]:
        label, places = TIER_GOALS.get(component["name"], (component["name"], 1))
        current = round(float(component["current"]), places)
        needed = round(float(component["needed"]), places)
        fmt = f"{{:,.{places}f}}"
        goals.append(
            {
                "label": label,
                "current": fmt.format(current),
                "needed": fmt.format(needed),
                "value": min(current, needed) if needed > 0 else 1,
                "max": needed if needed > 0 else 1,
                "met": current >= needed,
            }
        )
    return {
        "name": tier["name"],
        "next": names.get(tier["next"], tier["next"]) if tier["next"] else None,
        "goals": goals,
    }


def _earned(earned: list[dict]) -> list[dict]:
    """One entry per badge (its highest level), most recently earned first."""
    best: dict[str, dict] = {}
    for award in earned:
        held = best.get(award["slug"])
        if held is None or award["level"] > held["level"]:
            best[award["slug"]] = award
    shown = sorted(best.values(), key=lambda a: a["earned_at"], reverse=True)
    return [
        {
            "name": a["name"],
            "label": a["label"],
            "image": a["image"],
            "earned_on": _date(dt.datetime.fromisoformat(a["earned_at"])),
        }
        for a in shown
    ]


def _nearest(progress: list[dict], definitions: dict[str, BadgeDefinition]) -> list[dict]:
    """The badges closest to done: smallest share of the target still to go."""
    rows = []
    for p in progress:
        badge = definitions.get(p["slug"])
        if badge is None or not p["target"]:
            continue
        current = max(0, min(p["current"], p["target"]))
        remaining = (p["target"] - current) / p["target"]
        one, many = BADGE_UNITS.get((badge.kind, badge.metric), ("", ""))
        unit = one if p["target"] == 1 else many
        rows.append(
            (
                remaining,
                p["target"],
                {
                    "name": p["name"],
                    "label": p["label"],
                    "image": badge.image,
                    "criteria": badge.criteria_text(badge.level(p["level"])),
                    "current": current,
                    "target": p["target"],
                    "figures": f"{current:,} / {p['target']:,} {unit}".strip(),
                },
            )
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    return [row[2] for row in rows[:NEAREST_BADGES]]


def _chart(weeks: list[tuple[dt.date, int]]) -> dict:
    """Bars for an inline SVG: one per week, scaled to the best week."""
    slot, bar, plot_top, plot_bottom = 28, 18, 6, 96
    top = max([points for _, points in weeks] + [1])
    bars = []
    for i, (monday, points) in enumerate(weeks):
        height = round((plot_bottom - plot_top) * max(points, 0) / top, 1)
        last = i == len(weeks) - 1
        bars.append(
            {
                "x": i * slot + (slot - bar) / 2,
                "y": plot_bottom - height,
                "width": bar,
                "height": height,
                "points": points,
                "current": last,
                "title": (
                    f"{'This week' if last else f'Week of {_date(monday)}'}: "
                    f"{_plural(points, 'point', 'points')}"
                ),
                "week": _date(monday),
                "label": "This week" if last else f"{monday.day} {monday:%b}",
                "show_label": last or i % 4 == 0,
            }
        )
    total = sum(points for _, points in weeks)
    best_monday, best = max(weeks, key=lambda w: (w[1], w[0])) if weeks else (None, 0)
    if total:
        summary = (
            f"{_plural(total, 'point', 'points')} over the last {len(weeks)} weeks. "
            f"Best week: {_date(best_monday)}, with {_plural(best, 'point', 'points')}."
        )
    else:
        summary = f"No points in the last {len(weeks)} weeks yet. Your next share shows up here."
    return {
        "bars": bars,
        "width": slot * len(weeks),
        "height": plot_bottom + 16,
        "baseline": plot_bottom,
        "summary": summary,
    }


def _what(rule: str, network: str | None, quantity: int) -> str:
    one, many = RULES.get(rule, (rule.capitalize(), rule))
    where = f" on {NETWORKS.get(network, network)}" if network else ""
    if quantity == 1:
        return f"{one}{where}"
    return f"{quantity:,} {many}{where}"


def _activity(row: history.Activity) -> dict:
    if row.cause_type == "event":
        what = _what(row.rule, row.network, row.quantity)
    else:
        what = CAUSES.get(row.cause_type, row.cause_type.capitalize())
    detail = None
    if row.capped or row.rule == LATE:
        # The reason reads "<what>: [capped, ]<detail>"; the detail explains what a cap did.
        detail = row.reason.split(": ", 1)[-1].removeprefix("capped, ")
        detail = detail[:1].upper() + detail[1:]
    return {
        "when": _when(row.occurred_at),
        "when_iso": row.occurred_at.isoformat(),
        "what": what,
        "points": row.points,
        "capped": row.capped,
        "detail": detail,
    }


def _breakdown_row(row: history.BreakdownRow) -> dict:
    if row.cause_type == "event":
        what = RULES.get(row.rule, (row.rule, row.rule))[1].capitalize()
        if row.network == "other":
            what += " on other networks"
        elif row.network:
            what += f" on {NETWORKS.get(row.network, row.network)}"
    else:
        what = CAUSES.get(row.cause_type, row.cause_type.capitalize())
    # Shares are counted one by one, so their capped ones are too; an engagement
    # row counts likes or clicks, of which a cap may have cut only some.
    is_share = row.cause_type == "event" and row.rule == "share"
    capped = (f"{row.capped:,} capped" if is_share else "capped") if row.capped else None
    return {"what": what, "count": row.actions, "points": row.points, "capped": capped}
