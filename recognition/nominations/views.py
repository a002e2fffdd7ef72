"""Nomination pages: nominate (search as you type, the evidence preview), the
review queue with inline approve and decline, a nomination with its evidence
frozen beside today's figures and its timeline, the recognition wall, and the
admin's category editor.

Every page works as plain forms and links; htmx swaps partials.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from recognition.auth import current_person, login_required
from recognition.extensions import db, htmx
from recognition.inputs import whole_number
from recognition.nominations import evidence, rules, service
from recognition.nominations.models import OPEN, Nomination, NominationDecision
from recognition.people import Employee, find_colleagues

bp = Blueprint("nominations_pages", __name__)
SEARCH_LIMIT = 8
STATUS_LABELS = {
    "submitted": "Submitted",
    "in_review": "In review",
    "approved": "Approved",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}


def _by_ref(ref: str | None) -> Employee | None:
    if not ref or len(ref) > 64:
        return None
    return db.session.scalar(select(Employee).where(Employee.external_id == ref))


def _periods(row) -> list[tuple[str, str]]:
    if row is None:
        return []
    return [(p, rules.period_name(row.period, p)) for p in service.open_periods(row)]


def _form_context(me: Employee, form: dict, errors: dict | None = None) -> dict:
    cats = service.categories()
    chosen = next((c for c in cats if c.slug == form.get("category")), None)
    if chosen is None and cats and not form.get("category"):
        chosen = cats[0]
        form["category"] = chosen.slug
    nominee = _by_ref(form.get("nominee"))
    found = [p for p in find_colleagues(form.get("q", ""), me.id, SEARCH_LIMIT) if p != nominee]
    preview = None
    periods = _periods(chosen)
    if nominee is not None and chosen is not None:
        period = form.get("period") or (periods[0][0] if periods else "")
        if period in dict(periods):
            preview = evidence.gather(nominee, chosen.period, period)
    return {
        "form": form,
        "errors": errors or {},
        "categories": cats,
        "chosen": chosen,
        "periods": periods,
        "nominee": nominee,
        "found": found,
        "preview": preview,
        "min_reason": rules.MIN_REASON,
        "max_reason": rules.MAX_REASON,
        "who_labels": rules.WHO_LABELS,
    }


@bp.get("/nominations/new")
@login_required
def nominate_page():
    me = current_person()
    form = {
        "token": secrets.token_urlsafe(16),
        "nominee": request.args.get("nominee", "")[:64],
        "category": request.args.get("category", "")[:64],
        "period": request.args.get("period", "")[:16],
        "q": request.args.get("q", "")[:100],
    }
    return render_template("nominations/new.html", **_form_context(me, form))


@bp.get("/nominations/people")
@login_required
def people():
    """Search as you type: matching colleagues as radio buttons (a partial)."""
    me = current_person()
    chosen = request.args.get("nominee", "")
    found = [
        p
        for p in find_colleagues(request.args.get("q", ""), me.id, SEARCH_LIMIT)
        if p.external_id != chosen
    ]
    return render_template("nominations/_people.html", found=found)


@bp.get("/nominations/evidence")
@login_required
def evidence_preview():
    """The nominee's figures for the chosen category and period (a partial)."""
    me = current_person()
    form = {
        "nominee": request.args.get("nominee", "")[:64],
        "category": request.args.get("category", "")[:64],
        "period": request.args.get("period", "")[:16],
    }
    context = _form_context(me, form)
    return render_template("nominations/_preview.html", **context)


