"""Kudos pages: give, the feed, reactions, and the admin review and settings.

Every page works as plain forms and links; htmx swaps partials (colleague
search, load more, reactions in place, the form with its errors).
"""

from __future__ import annotations

import json
import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from recognition.auth import current_person, login_required
from recognition.extensions import db, htmx
from recognition.inputs import record_id, whole_number
from recognition.kudos import fairness, rules, service
from recognition.people import Employee, Team, find_colleagues
from scoring.models import Event

bp = Blueprint("kudos_pages", __name__)
PAGE = 20
SEARCH_LIMIT = 8


def _chosen(refs: list[str]) -> list[Employee]:
    refs = [r for r in refs if r][: rules.MAX_RECEIVERS * 2]
    if not refs:
        return []
    found = {
        p.external_id: p
        for p in db.session.scalars(select(Employee).where(Employee.external_id.in_(refs)))
    }
    return [found[r] for r in dict.fromkeys(refs) if r in found]


def _form_context(me: Employee, form: dict, errors: dict | None = None, compact=False) -> dict:
    settings = service.current_settings()
    chosen = _chosen(form.get("receivers", []))
    found = [p for p in find_colleagues(form.get("q", ""), me.id, SEARCH_LIMIT) if p not in chosen]
    return {
        "form": form,
        "errors": errors or {},
        "settings": settings,
        "allowance": service.allowance(me, settings),
        "chosen": chosen,
        "found": found,
        "max_message": rules.MAX_MESSAGE,
        "compact": compact,
    }


def give_form_context(me: Employee, compact: bool = True) -> dict:
    """For the compact form on the Me page."""
    return _form_context(me, {"token": secrets.token_urlsafe(16)}, compact=compact)


@bp.get("/kudos/give")
@login_required
def give_page():
    me = current_person()
    form = {
        "token": secrets.token_urlsafe(16),
        "receivers": request.args.getlist("to"),
        "q": request.args.get("q", ""),
        "event": request.args.get("event", ""),
    }
    return render_template("kudos/give.html", **_form_context(me, form))


@bp.get("/kudos/colleagues")
@login_required
def colleagues():
    """Search as you type: matching colleagues as checkboxes (a partial)."""
    me = current_person()
    chosen = set(request.args.getlist("receivers"))
    found = [
        p
        for p in find_colleagues(request.args.get("q", ""), me.id, SEARCH_LIMIT)
        if p.external_id not in chosen
    ]
    return render_template("kudos/_colleagues.html", found=found)


@bp.post("/kudos/give")
@login_required
def give():
    me = current_person()
    form = {
        "token": request.form.get("form_token", "")[:100],
        "receivers": request.form.getlist("receivers")[:50],
        "q": request.form.get("q", "")[:100],
        "message": request.form.get("message", "")[:5000],
        "value": request.form.get("value", ""),
        "points": request.form.get("points", "").strip(),
        "event": request.form.get("event", ""),
    }
    if "search" in request.form:
        # Without JavaScript, the search button posts the form back with the matches.
        return render_template("kudos/give.html", **_form_context(me, form))
    errors: dict[str, list[str]] = {}
    points = 0
    if form["points"]:
        try:
            points = whole_number(form["points"], 0, rules.MAX_POINTS)
        except ValueError as exc:
            errors["points"] = [str(exc)]
    event_id = None
    if form["event"]:
        event_id = record_id(form["event"])
        if event_id is None or db.session.get(Event, event_id) is None:
            errors["event"] = ["no such share"]
    chosen = _chosen(form["receivers"])
    if len(chosen) != len([r for r in form["receivers"] if r]):
        errors.setdefault("receiver_ids", []).append("pick colleagues from the search")
    if not errors:
        try:
            kudos, _ = service.give(
                service.GiveRequest(
                    giver_id=me.id,
                    receiver_ids=tuple(p.id for p in chosen),
                    message=form["message"],
                    value=form["value"] or None,
                    points=points,
                    event_id=event_id,
                    idempotency_key=f"form:{form['token']}" if form["token"] else None,
                )
            )
        except service.KudosRefused as exc:
            errors = exc.errors
        else:
            names = ", ".join(p.name for p in chosen)
            flash(f"Kudos sent to {names}.", "success")
            target = url_for("kudos_pages.feed") + f"#kudos-{kudos.id}"
            if htmx:
                # A redirect would be followed inside the request; htmx navigates instead.
                response = current_app.make_response("")
                response.headers["HX-Redirect"] = target
                return response
            return redirect(target)
    context = _form_context(me, form, errors, compact=request.form.get("compact") == "1")
    if htmx:
        return render_template("kudos/_give_form.html", **context)
    return render_template("kudos/give.html", **context), 422


