"""The OpenAPI document: valid OpenAPI 3.1, one operation per /api/v1 route, and real
answers match what it declares.

The document is checked with `openapi-spec-validator`, which validates it against the
official OpenAPI 3.1 JSON Schema it ships (and checks what that schema cannot, such
as every path parameter being declared). Answers are checked with `jsonschema`
(Draft 2020-12, the dialect of OpenAPI 3.1) against the schema the document gives
their operation, status and media type, with the document's components as `$ref`
targets.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from werkzeug.routing import RequestRedirect
from werkzeug.routing.exceptions import NoMatch

import scoring.ledger
from recognition import openapi
from recognition.extensions import db
from recognition.headers import CONTENT_SECURITY_POLICY
from recognition.mentorship.models import Topic
from recognition.nominations import service as nominations_service
from recognition.tokens import SCOPES
from scoring.models import PersonProgress
from scoring.rules import load_default_document
from scoring.rulesets import live_scoring
from tests.helpers import add_person, event, sign_in, token
from tests.test_fuzz import ROUTES as FUZZ_ROUTES

NOW = "2026-11-20T12:00:00+00:00"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi.build_document()


def _api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            for method in sorted(rule.methods & METHODS):
                yield method, rule


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate_openapi(document)


def test_every_api_route_has_an_operation_and_every_operation_a_route(app, document):
    routes = {(method, openapi.openapi_path(rule.rule)) for method, rule in _api_rules(app)}
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }
    assert not sorted(routes - documented), "add an Op to recognition/openapi.py OPERATIONS"
    assert not sorted(documented - routes), "an Op in OPERATIONS names no route"


def test_each_operation_names_the_scope_its_view_asks_for(app, document):
    for method, rule in _api_rules(app):
        view = app.view_functions[rule.endpoint]
        operation = document["paths"][openapi.openapi_path(rule.rule)][method.lower()]
        needed = getattr(view, "required_scope", None)
        expected = [{openapi.SECURITY_SCHEME: [needed]}] if needed else []
        assert operation["security"] == expected, (method, rule.rule)
        if needed:
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, rule.rule)


def test_the_security_scheme_lists_exactly_the_scopes_tokens_have(document):
    scheme = document["components"]["securitySchemes"][openapi.SECURITY_SCHEME]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert set(openapi.SCOPE_TEXT) == set(SCOPES)
    for scope in SCOPES:
        assert f"`{scope}`" in scheme["description"]


def test_every_error_answer_is_problem_json(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
                    schema = response["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}


def _validator(schema: dict, document: dict) -> Draft202012Validator:
    root = {**schema, "components": document["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_valid_bodies_the_fuzz_test_sends_match_the_declared_request_schemas(app, document):
    """The fuzz test's templates are bodies each view accepts: the document must too."""
    checked = 0
    for method, rule in _api_rules(app):
        template = FUZZ_ROUTES[rule.endpoint].json
        operation = document["paths"][openapi.openapi_path(rule.rule)][method.lower()]
        assert (template is None) == ("requestBody" not in operation), (method, rule.rule)
        if template is None:
            continue
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        errors = [e.message for e in _validator(schema, document).iter_errors(template)]
        assert not errors, (method, rule.rule, errors)
        checked += 1
    assert checked >= 10


