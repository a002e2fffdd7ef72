"""Sessions end when they should: sign-out, deactivation, a role change, idle time.

Each test signs in the way a browser does (the demo sign-in form) and keeps the
cookie it got, then replays that cookie on a fresh client, as someone who copied
it would.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app import create_app
from recognition.extensions import db
from recognition.sessions import WebSession
from tests.helpers import add_person, token

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
PAGES = ["/", "/leaderboard", "/settings", "/admin/tokens"]


@pytest.fixture
def demo(app):
    app.config["LAUREL_DEMO"] = True
    return app


def browser_sign_in(client, employee_id: str) -> str:
    """Sign in through the demo form; returns the session cookie's value."""
    client.get("/demo/sign-in")
    with client.session_transaction() as session:
        csrf = session["csrf"]
    resp = client.post("/demo/sign-in", data={"employee_id": employee_id, "csrf_token": csrf})
    assert resp.status_code == 302
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A fresh browser holding a copy of the cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def opens(client, url: str) -> bool:
    resp = client.get(url)
    if resp.status_code == 302:
        assert "/sign-in" in resp.headers["Location"], url
        return False
    assert resp.status_code == 200, (url, resp.status_code)
    return True


def sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(WebSession))


def test_signing_out_ends_the_session_for_a_replayed_cookie(demo, client, freeze_time):
    freeze_time(NOW)
    add_person("A1", role="admin")
    cookie = browser_sign_in(client, "A1")
    assert all(opens(replay(demo, cookie), url) for url in PAGES)
    with client.session_transaction() as session:
        csrf = session["csrf"]
    assert client.post("/sign-out", data={"csrf_token": csrf}).status_code == 302
    copy = replay(demo, cookie)
    assert not any(opens(copy, url) for url in PAGES)
    assert sessions() == 0


