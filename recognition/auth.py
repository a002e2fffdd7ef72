"""Sign-in, sessions, CSRF and roles for the pages. One module, so OIDC can join here.

Who a visitor is comes from one of two places:
- a trusted reverse-proxy header naming their email (`LAUREL_TRUSTED_HEADER`,
  e.g. X-Forwarded-Email, honoured only when that setting is present), which
  is how production single sign-on reaches Laurel;
- the demo sign-in page (`LAUREL_DEMO`), where anyone picks a seeded person.
Either way a server-side session starts (`recognition.sessions`), and its random
id lands in the signed session cookie: signing out, deactivation, a role change
or `LAUREL_SESSION_IDLE_MINUTES` without a request end it for good.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import func, or_, select

from recognition import ratelimit
from recognition.extensions import db, htmx
from recognition.inputs import unsafe_text
from recognition.people import Employee, Team
from recognition.sessions import end_session, resume_session, start_session
from scoring.ledger import org_today
from scoring.models import DailyTotal
from scoring.periods import window_for
from scoring.rulesets import live_scoring

bp = Blueprint("auth", __name__)

ROLE_RANK = {"employee": 0, "manager": 1, "admin": 2}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SessionInterface(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app: Flask) -> None:
    # Flask's defaults exist as keys already, so set (not setdefault) unless configured.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.session_interface = SessionInterface()
    app.before_request(_load_person)
    app.before_request(_check_csrf)
    app.teardown_request(_forget_person)
    app.context_processor(lambda: {"me": g.get("person"), "csrf_token": csrf_token})
    app.register_blueprint(bp)


def current_person() -> Employee | None:
    return g.get("person")


def _forget_person(_exc: BaseException | None) -> None:
    # `g` outlives the request when an app context was pushed before it (the
    # tests, a CLI command): who was signed in holds for one request only, and
    # a hook that refuses the next request early must not find them still there.
    g.pop("person", None)


def _load_person() -> None:
    g.person = None
    if request.path.startswith(("/api/", "/static/")):
        return
    current = resume_session(session.get("sid")) if "sid" in session else None
    header = current_app.config.get("LAUREL_TRUSTED_HEADER")
    if header:
        email = request.headers.get(header, "").strip().lower()
        if email:
            person = None
            if unsafe_text(email) is None:
                person = db.session.scalar(
                    select(Employee).where(func.lower(Employee.email) == email)
                )
            if person is None or not person.active:
                # The proxy vouches for someone Laurel does not know (or no longer
                # lets in): whoever this browser was signed in as before, not them.
                _end_this_session()
                return
            if current is None or current.id != person.id:
                sign_in(person)
            g.person = person
            return
    if current is not None:
        g.person = current
    elif "sid" in session or "person_id" in session:
        # A session that ended (signed out, expired, its person deactivated or
        # given another role), or a cookie from before sessions were kept.
        session.clear()


def _end_this_session() -> None:
    end_session(session.get("sid"))
    session.clear()


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    """Every state-changing page request carries the session's token (form or header)."""
    if request.method in SAFE_METHODS or request.path.startswith("/api/"):
        return
    if g.get("person") is None and request.endpoint != "auth.demo_sign_in_post":
        # Nobody is signed in: the page will send them to sign in; there is
        # nothing of theirs to forge. The demo sign-in form is still checked.
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, "The form has expired or did not come from Laurel; reload and try again.")


def sign_in(person: Employee) -> None:
    """Start a new server-side session (a new id on every sign-in: no fixation)."""
    _end_this_session()
    session["sid"] = start_session(person.id)
    csrf_token()


