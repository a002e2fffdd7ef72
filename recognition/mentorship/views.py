"""Mentorship pages: offer or ask, browse and bookmark mentors, proposals and
mentorships; the admin's topics, settings, runs, drafts and publishing.

Plain forms that htmx enhances: a proposal's accept/decline swaps its own card.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from recognition.auth import current_person, login_required
from recognition.extensions import db, htmx
from recognition.inputs import record_id, whole_number
from recognition.mentorship import jobs, service
from recognition.mentorship.matching import FIT_SCALE, Mode
from recognition.mentorship.models import DraftPair, Mentorship
from recognition.mentorship.schemas import ProfileSchema
from recognition.people import Employee
from scoring.rulesets import live_scoring

bp = Blueprint("mentorship_pages", __name__)

WEIGHT_LABELS = {
    "offered": "Offered topics",
    "demonstrated": "Topics shown in shares",
    "tier_gap": "Tier gap",
    "cross_team": "Another team",
    "cross_team_asked": "Another team, when asked",
    "bookmark": "Bookmarked",
    "bookmark_after_decline": "Bookmarked, after a decline",
}
ACTION_LABELS = {
    "accept": "Accept",
    "decline": "Decline",
    "complete": "Mark completed",
    "cancel": "Cancel",
}


def _render(template: str, status: int = 200, **context):
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Vary"] = "HX-Request"
    return response


def _people(ids) -> dict[int, Employee]:
    ids = list(set(ids))
    return {e.id: e for e in db.session.scalars(select(Employee).where(Employee.id.in_(ids)))}


def _actions(mentorship: Mentorship, me: Employee) -> list[str]:
    """What `me` may do next with this mentorship (the buttons shown)."""
    side = "mentor" if me.id == mentorship.mentor_id else "mentee"
    return [
        action
        for action, steps in service.TRANSITIONS.items()
        if mentorship.state in steps and steps[mentorship.state][1] in (side, "either")
    ]


def _cards(me: Employee) -> list[dict]:
    found = service.mentorships_of(me)
    people = _people([m.mentee_id for m in found] + [m.mentor_id for m in found])
    return [_card(m, me, people) for m in found]


def _card(mentorship: Mentorship, me: Employee, people=None) -> dict:
    people = people or _people([mentorship.mentee_id, mentorship.mentor_id])
    mentoring = mentorship.mentor_id == me.id
    return {
        "m": mentorship,
        "mentoring": mentoring,
        "other": people.get(mentorship.mentee_id if mentoring else mentorship.mentor_id),
        "fit": mentorship.fit_units / FIT_SCALE,
        "actions": _actions(mentorship, me),
        "last": mentorship.transitions[-1] if mentorship.transitions else None,
    }


# --- the person's page -----------------------------------------------------------------


@bp.get("/mentorship")
@login_required
def index():
    """Offer or ask, browse mentors by topic, proposals and mentorships."""
    me = current_person()
    topic_id = record_id(request.args.get("topic"))
    mentors = [m for m in service.browse_mentors(topic_id) if m["employee"].id != me.id]
    bookmarked = set(
        db.session.scalars(
            select(service.Bookmark.mentor_id).where(service.Bookmark.mentee_id == me.id)
        )
    )
    cards = _cards(me)
    return _render(
        "mentorship/index.html",
        profile=service.profile(me),
        topics=service.topics(),
        topic_id=topic_id,
        mentors=mentors,
        bookmarked=bookmarked,
        proposals=[c for c in cards if c["m"].state in ("proposed", "accepted")],
        current=[c for c in cards if c["m"].state == "active"],
        past=[c for c in cards if c["m"].state in ("completed", "cancelled", "declined")],
        action_labels=ACTION_LABELS,
    )


def _topics_from_form() -> list[str]:
    names = {t.id: t.name for t in service.topics()}
    chosen = [record_id(v) for v in request.form.getlist("topics")]
    return [names[t] for t in chosen if t in names]


def _save(body: dict, done: str):
    me = current_person()
    try:
        service.save_profile(me, ProfileSchema().load(body))
    except service.MentorshipError as exc:
        flash(_words(exc), "error")
    except ValidationError as exc:
        flash(_words(service.Invalid("Please check the form.", exc.normalized_messages())), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".index"), 303)


def _words(exc: service.MentorshipError) -> str:
    if not exc.errors:
        return exc.detail
    details = "; ".join(
        f"{field}: {' '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}"
        for field, msgs in exc.errors.items()
    )
    return f"{exc.detail} {details}"


@bp.post("/mentorship/offer")
@login_required
def save_offer():
    """Offer to mentor (topics, capacity, open or paused), or withdraw the offer."""
    if request.form.get("withdraw"):
        return _save({"offer": None}, "Your offer to mentor is withdrawn.")
    try:
        capacity = whole_number(request.form.get("capacity"), 1, 5)
    except ValueError:
        flash("Capacity: choose from 1 to 5 mentees.", "error")
        return redirect(url_for(".index"), 303)
    offer = {
        "topics": _topics_from_form(),
        "capacity": capacity,
        "open": request.form.get("paused") != "1",
    }
    return _save({"offer": offer}, "Saved your offer to mentor.")


@bp.post("/mentorship/ask")
@login_required
def save_ask():
    """Ask for a mentor (topics, a short goal, another team), or withdraw the ask."""
    if request.form.get("withdraw"):
        return _save({"ask": None}, "Your ask for a mentor is withdrawn.")
    me = current_person()
    bookmarks = list(
        db.session.scalars(
            select(Employee.external_id)
            .join(service.Bookmark, service.Bookmark.mentor_id == Employee.id)
            .where(service.Bookmark.mentee_id == me.id)
        )
    )
    ask = {
        "topics": _topics_from_form(),
        "goal": (request.form.get("goal") or "").strip(),
        "prefers_other_team": request.form.get("prefers_other_team") == "1",
        "bookmarks": bookmarks,
    }
    return _save({"ask": ask}, "Saved your ask for a mentor.")


@bp.post("/mentorship/bookmarks")
@login_required
def bookmark():
    """Bookmark a mentor, or take the bookmark away."""
    me = current_person()
    try:
        now = service.toggle_bookmark(me, (request.form.get("mentor_id") or "").strip())
    except service.MentorshipError as exc:
        flash(_words(exc), "error")
    else:
        flash("Bookmarked." if now else "Bookmark removed.", "success")
    topic = record_id(request.form.get("topic"))
    return redirect(url_for(".index", topic=topic) + "#browse", 303)


@bp.post("/mentorship/pairs/<int:pair_id>/<any(accept, decline, complete, cancel):action>")
@login_required
def act(pair_id: int, action: str):
    """Accept, decline, complete or cancel; htmx swaps the card, a form reloads."""
    me = current_person()
    message, error = None, None
    try:
        mentorship = service.transition(pair_id, action, me)
        message = f"Mentorship {mentorship.state}."
    except service.MentorshipError as exc:
        error = exc.detail
        mentorship = db.session.get(Mentorship, pair_id)
        if mentorship is None or me.id not in (mentorship.mentee_id, mentorship.mentor_id):
            if htmx:
                return _render("mentorship/_message.html", status=200, error=error)
            flash(error, "error")
            return redirect(url_for(".index"), 303)
    if htmx:
        return _render(
            "mentorship/_pair.html",
            card=_card(mentorship, me),
            message=message,
            error=error,
            action_labels=ACTION_LABELS,
        )
    flash(message or error, "success" if message else "error")
    return redirect(url_for(".index"), 303)


# --- the admin's pages -------------------------------------------------------------------


@bp.get("/admin/mentorship")
@login_required(role="admin")
def admin():
    """Topics, matching settings, run matching, recent runs."""
    document = service.settings()
    return _render(
        "mentorship/admin.html",
        topics=service.topics(),
        settings=document,
        weight_labels=WEIGHT_LABELS,
        modes=[m.value for m in Mode],
        tiers=live_scoring().ruleset.tiers,
        schedules=list(service.SCHEDULES),
        runs=service.latest_runs(),
    )


@bp.post("/admin/mentorship/topics")
@login_required(role="admin")
def add_topic():
    try:
        topic = service.add_topic((request.form.get("name") or "")[:80])
    except service.MentorshipError as exc:
        flash(_words(exc), "error")
    else:
        flash(f"Added the topic {topic.name}.", "success")
    return redirect(url_for(".admin") + "#topics", 303)


@bp.post("/admin/mentorship/topics/<int:topic_id>/remove")
@login_required(role="admin")
def remove_topic(topic_id: int):
    try:
        service.remove_topic(topic_id)
    except service.MentorshipError as exc:
        flash(exc.detail, "error")
    else:
        flash("Topic removed.", "success")
    return redirect(url_for(".admin") + "#topics", 303)


@bp.post("/admin/mentorship/settings")
@login_required(role="admin")
def save_settings():
    """Weights, mode, who may mentor, automatic publishing and the schedule."""
    form = request.form
    changes: dict = {"weights": {}}
    problems = []
    for name in WEIGHT_LABELS:
        raw = (form.get(name) or "").strip()
        try:
            value = float(raw)
            if not raw.replace(".", "", 1).isascii() or not 0 <= value <= 100:
                raise ValueError
        except ValueError:
            problems.append(f"{WEIGHT_LABELS[name]}: a number from 0 to 100")
            continue
        changes["weights"][name] = value
    if form.get("mode") not in [m.value for m in Mode]:
        problems.append("Mode: choose best fit or most people matched")
    if form.get("schedule") not in service.SCHEDULES:
        problems.append("Schedule: choose off, daily or weekly")
    if problems:
        flash("Not saved. " + "; ".join(problems) + ".", "error")
        return redirect(url_for(".admin") + "#settings", 303)
    changes.update(
        mode=form["mode"],
        schedule=form["schedule"],
        min_tier=form.get("min_tier") or "",
        auto_publish=form.get("auto_publish") == "1",
    )
    try:
        service.save_settings(changes)
    except service.MentorshipError as exc:
        flash(_words(exc), "error")
    else:
        flash("Saved the matching settings.", "success")
    return redirect(url_for(".admin") + "#settings", 303)


@bp.post("/admin/mentorship/runs")
@login_required(role="admin")
def start_run():
    """Run matching now, in the background; the run's page shows its progress."""
    mode = request.form.get("mode") or None
    try:
        run = service.start_run(mode, current_person())
    except service.MentorshipError as exc:
        flash(_words(exc), "error")
        return redirect(url_for(".admin"), 303)
    jobs.enqueue_run(run.id)
    return redirect(url_for(".run", run_id=run.id), 303)