@bp.get("/kudos")
@login_required
def feed():
    """The recognition feed, newest first: the company's, or a team's."""
    me = current_person()
    teams = list(db.session.scalars(select(Team).order_by(Team.name)))
    slug = request.args.get("team") or None
    team = next((t for t in teams if t.slug == slug), None)
    if slug and team is None:
        abort(404, f"No team {slug!r}.")
    before = record_id(request.args.get("before"))
    items, cursor = service.feed(
        team_id=team.id if team else None,
        limit=PAGE,
        before=before,
        viewer_id=me.id,
        with_comments=True,
    )
    context = {"items": items, "cursor": cursor, "team": team, "teams": teams}
    if htmx and before is not None:
        return render_template("kudos/_feed_items.html", **context)
    return render_template("kudos/feed.html", **context)


@bp.post("/kudos/<int:kudos_id>/reaction")
@login_required
def react(kudos_id: int):
    """Toggle this person's "+1"; htmx gets the button back, in place."""
    me = current_person()
    try:
        if request.form.get("undo") == "1":
            service.unreact(kudos_id, me.id)
        else:
            service.react(kudos_id, me.id)
    except service.KudosNotFound:
        abort(404, "No such kudos.")
    if htmx:
        item = service.views([service.get(kudos_id)], me.id)[0]
        return render_template("kudos/_reaction.html", k=item)
    return redirect(url_for("kudos_pages.feed") + f"#kudos-{kudos_id}")


@bp.post("/kudos/<int:kudos_id>/comments")
@login_required
def add_comment(kudos_id: int):
    """Comment under a kudos; htmx gets the kudos' comments back in place, with
    the error beside the field and the typed text kept when it is refused."""
    me = current_person()
    text = request.form.get("message", "")
    error = None
    try:
        service.comment(kudos_id, me.id, text)
    except service.KudosNotFound:
        abort(404, "No such kudos.")
    except service.KudosRefused as exc:
        error = " ".join(m for messages in exc.errors.values() for m in messages)
    if not htmx:
        if error:
            flash(f"Your comment was not added: {error}", "error")
        return redirect(url_for("kudos_pages.feed") + f"#kudos-{kudos_id}")
    item = service.views([service.get(kudos_id)], me.id, with_comments=True)[0]
    # 200 with the error inside: htmx swaps only successful answers.
    return render_template(
        "kudos/_comments.html", k=item, comment_error=error, comment_text=text if error else ""
    )


# --- admin ------------------------------------------------------------------------


@bp.get("/admin/kudos")
@login_required(role="admin")
def admin_review():
    flags = fairness.current_flags()
    shown = [(f, fairness.history(f, limit=10)) for f in flags]
    recent, _ = service.feed(limit=PAGE)
    return render_template("kudos/admin_review.html", flags=shown, recent=recent)


@bp.post("/admin/kudos/<int:kudos_id>/reverse")
@login_required(role="admin")
def admin_reverse(kudos_id: int):
    me = current_person()
    try:
        service.reverse(kudos_id, request.form.get("reason", "")[:1000], by=me.email)
    except service.KudosNotFound:
        abort(404, "No such kudos.")
    except service.KudosRefused as exc:
        flash(" ".join(m for ms in exc.errors.values() for m in ms).capitalize() + ".", "error")
    else:
        flash(f"Kudos {kudos_id} reversed; its points are taken back.", "success")
    return redirect(url_for("kudos_pages.admin_review"))