def test_signing_out_ends_only_that_browsers_session(demo, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    laptop = browser_sign_in(client, "E1")
    phone = demo.test_client()
    browser_sign_in(phone, "E1")
    with phone.session_transaction() as session:
        csrf = session["csrf"]
    phone.post("/sign-out", data={"csrf_token": csrf})
    assert opens(replay(demo, laptop), "/") and not opens(phone, "/")


def test_deactivation_ends_every_session_of_the_person(demo, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    cookies = [browser_sign_in(demo.test_client(), "E1") for _ in range(2)]
    directory = token("directory:write")
    body = {"email": "e1@example.com", "name": "Person E1", "team": "sales", "active": False}
    assert client.put("/api/v1/employees/E1", json=body, headers=directory).status_code == 200
    assert sessions() == 0
    # Active again: the old cookies stay dead; signing in again works.
    body["active"] = True
    client.put("/api/v1/employees/E1", json=body, headers=directory)
    assert not any(opens(replay(demo, cookie), "/") for cookie in cookies)
    assert opens(replay(demo, browser_sign_in(demo.test_client(), "E1")), "/")


def test_a_role_change_ends_existing_sessions(demo, client, freeze_time):
    freeze_time(NOW)
    add_person("A1", role="admin")
    add_person("E2")
    admin_cookie = browser_sign_in(demo.test_client(), "A1")
    other_cookie = browser_sign_in(demo.test_client(), "E2")
    assert opens(replay(demo, admin_cookie), "/admin/tokens")
    body = {"email": "a1@example.com", "name": "Person A1", "team": "sales", "role": "employee"}
    resp = client.put("/api/v1/employees/A1", json=body, headers=token("directory:write"))
    assert resp.status_code == 200
    assert not opens(replay(demo, admin_cookie), "/")
    # Others keep theirs; an update that changes neither role nor active ends nothing.
    assert opens(replay(demo, other_cookie), "/")
    same = {"email": "e2@example.com", "name": "Renamed", "team": "sales"}
    client.put("/api/v1/employees/E2", json=same, headers=token("directory:write"))
    assert opens(replay(demo, other_cookie), "/")


def test_a_role_change_from_the_csv_import_ends_sessions(
    demo, client, runner, freeze_time, tmp_path
):
    freeze_time(NOW)
    add_person("A1", role="admin")
    cookie = browser_sign_in(client, "A1")
    csv = tmp_path / "people.csv"
    csv.write_text(
        "employee_id,email,name,team,manager_id,role\nA1,a1@example.com,Person A1,sales,,manager\n"
    )
    assert runner.invoke(args=["laurel", "import-employees", str(csv)]).exit_code == 0
    assert not opens(replay(demo, cookie), "/")


def test_an_idle_session_expires(demo, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    idle = dt.timedelta(minutes=demo.config["LAUREL_SESSION_IDLE_MINUTES"])
    cookie = browser_sign_in(client, "E1")
    # Used every now and then (a poll, a click), it stays alive well past the limit.
    for step in range(1, 4):
        freeze_time(NOW + step * (idle - dt.timedelta(minutes=1)))
        assert opens(replay(demo, cookie), "/"), step
    last = NOW + 3 * (idle - dt.timedelta(minutes=1))
    freeze_time(last + idle + dt.timedelta(seconds=1))
    assert not opens(replay(demo, cookie), "/")
    assert sessions() == 0


def test_last_use_is_written_at_most_once_a_minute(demo, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    browser_sign_in(client, "E1")
    seen = lambda: db.session.scalar(select(WebSession.last_seen_at))  # noqa: E731
    freeze_time(NOW + dt.timedelta(seconds=30))
    client.get("/")
    assert seen() == NOW
    freeze_time(NOW + dt.timedelta(seconds=61))
    client.get("/")
    assert seen() == NOW + dt.timedelta(seconds=61)


def test_signing_in_clears_out_idle_sessions(demo, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    browser_sign_in(demo.test_client(), "E1")
    freeze_time(NOW + dt.timedelta(hours=5))
    browser_sign_in(client, "E1")
    assert sessions() == 1


def test_the_idle_limit_setting_is_a_whole_number_of_minutes():
    def make(minutes):
        return create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "REDIS_URL": "redis://127.0.0.1:1/0",
                "SECRET_KEY": "x",
                "LAUREL_SESSION_IDLE_MINUTES": minutes,
            }
        )

    assert make("15").config["LAUREL_SESSION_IDLE_MINUTES"] == 15
    for bad in ["0", "-5", "ten", "\u00b2"]:
        with pytest.raises(RuntimeError, match="LAUREL_SESSION_IDLE_MINUTES"):
            make(bad)


def test_a_cookie_from_before_server_sessions_opens_nothing(client, freeze_time):
    freeze_time(NOW)
    person = add_person("E1")
    with client.session_transaction() as session:
        session["person_id"] = person.id
    assert not opens(client, "/")
    with client.session_transaction() as session:
        assert "person_id" not in session


def test_the_trusted_header_starts_a_session_and_a_role_change_starts_a_new_one(
    app, client, freeze_time
):
    freeze_time(NOW)
    add_person("A1", role="admin")
    app.config["LAUREL_TRUSTED_HEADER"] = "X-Forwarded-Email"
    header = {"X-Forwarded-Email": "a1@example.com"}
    assert client.get("/admin/tokens", headers=header).status_code == 200
    first = db.session.scalar(select(WebSession.id))
    client.get("/", headers=header)
    assert db.session.scalar(select(WebSession.id)) == first and sessions() == 1
    body = {"email": "a1@example.com", "name": "Person A1", "team": "sales", "role": "employee"}
    client.put("/api/v1/employees/A1", json=body, headers=token("directory:write"))
    # The proxy still vouches for them: a new session, with what they may do now.
    assert client.get("/admin/tokens", headers=header).status_code == 403
    assert db.session.scalar(select(WebSession.id)) != first and sessions() == 1