@bp.post("/nominations/new")
@login_required
def nominate():
    me = current_person()
    form = {
        "token": request.form.get("form_token", "")[:100],
        "nominee": request.form.get("nominee", "")[:64],
        "category": request.form.get("category", "")[:64],
        "period": request.form.get("period", "")[:16],
        "q": request.form.get("q", "")[:100],
        "reason": request.form.get("reason", "")[:5000],
    }
    if "search" in request.form:
        # Without JavaScript, the search button posts the form back with the matches.
        return render_template("nominations/new.html", **_form_context(me, form))
    nominee = _by_ref(form["nominee"])
    errors: dict[str, list[str]] = {}
    try:
        nomination, _ = service.nominate(
            service.NominateRequest(
                nominator_id=me.id,
                nominee_id=nominee.id if nominee else None,
                category=form["category"],
                period=form["period"],
                reason=form["reason"],
                idempotency_key=f"form:{form['token']}" if form["token"] else None,
            )
        )
    except service.NominationRefused as exc:
        errors = exc.errors
    else:
        flash(f"Nomination of {nominee.name} submitted.", "success")
        target = url_for(".nomination", nomination_id=nomination.id)
        if htmx:
            response = current_app.make_response("")
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target, 303)
    context = _form_context(me, form, errors)
    if htmx:
        return render_template("nominations/_form.html", **context)
    return render_template("nominations/new.html", **context), 422


# --- lists ---------------------------------------------------------------------------


def _rows(nominations: list[Nomination], me: Employee) -> list[dict]:
    """What a list row shows: names, category, status, and whether `me` may decide."""
    if not nominations:
        return []
    ids = {n.nominee_id for n in nominations} | {n.nominator_id for n in nominations}
    people = {p.id: p for p in db.session.scalars(select(Employee).where(Employee.id.in_(ids)))}
    cats = {c.id: c for c in _categories_of(nominations)}
    out = []
    for n in nominations:
        cat = cats[n.category_id]
        out.append(
            {
                "n": n,
                "nominee": people[n.nominee_id],
                "nominator": people[n.nominator_id],
                "category": cat,
                "period_name": rules.period_name(cat.period, n.period),
                "status": STATUS_LABELS[n.status],
                "may_decide": n.status in OPEN and service.refusal(n, me) is None,
                "may_withdraw": n.status in OPEN and n.nominator_id == me.id,
            }
        )
    return out


def _categories_of(nominations):
    from recognition.nominations.models import NominationCategory

    ids = {n.category_id for n in nominations}
    return db.session.scalars(select(NominationCategory).where(NominationCategory.id.in_(ids)))


@bp.get("/nominations")
@login_required
def index():
    """To review (what I may decide), made by me, and about me."""
    me = current_person()
    return render_template(
        "nominations/index.html",
        queue_rows=_rows(service.review_queue(me), me),
        made=_rows(service.search(person_id=me.id), me),
        me_id=me.id,
    )


# --- one nomination --------------------------------------------------------------------


def _may_view(n: Nomination, me: Employee) -> bool:
    if me.role == "admin" or me.id in (n.nominator_id, n.nominee_id):
        return True
    deciders = set(
        db.session.scalars(
            select(NominationDecision.decider_id).where(NominationDecision.nomination_id == n.id)
        )
    )
    if me.id in deciders:
        return True
    return n.status in OPEN and service.refusal(n, me) is None


def _visible(nomination_id: int, me: Employee) -> Nomination:
    n = service.get(nomination_id)
    # Not yours to see reads as not there: nominations are not public until won.
    if n is None or not _may_view(n, me):
        abort(404, "No such nomination.")
    return n


def _detail_context(n: Nomination, me: Employee, errors: dict | None = None) -> dict:
    row = _rows([n], me)[0]
    entries = service.timeline(n.id)
    actor_ids = {t.actor_id for t in entries if t.actor_id}
    actors = {
        p.id: p for p in db.session.scalars(select(Employee).where(Employee.id.in_(actor_ids)))
    }
    cat = row["category"]
    nominee = row["nominee"]
    today = evidence.gather(nominee, cat.period, n.period)
    return {
        **row,
        "timeline": [(t, actors.get(t.actor_id)) for t in entries],
        "frozen": n.evidence,
        "today": today,
        "errors": errors or {},
        "why_not": service.refusal(n, me) if n.status in OPEN else None,
        "status_labels": STATUS_LABELS,
        "badge_name": service.manual_badges().get(cat.badge, cat.badge) if cat.badge else None,
    }


