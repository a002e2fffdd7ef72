"""Where sign-in sends people afterwards: only ever a path on this site.

`next` is judged as a browser reads the URL, not as the raw string (issue 9:
`/sign-in?next=/%09/evil.example` led to `//evil.example`).
"""

from __future__ import annotations

import pytest

from recognition.auth import safe_next
from tests.helpers import add_person, sign_in

NOW = "2026-11-20T12:00:00+00:00"


@pytest.fixture
def admin_csrf(client, freeze_time):
    freeze_time(NOW)
    return sign_in(client, add_person("A1", role="admin"))


OFF_SITE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " //evil.example",
    "\x00//evil.example",
    "/\u3000/evil.example",
    "/\u2028/evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_every_way_off_site(target):
    assert safe_next(target) is None


@pytest.mark.parametrize(
    "target", ["/", "/leaderboard?period=month&team=sales", "/people/E1#badges", "/a:b"]
)
def test_safe_next_keeps_paths_on_this_site(target):
    assert safe_next(target) == target


ENCODED_OFF_SITE = [
    "/%09/evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "/%0d%0a/evil.example",
    "https%3A%2F%2Fevil.example",
    "javascript%3Aalert(1)",
]


def test_sign_in_next_never_leads_off_site(client, admin_csrf):
    for query in ENCODED_OFF_SITE:
        resp = client.get(f"/sign-in?next={query}")
        assert resp.status_code == 302 and resp.headers["Location"] == "/", query
    kept = client.get("/sign-in?next=/leaderboard%3Fperiod%3Dall")
    assert kept.headers["Location"] == "/leaderboard?period=all"


def test_demo_sign_in_next_never_leads_off_site(app, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    app.config["LAUREL_DEMO"] = True
    for target in ["/\t/evil.example", "//evil.example", "/\\evil.example"]:
        client.get("/demo/sign-in")
        with client.session_transaction() as session:
            csrf = session["csrf"]
        resp = client.post(
            "/demo/sign-in", data={"employee_id": "E1", "csrf_token": csrf, "next": target}
        )
        assert resp.status_code == 302 and resp.headers["Location"] == "/", target
    # Only a safe `next` makes it into the form at all.
    page = client.get("/demo/sign-in?next=//evil.example").get_data(as_text=True)
    assert "evil.example" not in page
    kept = client.get("/demo/sign-in?next=/leaderboard").get_data(as_text=True)
    assert 'name="next" value="/leaderboard"' in kept


def test_sign_in_next_with_a_newline_while_signed_in_goes_home(client, admin_csrf):
    resp = client.get("/sign-in?next=/%0d%0aX:1")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert "X" not in resp.headers


def test_a_trusted_header_with_a_nul_signs_nobody_in(app, client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    app.config["LAUREL_TRUSTED_HEADER"] = "X-Forwarded-Email"
    resp = client.get("/leaderboard", headers={"X-Forwarded-Email": "e1@example.com\x00"})
    assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