def test_the_document_is_served_without_a_token(client, document):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.get_json() == document
    assert resp.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_docs_page_loads_the_vendored_redoc_under_its_own_narrow_policy(client):
    resp = client.get("/api/docs")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'spec-url="/api/v1/openapi.json"' in html
    assert 'src="/static/redoc/redoc.standalone.js"' in html
    assert "cdn" not in html and "https://" not in html
    directives = dict(
        part.strip().split(" ", 1) for part in resp.headers["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["img-src"] == "'self' data:"
    assert directives["worker-src"] == "blob:"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    bundle = client.get("/static/redoc/redoc.standalone.js")
    assert bundle.status_code == 200
    # Nothing from a CDN: the one image Redoc would fetch from Redocly's is inline.
    assert b"cdn.redoc.ly" not in bundle.get_data()
    bundle.close()
    assert client.get("/static/redoc/LICENSE").status_code == 200


# --- real answers against the document ----------------------------------------------------


class Checker:
    """Validates answers against the document; remembers which operations it saw
    succeed, so the test can insist on every one."""

    def __init__(self, app, document):
        self.document = document
        self.adapter = app.url_map.bind("localhost")
        self.succeeded: set[tuple[str, str]] = set()
        self.statuses: set[int] = set()

    def operation(self, method: str, url: str) -> tuple[str, dict]:
        try:
            rule, _ = self.adapter.match(urlsplit(url).path, method=method, return_rule=True)
        except (NoMatch, RequestRedirect) as exc:  # pragma: no cover - a test's typo
            raise AssertionError(f"{method} {url} is no route") from exc
        path = openapi.openapi_path(rule.rule)
        return path, self.document["paths"][path][method.lower()]

    def __call__(self, resp, method: str, url: str, status: int | None = None):
        """Assert `resp` (to `method url`) is declared and matches its schema."""
        path, operation = self.operation(method, url)
        where = f"{method} {url} -> {resp.status_code}"
        if status is not None:
            assert resp.status_code == status, (where, resp.get_data(as_text=True)[:500])
        declared = operation["responses"].get(str(resp.status_code))
        assert declared is not None, f"{where}: status not in the document"
        assert resp.mimetype in declared["content"], f"{where}: {resp.mimetype} not declared"
        schema = declared["content"][resp.mimetype]["schema"]
        validator = _validator(schema, self.document)
        body = resp.get_json(force=True)
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]
        assert not errors, (where, errors[:5], body)
        self.statuses.add(resp.status_code)
        if resp.status_code < 400:
            self.succeeded.add((method, path))
        return body


def _poison_clicks(monkeypatch):
    """Scoring raises for a click x7 on X, as a rule bug would: it becomes a dead letter."""
    real = scoring.ledger.score_event

    def score_event(scorable, state, rules):
        if (scorable.type, scorable.network, scorable.count) == ("click", "x", 7):
            raise ZeroDivisionError("a rule bug that only this event meets")
        return real(scorable, state, rules)

    monkeypatch.setattr(scoring.ledger, "score_event", score_event)


def test_real_answers_of_every_operation_match_the_document(
    app, client, work, freeze_time, monkeypatch, document
):
    freeze_time(NOW)
    check = Checker(app, document)
    admin = token("admin")
    write = token("events:write", "mentorship:write", "read")
    read = token("read")
    kudos_writer = token("kudos:write", "read")
    add_person("E1", name="Ada", role="manager")
    add_person("E2", name="Grace", manager_id="E1")
    mentor = add_person("M1", name="Mona", team="marketing")
    _poison_clicks(monkeypatch)

    # the document itself
    check(client.get("/api/v1/openapi.json"), "GET", "/api/v1/openapi.json", 200)

    # events: a batch with a good item, a duplicate, a held one, a bad one and a poison one
    batch = {
        "events": [
            event("E1", NOW, id="s1", content_id="post-1"),
            event("E1", NOW, id="s1", content_id="post-1"),
            event("NEW", NOW, id="s2"),
            event("E2", NOW, id="s3", network="myspace"),
            event("E2", NOW, "click", id="s4", network="x", count=7),
            event("M1", NOW, id="s5", content_id="post-1"),
        ]
    }
    report = check(
        client.post("/api/v1/events", json=batch, headers=write), "POST", "/api/v1/events", 202
    )
    assert [r["status"] for r in report["results"]] == [
        "accepted", "duplicate", "held", "rejected", "accepted", "accepted"
    ]  # fmt: skip
    check(
        client.post("/api/v1/events", data="{", content_type="application/json", headers=write),
        "POST",
        "/api/v1/events",
        400,
    )
    work()

    # leaderboards
    url = "/api/v1/leaderboard?period=week&around=E1"
    board = check(client.get(url, headers=read), "GET", url, 200)
    assert board["entries"] and board["around"]
    url = "/api/v1/leaderboard?period=fortnight"
    check(client.get(url, headers=read), "GET", url, 422)
    url = "/api/v1/leaderboard?team=nope"
    check(client.get(url, headers=read), "GET", url, 404)
    check(client.get("/api/v1/leaderboard"), "GET", "/api/v1/leaderboard", 401)
    only_kudos = token("kudos:write")
    check(client.get("/api/v1/leaderboard", headers=only_kudos), "GET", "/api/v1/leaderboard", 403)

    # directory
    directory = token("directory:write")
    body = {"email": "e3@example.com", "name": "Linus", "team": "Support", "manager_id": "E1"}
    url = "/api/v1/employees/E3"
    check(client.put(url, json=body, headers=directory), "PUT", url, 201)
    check(client.put(url, json={**body, "role": "admin"}, headers=directory), "PUT", url, 200)
    check(client.put(url, json={"email": "nope"}, headers=directory), "PUT", url, 422)
    check(client.put(url, json={"name": "X"}, headers=read), "PUT", url, 403)
    url = "/api/v1/employees/E1"
    person = check(client.get(url, headers=read), "GET", url, 200)
    assert person["periods"]["week"]["points"] == 10
    check(client.get("/api/v1/employees/NOPE", headers=read), "GET", "/api/v1/employees/NOPE", 404)

    # achievements
    url = "/api/v1/employees/E1/badges"
    assert check(client.get(url, headers=read), "GET", url, 200)["earned"]
    url = "/api/v1/employees/E1/notifications?unread=1"
    assert check(client.get(url, headers=read), "GET", url, 200)["items"]
    award_url = "/api/v1/admin/badges/award"
    award = {"employee_id": "E2", "badge": "recognised-advocate"}
    awarded = check(client.post(award_url, json=award, headers=admin), "POST", award_url, 201)
    bad = {"employee_id": "E2", "badge": "no-such-badge"}
    check(client.post(award_url, json=bad, headers=admin), "POST", award_url, 422)
    url = f"/api/v1/badges/assertions/{awarded['assertion_id']}"
    credential = check(client.get(url), "GET", url, 200)
    assert "OpenBadgeCredential" in credential["type"]
    revoke = f"{url}/revoke".replace("/badges/", "/admin/badges/", 1)
    check(client.post(revoke, json={"reason": "by mistake"}, headers=admin), "POST", revoke, 200)
    gone = check(client.get(url), "GET", url, 410)
    assert gone["reason"] == "by mistake"

    # admin: rulesets, re-score, jobs, dead letters
    url = "/api/v1/admin/rulesets?note=same+again"
    check(client.post(url, json=load_default_document(), headers=admin), "POST", url, 201)
    check(client.post(url, json={"points": "many"}, headers=admin), "POST", url, 422)
    url = "/api/v1/admin/rescore"
    job = check(client.post(url, json={"ruleset": 1}, headers=admin), "POST", url, 202)
    check(client.post(url, json={"ruleset": 999}, headers=admin), "POST", url, 422)
    work()
    url = f"/api/v1/admin/jobs/{job['job_id']}"
    assert check(client.get(url, headers=admin), "GET", url, 200)["status"] == "finished"
    check(client.get("/api/v1/admin/jobs/nope", headers=admin), "GET", url, 404)
    url = "/api/v1/admin/dead-letters"
    dead = check(client.get(url, headers=admin), "GET", url, 200)
    assert dead["total"] == 1
    url = f"/api/v1/admin/dead-letters/{dead['items'][0]['id']}/retry"
    check(client.post(url, headers=admin), "POST", url, 202)
    url = "/api/v1/admin/dead-letters/999/retry"
    check(client.post(url, headers=admin), "POST", url, 404)

    # kudos
    url = "/api/v1/kudos"
    give = {
        "giver_id": "E2",
        "receiver_ids": ["E1"],
        "message": "Thanks for the post!",
        "points": 5,
    }
    give_event = {**give, "event": {"source": "test-sync", "id": "s1"}}
    keyed = {**kudos_writer, "Idempotency-Key": "chat-1"}
    kudos = check(client.post(url, json=give_event, headers=keyed), "POST", url, 201)
    assert kudos["event"] == {"source": "test-sync", "id": "s1"}
    check(client.post(url, json=give_event, headers=keyed), "POST", url, 200)
    check(client.post(url, json={**give, "points": 6}, headers=keyed), "POST", url, 409)
    check(
        client.post(url, json={**give, "receiver_ids": ["E2"]}, headers=kudos_writer),
        "POST",
        url,
        422,
    )
    url = "/api/v1/kudos?employee_id=E1&direction=received&limit=1"
    page = check(client.get(url, headers=read), "GET", url, 200)
    assert page["items"][0]["id"] == kudos["id"]
    url = "/api/v1/kudos?limit=0"
    check(client.get(url, headers=read), "GET", url, 422)
    url = f"/api/v1/kudos/{kudos['id']}/reactions"
    check(client.post(url, json={"employee_id": "E3"}, headers=kudos_writer), "POST", url, 200)
    check(client.delete(url, json={"employee_id": "E3"}, headers=kudos_writer), "DELETE", url, 200)
    check(client.post(url, json={}, headers=kudos_writer), "POST", url, 422)
    url = "/api/v1/kudos/999/reactions"
    check(client.post(url, json={"employee_id": "E3"}, headers=kudos_writer), "POST", url, 404)
    url = f"/api/v1/kudos/{kudos['id']}/comments"
    said = {"employee_id": "E1", "message": "So deserved"}
    check(client.post(url, json=said, headers=kudos_writer), "POST", url, 201)
    check(client.post(url, json={**said, "message": " "}, headers=kudos_writer), "POST", url, 422)
    listed = check(client.get(url, headers=read), "GET", url, 200)
    assert [c["message"] for c in listed["items"]] == ["So deserved"]
    url = "/api/v1/employees/E2/allowance"
    assert check(client.get(url, headers=read), "GET", url, 200)["given"] == 5
    # All of E2's month to one person: the fairness review flags it.
    more = {**give, "points": 40}
    check(
        client.post("/api/v1/kudos", json=more, headers=kudos_writer), "POST", "/api/v1/kudos", 201
    )
    url = "/api/v1/admin/kudos/flags"
    flags = check(client.get(url, headers=admin), "GET", url, 200)
    url = f"/api/v1/admin/kudos/{kudos['id']}/reverse"
    reversed_ = check(client.post(url, json={"reason": "test"}, headers=admin), "POST", url, 200)
    assert reversed_["reversed"] is True
    check(client.post(url, json={"reason": "again"}, headers=admin), "POST", url, 409)
    assert flags["items"], "the review flags E2's month"

    # mentorship
    db.session.add(Topic(name="Video"))
    # Mona may mentor: her tier (she shared once) raised to the default minimum.
    db.session.get(PersonProgress, (live_scoring().generation, mentor.id)).tier = "influencer"
    db.session.commit()
    url = "/api/v1/content/post-1"
    content = {"title": "A video", "url": "https://example.com/v", "topics": ["Video"]}
    check(client.put(url, json=content, headers=write), "PUT", url, 201)
    check(client.put(url, json=content, headers=write), "PUT", url, 200)
    check(client.put(url, json={"title": ""}, headers=write), "PUT", url, 422)
    url = "/api/v1/mentorship/profile?employee_id=M1"
    offer = {"offer": {"topics": ["Video"], "capacity": 2}}
    check(client.put(url, json=offer, headers=write), "PUT", url, 200)
    url = "/api/v1/mentorship/profile?employee_id=E2"
    check(
        client.put(url, json={"ask": {"topics": ["Video"], "goal": "grow"}}, headers=write),
        "PUT",
        url,
        200,
    )
    check(client.put(url, json=offer, headers=write), "PUT", url, 403)
    shown = check(client.get(url, headers=read), "GET", url, 200)
    assert shown["ask"]["topics"] == ["Video"]
    check(client.get("/api/v1/mentorship/profile", headers=read), "GET", url, 422)
    url = "/api/v1/mentorship/runs"
    queued = check(client.post(url, json={"mode": "best_fit"}, headers=admin), "POST", url, 202)
    check(client.post(url, json={"mode": "fastest"}, headers=admin), "POST", url, 422)
    work()
    url = f"/api/v1/mentorship/runs/{queued['run_id']}"
    draft = check(client.get(url, headers=admin), "GET", url, 200)
    assert draft["state"] == "draft" and draft["pairs"], draft
    check(client.get("/api/v1/mentorship/runs/999", headers=admin), "GET", url, 404)
    url = f"/api/v1/mentorship/runs/{queued['run_id']}/publish"
    check(client.post(url, headers=admin), "POST", url, 200)
    check(client.post(url, headers=admin), "POST", url, 409)
    url = "/api/v1/mentorship/pairs?employee_id=E2&state=proposed"
    (pair,) = check(client.get(url, headers=read), "GET", url, 200)["pairs"]
    url = f"/api/v1/mentorship/pairs/{pair['id']}/accept"
    moved = check(client.post(url, json={"employee_id": "M1"}, headers=write), "POST", url, 200)
    assert moved["state"] == "accepted"
    check(client.post(url, json={"employee_id": "M1"}, headers=write), "POST", url, 409)

    # nominations: a two-step chain, a decline and a withdrawal
    add_person("NA", name="Nia", role="admin")
    add_person("NS", name="Sol", role="manager")
    add_person("NM", name="Max", role="manager", manager_id="NS")
    for ref, name in (("NE", "Eli"), ("NF", "Fay"), ("NG", "Gus")):
        add_person(ref, name=name, manager_id="NM")
    nominations_service.save_category(
        {
            "name": "Advocate of the month",
            "period": "month",
            "badge": "recognised-advocate",
            "bonus_points": 100,
            "who_may_nominate": "reports",
            "steps": [{"decider": "second_line_manager"}, {"decider": "admin"}],
        }
    )
    submit, decide = token("nominations:write"), token("nominations:decide")
    reason = "Ran the launch week posts and brought in three new advocates."

    def nominate(nominee: str) -> dict:
        body = {
            "nominator_id": "NM",
            "nominee_id": nominee,
            "category": "advocate-of-the-month",
            "period": "2026-11",
            "reason": reason,
        }
        url = "/api/v1/nominations"
        return check(client.post(url, json=body, headers=submit), "POST", url, 201)

    first, second, third = nominate("NE"), nominate("NF"), nominate("NG")
    url = "/api/v1/nominations"
    check(client.post(url, json={"nominator_id": "NM"}, headers=submit), "POST", url, 422)
    url = f"/api/v1/nominations/{first['id']}/approve"
    check(client.post(url, json={"actor_id": "NS", "step": 1}, headers=decide), "POST", url, 200)
    check(client.post(url, json={"actor_id": "NE", "step": 2}, headers=decide), "POST", url, 403)
    done = check(
        client.post(url, json={"actor_id": "NA", "step": 2}, headers=decide), "POST", url, 200
    )
    assert done["status"] == "approved"
    url = f"/api/v1/nominations/{second['id']}/decline"
    declined = {"actor_id": "NS", "step": 1, "reason": "Not this month."}
    check(client.post(url, json=declined, headers=decide), "POST", url, 200)
    url = f"/api/v1/nominations/{third['id']}/withdraw"
    check(client.post(url, json={"actor_id": "NM"}, headers=decide), "POST", url, 200)
    again = check(client.post(url, json={"actor_id": "NM"}, headers=decide), "POST", url, 200)
    assert again["status"] == "withdrawn"
    url = f"/api/v1/nominations/{third['id']}/approve"
    check(client.post(url, json={"actor_id": "NS", "step": 1}, headers=decide), "POST", url, 409)
    url = f"/api/v1/nominations/{first['id']}"
    shown = check(client.get(url, headers=read), "GET", url, 200)
    assert [t["to"] for t in shown["timeline"]] == ["submitted", "in_review", "approved"]
    check(client.get("/api/v1/nominations/999", headers=read), "GET", url, 404)
    url = "/api/v1/nominations?status=approved&period=2026-11"
    listed = check(client.get(url, headers=read), "GET", url, 200)
    assert [n["id"] for n in listed["items"]] == [first["id"]]
    url = "/api/v1/recognition-wall?period=2026-11"
    wall = check(client.get(url, headers=read), "GET", url, 200)
    assert [w["nominee_id"] for w in wall["items"]] == ["NE"]

    missing = {
        (op.method, openapi.openapi_path(op.rule)) for op in openapi.OPERATIONS
    } - check.succeeded
    assert not missing, f"add a real successful answer of these to this test: {sorted(missing)}"
    assert {400, 401, 403, 404, 409, 410, 422} <= check.statuses


def test_the_tokens_page_links_the_api_reference(client, freeze_time):
    freeze_time(NOW)
    sign_in(client, add_person("A1", role="admin"))
    html = client.get("/admin/tokens").get_data(as_text=True)
    assert '<a href="/api/docs">API reference</a>' in html