@bp.get("/nominations/<int:nomination_id>")
@login_required
def nomination(nomination_id: int):
    me = current_person()
    n = _visible(nomination_id, me)
    return render_template("nominations/detail.html", **_detail_context(n, me))


def _step(raw: str | None) -> int | None:
    try:
        return whole_number(raw, 1, rules.MAX_STEPS) if raw else None
    except ValueError:
        return None


def _after_action(n: Nomination, me: Employee, message: str | None, errors: dict):
    """htmx: the row (in the queue) or the status panel, in place; else back to the page."""
    where = request.form.get("where")
    if htmx:
        if where == "row":
            rows = _rows([n], me)
            return render_template(
                "nominations/_row.html", r=rows[0], queue=True, message=message, errors=errors
            )
        return render_template(
            "nominations/_status.html", **_detail_context(n, me, errors), message=message
        )
    if errors:
        flash(" ".join(m for ms in errors.values() for m in ms).capitalize() + ".", "error")
    elif message:
        flash(message, "success")
    target = url_for(".index") if where == "row" else url_for(".nomination", nomination_id=n.id)
    return redirect(target, 303)


def _act(nomination_id: int, action, done: str):
    me = current_person()
    n = _visible(nomination_id, me)
    errors: dict = {}
    message = None
    try:
        n, changed = action(n, me)
        message = done if changed else "Already done; nothing changed."
    except service.NominationRefused as exc:
        errors = exc.errors
        db.session.expire_all()
        n = service.get(nomination_id)
    return _after_action(n, me, message, errors)


@bp.post("/nominations/<int:nomination_id>/approve")
@login_required
def approve(nomination_id: int):
    step = _step(request.form.get("step"))
    return _act(
        nomination_id,
        lambda n, me: service.approve(n.id, me.id, step=step),
        "Approved.",
    )


@bp.post("/nominations/<int:nomination_id>/decline")
@login_required
def decline(nomination_id: int):
    step = _step(request.form.get("step"))
    reason = request.form.get("reason", "")[:5000]
    return _act(
        nomination_id,
        lambda n, me: service.decline(n.id, me.id, reason, step=step),
        "Declined; the nominator is told why.",
    )


@bp.post("/nominations/<int:nomination_id>/withdraw")
@login_required
def withdraw(nomination_id: int):
    return _act(nomination_id, lambda n, me: service.withdraw(n.id, me.id), "Withdrawn.")


# --- the wall ----------------------------------------------------------------------------


@bp.get("/recognition")
@login_required
def wall():
    """Winners by period and category, for everyone signed in."""
    period = request.args.get("period", "")[:16] or None
    entries = service.wall(period)
    periods = sorted(
        set(
            db.session.scalars(
                select(Nomination.period).where(Nomination.status == "approved").distinct()
            )
        ),
        reverse=True,
    )
    return render_template("nominations/wall.html", entries=entries, periods=periods, period=period)


@bp.post("/nominations/settings")
@login_required
def save_wall_setting():
    """The nominee's choice: show the reasons of nominations they won on the wall."""
    me = current_person()
    show = request.form.get("show_nomination_reasons") == "1"
    service.set_show_reasons(me, show)
    message = (
        "Saved. The reasons of your nominations show on the recognition wall."
        if show
        else "Saved. The wall shows that you won, without the reasons."
    )
    if htmx:
        return render_template("nominations/_wall_setting.html", person=me, message=message)
    flash(message, "success")
    return redirect(url_for("me_pages.settings"), 303)


def profile_outcomes(person: Employee) -> list:
    """Nominations this person won, for their profile."""
    return service.wall(nominee_id=person.id, limit=5)


# --- admin: categories --------------------------------------------------------------------