def login_required(view=None, *, role: str = "employee"):
    """Pages need a signed-in person; `role` sets the least role that may enter."""

    def decorate(view_func):
        @functools.wraps(view_func)
        def wrapped(*args, **kwargs):
            person = current_person()
            if person is None:
                target = url_for("auth.sign_in_page", next=request.full_path.rstrip("?"))
                if htmx:
                    response = current_app.make_response("")
                    response.headers["HX-Redirect"] = target
                    return response
                return redirect(target)
            if ROLE_RANK.get(person.role, 0) < ROLE_RANK[role]:
                abort(403)
            return view_func(*args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None: where to go after signing in.

    Judged as a browser would read it, not as the raw string: browsers drop tabs
    and newlines anywhere in a URL (`/%09/evil.example` decodes to a slash, a tab
    and `/evil.example`, which a browser reads as `//evil.example`, another site)
    and read a backslash as a slash. So any control character or backslash
    disqualifies it, and what is left must parse with no scheme and no host, as a
    path starting with exactly one slash.
    """
    if not target or "\\" in target:
        return None
    for char in target:
        category = unicodedata.category(char)
        if category[0] == "C" or (category[0] == "Z" and char != " "):
            return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _next_or_me(target: str | None) -> str:
    return safe_next(target) or url_for("me_pages.me")


@bp.get("/sign-in")
def sign_in_page():
    if current_person() is not None:
        return redirect(_next_or_me(request.args.get("next")))
    if current_app.config.get("LAUREL_DEMO"):
        return redirect(url_for("auth.demo_sign_in", next=safe_next(request.args.get("next"))))
    return render_template("auth/sign_in.html"), 401


DEMO_LIST = 24
DEMO_ROLES = {"admin": "Program admin", "manager": "Manager", "employee": "Employee"}


@dataclass(frozen=True)
class DemoPerson:
    employee_id: str
    name: str
    role: str
    team: str | None
    week_points: int


def demo_people(
    query: str = "", role: str | None = None, limit: int = DEMO_LIST
) -> tuple[list[DemoPerson], int]:
    """People to sign in as on the demo page, most active this week first, and how
    many match. `query` matches a name (any part, any case) or an employee id."""
    window = window_for("week", org_today())
    week = (
        select(DailyTotal.employee_id, func.sum(DailyTotal.points).label("points"))
        .where(
            DailyTotal.generation == live_scoring().generation,
            DailyTotal.local_day >= window.first,
            DailyTotal.local_day < window.end,
        )
        .group_by(DailyTotal.employee_id)
        .subquery()
    )
    conditions = [Employee.active.is_(True)]
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            or_(
                Employee.name.ilike(f"%{escaped}%", escape="\\"),
                func.lower(Employee.external_id) == query.lower(),
            )
        )
    if role:
        conditions.append(Employee.role == role)
    points = func.coalesce(week.c.points, 0)
    rows = db.session.execute(
        select(Employee.external_id, Employee.name, Employee.role, Team.name, points)
        .outerjoin(Team, Team.id == Employee.team_id)
        .outerjoin(week, week.c.employee_id == Employee.id)
        .where(*conditions)
        .order_by(points.desc(), Employee.name, Employee.id)
        .limit(limit)
    )
    people = [DemoPerson(e, n, r, t, int(p)) for e, n, r, t, p in rows]
    total = db.session.scalar(select(func.count()).select_from(Employee).where(*conditions))
    return people, total


@bp.get("/demo/sign-in")
def demo_sign_in():
    """Pick anyone to sign in as; htmx searches as you type (name, employee id, role)."""
    if not current_app.config.get("LAUREL_DEMO"):
        abort(404)
    query = " ".join(request.args.get("q", "").split())[:100]
    role = request.args.get("role") or None
    error = None
    if role and role not in DEMO_ROLES:
        error = f"There is no role {role!r}; showing everyone."
        role = None
    people, total = demo_people(query, role)
    template = "auth/_demo_people.html" if htmx else "auth/demo_sign_in.html"
    response = current_app.make_response(
        render_template(
            template,
            people=people,
            total=total,
            query=query,
            role=role,
            roles=DEMO_ROLES,
            error=error,
            next=safe_next(request.args.get("next")) or "",
        )
    )
    response.vary.add("HX-Request")
    return response


@bp.post("/demo/sign-in")
def demo_sign_in_post():
    if not current_app.config.get("LAUREL_DEMO"):
        abort(404)
    ratelimit.check("sign-in", request.remote_addr or "unknown")
    person = db.session.scalar(
        select(Employee).where(Employee.external_id == request.form.get("employee_id", ""))
    )
    if person is None or not person.active:
        abort(400, "Pick a person from the list.")
    sign_in(person)
    return redirect(_next_or_me(request.form.get("next")))


@bp.post("/sign-out")
def sign_out():
    _end_this_session()
    if current_app.config.get("LAUREL_TRUSTED_HEADER"):
        return render_template("auth/signed_out.html")
    return redirect(url_for("auth.sign_in_page"))