def _run_context(run_id: int) -> dict:
    run = service.get_run(run_id)
    summary = run.summary or {}
    people = _people(
        [p.mentee_id for p in run.pairs]
        + [p.mentor_id for p in run.pairs]
        + [u["mentee_id"] for u in summary.get("unmatched", [])]
        + [m["mentor_id"] for m in summary.get("load", [])]
    )
    return {"run": run, "summary": summary, "people": people, "fit_scale": FIT_SCALE}


@bp.get("/admin/mentorship/runs/<int:run_id>")
@login_required(role="admin")
def run(run_id: int):
    """A run: progress while it runs, then the draft with its summary."""
    try:
        context = _run_context(run_id)
    except service.NotFound:
        from flask import abort

        abort(404)
    if htmx and request.args.get("poll"):
        return _render("mentorship/_run.html", **context)
    return _render("mentorship/run.html", **context)


@bp.post("/admin/mentorship/runs/<int:run_id>/pairs/<int:pair_id>/drop")
@login_required(role="admin")
def drop_pair(run_id: int, pair_id: int):
    """Leave a pair out of the draft, or put it back."""
    pair = db.session.get(DraftPair, pair_id)
    try:
        service.drop_pair(run_id, pair_id, dropped=not (pair and pair.dropped))
    except service.MentorshipError as exc:
        flash(exc.detail, "error")
    return redirect(url_for(".run", run_id=run_id) + "#draft", 303)


@bp.post("/admin/mentorship/runs/<int:run_id>/publish")
@login_required(role="admin")
def publish(run_id: int):
    """Send the draft's pairs as proposals."""
    try:
        result = service.publish_run(run_id, current_person())
    except service.MentorshipError as exc:
        flash(exc.detail, "error")
    else:
        skipped = (
            f", {result['skipped']} skipped (changed since the run)" if result["skipped"] else ""
        )
        flash(f"Published: {result['proposed']} proposals sent{skipped}.", "success")
    return redirect(url_for(".run", run_id=run_id), 303)