def _category_form(row=None) -> dict:
    if row is None:
        return {
            "name": "",
            "description": "",
            "period": "month",
            "badge": "",
            "bonus_points": str(rules.DEFAULT_BONUS),
            "who_may_nominate": "reports",
            "steps": [{"decider": "admin", "group": ""}, {"decider": "", "group": ""}, {}],
            "active": True,
            "note": "",
        }
    refs = dict(db.session.execute(select(Employee.id, Employee.external_id)).all())
    steps = [
        {
            "decider": s["decider"],
            "group": ", ".join(refs.get(i, str(i)) for i in s.get("group", [])),
        }
        for s in row.steps
    ]
    steps += [{"decider": "", "group": ""}] * (rules.MAX_STEPS - len(steps))
    return {
        "name": row.name,
        "description": row.description,
        "period": row.period,
        "badge": row.badge or "",
        "bonus_points": str(row.bonus_points),
        "who_may_nominate": row.who_may_nominate,
        "steps": steps,
        "active": row.active,
        "note": "",
    }


def _read_category_form() -> tuple[dict, dict]:
    f = request.form
    form = {
        "name": f.get("name", "")[:200],
        "description": f.get("description", "")[:2000],
        "period": f.get("period", ""),
        "badge": f.get("badge", ""),
        "bonus_points": f.get("bonus_points", "").strip()[:20],
        "who_may_nominate": f.get("who_may_nominate", ""),
        "active": f.get("active") == "1",
        "note": f.get("note", "")[:500],
        "steps": [
            {
                "decider": f.get(f"step{i}_decider", ""),
                "group": f.get(f"step{i}_group", "")[:2000],
            }
            for i in range(1, rules.MAX_STEPS + 1)
        ],
    }
    try:
        bonus = whole_number(form["bonus_points"], 0, rules.MAX_BONUS)
    except ValueError:
        bonus = -1  # the rules name it, beside the other fields' errors
    steps = []
    for step in form["steps"]:
        if not step["decider"]:
            continue
        doc = {"decider": step["decider"]}
        if step["decider"] == "group":
            doc["group"] = [r.strip() for r in step["group"].split(",") if r.strip()]
        steps.append(doc)
    doc = {
        "name": form["name"],
        "description": form["description"],
        "period": form["period"],
        "badge": form["badge"] or None,
        "bonus_points": bonus,
        "who_may_nominate": form["who_may_nominate"],
        "steps": steps,
        "active": form["active"],
    }
    return form, doc


def _category_page(form, errors, row=None, status=200):
    return render_template(
        "nominations/admin.html",
        form=form,
        errors=errors,
        row=row,
        categories=service.categories(include_inactive=True),
        history=service.category_history(row.slug) if row else [],
        badges=service.manual_badges(),
        periods=rules.PERIODS,
        who_labels=rules.WHO_LABELS,
        decider_labels=rules.DECIDER_LABELS,
        max_steps=rules.MAX_STEPS,
    ), status


@bp.get("/admin/nominations")
@login_required(role="admin")
def admin():
    slug = request.args.get("category", "")[:64]
    row = service.category(slug) if slug else None
    if slug and row is None:
        abort(404, f"No category {slug!r}.")
    return _category_page(_category_form(row), {}, row)


@bp.post("/admin/nominations")
@login_required(role="admin")
def save_category():
    """Create a category, or (with `slug`) save its next version."""
    me = current_person()
    slug = request.form.get("slug", "")[:64] or None
    row = service.category(slug) if slug else None
    if slug and row is None:
        abort(404, f"No category {slug!r}.")
    form, doc = _read_category_form()
    try:
        saved = service.save_category(doc, slug=slug, note=form["note"], by=me.email)
    except rules.CategoryError as exc:
        return _category_page(form, exc.errors, row, 422)
    flash(f"{saved.name} saved as version {saved.version}.", "success")
    return redirect(url_for(".admin", category=saved.slug), 303)
