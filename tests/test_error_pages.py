"""Errors on pages render in Laurel's layout with a way back; the API keeps problem+json."""

from __future__ import annotations

from html import unescape

import pytest

from tests.helpers import add_person, sign_in


def test_unknown_page_is_a_404_in_the_layout_with_a_way_back(client):
    sign_in(client, add_person("E1"))
    resp = client.get("/no-such-page")
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "We couldn't find that page" in html
    assert 'class="topbar"' in html and "Sign out" in html  # the usual layout, signed in
    assert '<a href="/">Go to your page</a>' in html


def test_signed_out_visitor_gets_the_404_with_a_sign_in_link(client):
    html = unescape(client.get("/no-such-page").get_data(as_text=True))
    assert "We couldn't find that page" in html
    assert 'href="/sign-in">Sign in to Laurel</a>' in html


def test_forbidden_page_says_so_in_the_layout(client):
    sign_in(client, add_person("E1", role="employee"))
    resp = client.get("/admin/")
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 403 and resp.mimetype == "text/html"
    assert "This page isn't open to you" in html and "Go to your page" in html


def test_a_message_given_with_the_error_is_shown(client):
    """The expired-form 400 keeps its own explanation."""
    sign_in(client, add_person("E1"))
    resp = client.post("/settings", data={"csrf_token": "wrong"})
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 400
    assert "The form has expired" in html and 'class="topbar"' in html


@pytest.fixture
def failing_app(app):
    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    return app


def test_a_crash_on_a_page_is_a_500_page_with_a_way_back(failing_app):
    client = failing_app.test_client()
    sign_in(client, add_person("E1"))
    resp = client.get("/boom")
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 500 and resp.mimetype == "text/html"
    assert "Something went wrong on our side" in html and "Go to your page" in html
    assert "a bug" not in html  # no internals


def test_api_errors_stay_problem_json(failing_app):
    client = failing_app.test_client()
    crash = client.get("/api/v1/boom")
    assert crash.status_code == 500 and crash.mimetype == "application/problem+json"
    assert crash.get_json()["status"] == 500
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.get_json()["title"] == "Not Found"


def test_pages_link_a_favicon_that_exists(client):
    sign_in(client, add_person("E1"))
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 301 and legacy.headers["Location"].endswith("/static/favicon.svg")
