"""Who may open which page: every page and form, as each role and signed out."""

from __future__ import annotations

import pytest

from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"
# Pages anyone may reach without signing in.
PUBLIC = {
    "auth.sign_in_page",
    "auth.demo_sign_in",
    "auth.demo_sign_in_post",
    "auth.sign_out",
    "me_pages.favicon",
    "me_pages.achievement",
}
# Endpoints not meant for page visitors at all.
SKIP_PREFIXES = ("static",)


def _page_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint.startswith(SKIP_PREFIXES):
            continue
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule, person) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "employee_id":
            values[arg] = person.external_id
        elif arg == "job_id":
            values[arg] = "no-such-job"
        elif arg.endswith("_id") or arg == "id":
            values[arg] = "1"
        elif arg == "action":
            values[arg] = "accept"
        else:
            values[arg] = "x"
    return rule.build(values)[1]


def _least_role(rule) -> str:
    admin = rule.endpoint.startswith("admin_pages.") or rule.rule.startswith("/admin/")
    if admin:
        return "admin"
    return "manager" if rule.endpoint.startswith("team_pages.") else "employee"


@pytest.mark.parametrize("role", ["signed-out", "employee", "manager", "admin"])
def test_every_page_and_form_checks_who_is_asking(app, client, work, freeze_time, role):
    freeze_time(NOW)
    people = {
        r: add_person(f"R-{r}", name=f"A {r}", role=r, team="sales")
        for r in ("employee", "manager", "admin")
    }
    client.post("/api/v1/events", json=event("R-employee", NOW), headers=token())
    work()
    csrf = sign_in(client, people[role]) if role != "signed-out" else ""
    rank = {"signed-out": -1, "employee": 0, "manager": 1, "admin": 2}
    checked = 0
    for rule, method in _page_rules(app):
        url = _url(rule, people["employee"])
        if method == "GET":
            resp = client.get(url)
        else:
            resp = client.open(url, method=method, data={"csrf_token": csrf})
        needed = rank[_least_role(rule)]
        where = f"{method} {url} as {role}"
        if role == "signed-out":
            assert resp.status_code == 302, where
            assert "/sign-in" in resp.headers["Location"], where
        elif rank[role] < needed:
            assert resp.status_code == 403, where
        else:
            # Allowed: the page answers (forms may redirect after posting, or
            # refuse the empty form with a message; an unknown id is a 404).
            assert resp.status_code in (200, 201, 303, 302, 404, 422), (where, resp.status_code)
            assert resp.status_code != 403, where
        checked += 1
    assert checked >= 5


def test_forms_without_a_csrf_token_are_refused(client, freeze_time):
    freeze_time(NOW)
    person = add_person("E1", role="admin")
    sign_in(client, person)
    assert client.post("/sign-out").status_code == 400
    assert client.post("/sign-out", headers={"X-CSRF-Token": "wrong"}).status_code == 400


def test_demo_sign_in_only_in_demo_mode(app, client, freeze_time):
    freeze_time(NOW)
    add_person("E1", name="Ada Lovelace")
    assert client.get("/demo/sign-in").status_code == 404
    app.config["LAUREL_DEMO"] = True
    page = client.get("/demo/sign-in")
    assert page.status_code == 200 and "Ada Lovelace" in page.get_data(as_text=True)
    with client.session_transaction() as session:
        token_value = session["csrf"]
    resp = client.post(
        "/demo/sign-in",
        data={"employee_id": "E1", "csrf_token": token_value, "next": "/leaderboard"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/leaderboard")
    assert client.get("/leaderboard").status_code == 200
    # An open redirect through `next` is not possible.
    with client.session_transaction() as session:
        token_value = session["csrf"]
    away = client.post(
        "/demo/sign-in",
        data={"employee_id": "E1", "csrf_token": token_value, "next": "//evil.example/"},
    )
    assert "evil.example" not in away.headers["Location"]


def test_trusted_header_signs_people_in_only_when_configured(app, client, freeze_time):
    freeze_time(NOW)
    add_person("E1", name="Ada Lovelace")
    header = {"X-Forwarded-Email": "E1@example.com"}
    assert client.get("/leaderboard", headers=header).status_code == 302
    app.config["LAUREL_TRUSTED_HEADER"] = "X-Forwarded-Email"
    resp = client.get("/leaderboard", headers=header)
    assert resp.status_code == 200 and "Ada Lovelace" in resp.get_data(as_text=True)
    # The header is the identity: an unknown one does not ride on Ada's session.
    stranger = client.get("/leaderboard", headers={"X-Forwarded-Email": "nobody@x.org"})
    assert stranger.status_code == 302 and "/sign-in" in stranger.headers["Location"]
    assert client.get("/leaderboard").status_code == 302


def _session_cookie(resp) -> str:
    return next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))


@pytest.mark.parametrize(
    ("base_url", "secure"), [("https://laurel.example", True), ("http://localhost", False)]
)
def test_session_cookie_is_httponly_lax_and_secure_over_https(
    app, client, freeze_time, base_url, secure
):
    freeze_time(NOW)
    add_person("E1")
    app.config["LAUREL_DEMO"] = True
    client.get("/demo/sign-in", base_url=base_url)
    with client.session_transaction(base_url=base_url) as session:
        token_value = session["csrf"]
    resp = client.post(
        "/demo/sign-in", data={"employee_id": "E1", "csrf_token": token_value}, base_url=base_url
    )
    assert resp.status_code == 302
    parts = [part.strip().lower() for part in _session_cookie(resp).split(";")]
    assert "httponly" in parts and "samesite=lax" in parts
    assert ("secure" in parts) is secure


def test_sign_out_ends_the_session(client, freeze_time):
    freeze_time(NOW)
    csrf = sign_in(client, add_person("E1"))
    assert client.get("/").status_code == 200
    resp = client.post("/sign-out", data={"csrf_token": csrf})
    assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
    assert client.get("/").status_code == 302


def test_htmx_sends_the_csrf_token_as_a_header(client, freeze_time):
    freeze_time(NOW)
    person = add_person("E1")
    csrf = sign_in(client, person)
    page = client.get("/settings").get_data(as_text=True)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page
    # No form field: the header htmx adds from hx-headers is enough.
    resp = client.post(
        "/settings",
        data={"leaderboard_opt_out": "1"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert resp.status_code == 200 and "hidden from public leaderboards" in resp.get_data(
        as_text=True
    )
