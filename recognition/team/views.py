"""The team page: a manager's direct reports (admins: any manager's), sortable,
with a CSV download of the same figures."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select

from recognition.auth import current_person, login_required
from recognition.extensions import db
from recognition.people import Employee
from recognition.team import service

bp = Blueprint("team_pages", __name__)


def _manager() -> Employee:
    me = current_person()
    ref = request.args.get("manager", "")[:64]
    if not ref or ref == me.external_id:
        return me
    if me.role != "admin":
        abort(403)
    person = db.session.scalar(select(Employee).where(Employee.external_id == ref))
    if person is None:
        abort(404, f"No employee {ref!r}.")
    return person


@bp.get("/team")
@login_required(role="manager")
def team():
    me = current_person()
    manager = _manager()
    sort = request.args.get("sort", "name")
    if sort not in service.SORTS:
        sort = "name"
    data = service.team_of(manager)
    return render_template(
        "team/index.html",
        team=data,
        members=service.sorted_members(data.members, sort),
        sort=sort,
        manager=manager,
        managers=service.managers() if me.role == "admin" else [],
    )


@bp.get("/team.csv")
@login_required(role="manager")
def team_csv():
    manager = _manager()
    data = service.team_of(manager)
    p = data.periods
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "employee_id",
            "name",
            f"points ({p.this_label})",
            f"organisation rank ({p.this_label})",
            f"points ({p.last_label})",
            "trend (points)",
            "tier",
            "newest badges",
            f"shares ({p.this_label})",
            f"kudos given ({p.this_label})",
            f"kudos received ({p.this_label})",
        ]
    )
    for m in service.sorted_members(data.members, request.args.get("sort", "name")):
        writer.writerow(
            [
                m.person.external_id,
                _cell(m.person.name),
                "hidden" if m.hidden else m.points,
                "hidden" if m.hidden else (m.rank or ""),
                "hidden" if m.hidden else m.last_points,
                "" if m.trend is None else m.trend,
                m.tier or "",
                _cell("; ".join(m.badges)),
                m.shares,
                m.kudos_given,
                m.kudos_received,
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="team-{manager.external_id}.csv"'},
    )


def _cell(text: str) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
