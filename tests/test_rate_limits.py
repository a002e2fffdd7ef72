"""Rate limits: per token on the API, per client address on sign-in and bad tokens.

The test config turns every limit off; each test here turns on the one it checks.
"""

from __future__ import annotations

import logging

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from recognition import ratelimit
from tests.helpers import add_person, event, token

NOW = "2026-11-20T12:00:00+00:00"


@pytest.fixture(autouse=True)
def _redis_not_paused(monkeypatch):
    # A Redis failure in an earlier test would leave this process's limits paused.
    monkeypatch.setattr(ratelimit, "_paused_until", 0.0)


def from_address(address: str) -> dict:
    return {"environ_overrides": {"REMOTE_ADDR": address}}


def assert_too_many(resp, api: bool = True) -> None:
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    if api:
        assert resp.mimetype == "application/problem+json"
        assert resp.json["status"] == 429 and "Try again in" in resp.json["detail"]


def test_the_api_limits_requests_per_token(app, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    app.config["LAUREL_RATE_LIMIT_API"] = 3
    busy, other = token("read"), token("read")
    for _ in range(3):
        assert client.get("/api/v1/employees/E1", headers=busy).status_code == 200
    assert_too_many(client.get("/api/v1/employees/E1", headers=busy))
    assert (
        "3 requests in a minute" in client.get("/api/v1/leaderboard", headers=busy).json["detail"]
    )
    # Per token, whatever the address: another token goes on.
    assert client.get("/api/v1/employees/E1", headers=other).status_code == 200
    # Writes count too, and nothing of a refused request is stored.
    writer = token("events:write")
    for i in range(3):
        client.post("/api/v1/events", json=event("E1", NOW, id=f"e{i}"), headers=writer)
    refused = client.post("/api/v1/events", json=event("E1", NOW, id="e3"), headers=writer)
    assert_too_many(refused)


def test_failed_token_checks_are_limited_per_address(app, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    app.config["LAUREL_RATE_LIMIT_BAD_TOKENS"] = 2
    good = token("read")
    wrong = {"Authorization": "Bearer lrl_guess"}
    here = from_address("203.0.113.7")
    for _ in range(2):
        assert client.get("/api/v1/employees/E1", headers=wrong, **here).status_code == 401
    assert_too_many(client.get("/api/v1/employees/E1", headers=wrong, **here))
    # Once over, that address is refused before any token is looked at.
    assert_too_many(client.get("/api/v1/employees/E1", headers=good, **here))
    assert_too_many(client.get("/api/v1/leaderboard", **here))
    # Other addresses are not affected, and good tokens do not count.
    elsewhere = from_address("198.51.100.2")
    assert client.get("/api/v1/employees/E1", headers=good, **elsewhere).status_code == 200
    for _ in range(5):
        client.get("/api/v1/employees/E1", headers=good, **from_address("192.0.2.1"))
    assert client.get("/api/v1/employees/E1", headers=wrong, **elsewhere).status_code == 401


def test_demo_sign_in_is_limited_per_address(app, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    app.config.update(LAUREL_DEMO=True, LAUREL_RATE_LIMIT_SIGN_IN=2)
    here = from_address("203.0.113.7")

    def attempt(**where):
        client.get("/demo/sign-in", **where)
        with client.session_transaction() as session:
            csrf = session.get("csrf", "")
        return client.post("/demo/sign-in", data={"employee_id": "E1", "csrf_token": csrf}, **where)

    assert [attempt(**here).status_code for _ in range(2)] == [302, 302]
    refused = attempt(**here)
    assert_too_many(refused, api=False)
    assert "More than 2 sign-ins from this address" in refused.get_data(as_text=True)
    assert attempt(**from_address("198.51.100.2")).status_code == 302


@pytest.fixture
def redis_down(app):
    """Point the app at a Redis nobody listens on."""
    app.extensions["laurel_redis"] = redis.Redis(
        host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0)
    )


def test_without_redis_the_limits_let_requests_through_and_say_so(
    app, client, freeze_time, redis_down, caplog
):
    freeze_time(NOW)
    add_person("E1")
    app.config.update(
        LAUREL_DEMO=True,
        LAUREL_RATE_LIMIT_API=1,
        LAUREL_RATE_LIMIT_BAD_TOKENS=1,
        LAUREL_RATE_LIMIT_SIGN_IN=1,
    )
    writer = token("events:write")
    with caplog.at_level(logging.WARNING, logger="recognition.ratelimit"):
        for i in range(3):
            resp = client.post("/api/v1/events", json=event("E1", NOW, id=f"e{i}"), headers=writer)
            assert resp.status_code == 202, resp.json
        for _ in range(3):
            assert client.get("/api/v1/employees/E1").status_code == 401
        for _ in range(2):
            client.get("/demo/sign-in")
            with client.session_transaction() as session:
                csrf = session["csrf"]
            resp = client.post("/demo/sign-in", data={"employee_id": "E1", "csrf_token": csrf})
            assert resp.status_code == 302
    # One warning, then Redis is left alone for a while instead of asked on every request.
    assert caplog.text.count("Redis unavailable") == 1


def test_limits_come_from_settings_and_are_whole_numbers():
    from app import create_app

    base = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "SECRET_KEY": "x",
    }
    app = create_app({**base, "LAUREL_RATE_LIMIT_API": "50", "LAUREL_RATE_LIMIT_SIGN_IN": "0"})
    assert (
        app.config["LAUREL_RATE_LIMIT_API"] == 50 and app.config["LAUREL_RATE_LIMIT_SIGN_IN"] == 0
    )
    for bad in ["-1", "lots", "1.5"]:
        with pytest.raises(RuntimeError, match="LAUREL_RATE_LIMIT_BAD_TOKENS"):
            create_app({**base, "LAUREL_RATE_LIMIT_BAD_TOKENS": bad})