SETTING_FIELDS = (
    ("allowance", "Monthly allowance (points)"),
    ("manager_bonus_per_report", "Manager bonus per direct report"),
    ("pair_cap", "Most points one giver may send one person a month"),
    ("min_message_length", "Shortest message (characters)"),
    ("fairness_share", "Flag a giver who sends one person more than this share of their month"),
    ("fairness_min_points", "…once they sent at least this many points that month"),
    ("trade_threshold", "Flag two people who each sent the other at least this many points"),
)


def _settings_form(settings: rules.Settings) -> dict:
    doc = settings.to_document()
    form = {name: str(doc[name]) for name, _ in SETTING_FIELDS}
    form["values"] = ", ".join(doc["values"])
    form["value_required"] = doc["value_required"]
    form["role_allowances"] = json.dumps(doc["role_allowances"])
    form["team_allowances"] = json.dumps(doc["team_allowances"])
    return form


def _document_from(form) -> tuple[dict, dict[str, list[str]]]:
    doc: dict = {}
    errors: dict[str, list[str]] = {}
    for name, _ in SETTING_FIELDS:
        raw = form.get(name, "").strip()
        try:
            doc[name] = float(raw) if name == "fairness_share" else whole_number(raw, 0, 10**6)
        except ValueError:
            errors[name] = ["must be a number" if name == "fairness_share" else "a whole number"]
    doc["values"] = [v.strip() for v in form.get("values", "").split(",") if v.strip()]
    doc["value_required"] = form.get("value_required") == "1"
    for name in ("role_allowances", "team_allowances"):
        raw = form.get(name, "").strip() or "{}"
        try:
            doc[name] = json.loads(raw)
        except ValueError:
            errors[name] = ['must be JSON such as {"manager": 150}']
    return doc, errors


@bp.get("/admin/kudos/settings")
@login_required(role="admin")
def admin_settings():
    settings = service.current_settings()
    return _settings_page(settings, _settings_form(settings), {})


@bp.post("/admin/kudos/settings")
@login_required(role="admin")
def save_admin_settings():
    me = current_person()
    form = {k: request.form.get(k, "")[:2000] for k in request.form}
    form["value_required"] = request.form.get("value_required") == "1"
    doc, errors = _document_from(request.form)
    if not errors:
        try:
            version = service.save_settings(doc, note=form.get("note") or None, by=me.email)
        except rules.SettingsError as exc:
            errors = exc.errors
        else:
            flash(f"Kudos settings saved as version {version}.", "success")
            return redirect(url_for("kudos_pages.admin_settings"))
    return _settings_page(service.current_settings(), form, errors)


def _settings_page(settings: rules.Settings, form: dict, errors: dict):
    return render_template(
        "kudos/admin_settings.html",
        form=form,
        errors=errors,
        fields=SETTING_FIELDS,
        settings=settings,
        history=service.settings_history(),
    ), (422 if errors else 200)


# --- panels on other pages ------------------------------------------------------------

RECENT_SHARES = 3
PROFILE_KUDOS = 5


def me_panel(person: Employee) -> dict:
    """The Me page: kudos received this month and the compact give form."""
    count, points = service.received_this_month(person.id)
    received, _ = service.feed(employee_id=person.id, limit=3, viewer_id=person.id)
    return {"count": count, "points": points, "received": received, **give_form_context(person)}


def profile_panel(person: Employee, viewer: Employee) -> dict:
    """A profile: the kudos they received, and their recent shares to thank them for."""
    received, _ = service.feed(employee_id=person.id, limit=PROFILE_KUDOS, viewer_id=viewer.id)
    shares = []
    if person.id != viewer.id:
        shares = db.session.execute(
            select(Event.id, Event.network, Event.occurred_at, Event.content_id)
            .where(Event.employee_ref == person.external_id, Event.type == "share")
            .order_by(Event.occurred_at.desc())
            .limit(RECENT_SHARES)
        ).all()
    return {"received": received, "shares": shares}
