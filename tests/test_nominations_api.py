"""The nominations API: shapes, problem+json naming the rule, and who may do what."""

from __future__ import annotations

import pytest

from recognition.nominations import service
from scoring.rulesets import ensure_scoring_setup
from tests.helpers import add_person, token

NOW = "2026-11-20T12:00:00+00:00"
REASON = "Ran the launch week posts and brought in three new advocates."


@pytest.fixture
def org(app, freeze_time):
    freeze_time(NOW)
    ensure_scoring_setup()
    people = {
        "ada": add_person("A1", name="Ada", role="admin"),
        "sam": add_person("S1", name="Sam", role="manager"),
    }
    people["mia"] = add_person("M1", name="Mia", role="manager", manager_id="S1")
    people["eve"] = add_person("E1", name="Eve", manager_id="M1")
    people["cal"] = add_person("E2", name="Cal", manager_id="M1")
    service.save_category(
        {
            "name": "Advocate of the month",
            "period": "month",
            "badge": "recognised-advocate",
            "bonus_points": 100,
            "who_may_nominate": "reports",
            "steps": [{"decider": "second_line_manager"}, {"decider": "admin"}],
        }
    )
    return people


def body(**extra) -> dict:
    return {
        "nominator_id": "M1",
        "nominee_id": "E1",
        "category": "advocate-of-the-month",
        "period": "2026-11",
        "reason": REASON,
        **extra,
    }


def test_submit_answers_201_with_evidence_then_decide_through_the_chain(client, org):
    write = token("nominations:write")
    resp = client.post("/api/v1/nominations", json=body(), headers=write)
    assert resp.status_code == 201, resp.json
    created = resp.json
    assert (created["status"], created["step"], created["steps"]) == ("submitted", 1, 2)
    assert created["evidence"]["period"] == "2026-11" and "kudos" in created["evidence"]
    assert created["timeline"][0]["to"] == "submitted"
    decide = token("nominations:decide")
    url = f"/api/v1/nominations/{created['id']}"
    first = client.post(f"{url}/approve", json={"actor_id": "S1"}, headers=decide)
    assert first.status_code == 200 and (first.json["status"], first.json["step"]) == (
        "in_review",
        2,
    )
    done = client.post(f"{url}/approve", json={"actor_id": "A1", "step": 2}, headers=decide)
    assert done.json["status"] == "approved"
    again = client.post(f"{url}/approve", json={"actor_id": "A1", "step": 2}, headers=decide)
    assert again.status_code == 200 and again.json == done.json
    read = token("read")
    got = client.get(url, headers=read).json
    assert [t["to"] for t in got["timeline"]] == ["submitted", "in_review", "approved"]
    assert [t["by"] for t in got["timeline"]] == ["M1", "S1", "A1"]
    listed = client.get("/api/v1/nominations?status=approved&nominee_id=E1", headers=read).json
    assert [n["id"] for n in listed["items"]] == [created["id"]]
    wall = client.get("/api/v1/recognition-wall?period=2026-11", headers=read).json
    assert wall["items"][0]["nominee_id"] == "E1" and wall["items"][0]["reason"] is None


def test_errors_are_problem_json_naming_the_rule(client, org):
    write = token("nominations:write")
    resp = client.post("/api/v1/nominations", json=body(nominee_id="M1"), headers=write)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.json["errors"]["nominee_id"] == ["you cannot nominate yourself"]
    short = client.post("/api/v1/nominations", json=body(reason="too short"), headers=write)
    assert "20 to 2,000" in short.json["errors"]["reason"][0]
    unknown = client.post("/api/v1/nominations", json=body(nominee_id="NOPE"), headers=write)
    assert unknown.json["errors"]["nominee_id"] == ["unknown employee 'NOPE'"]
    assert client.post("/api/v1/nominations", json=body(), headers=write).status_code == 201
    dup = client.post("/api/v1/nominations", json=body(), headers=write)
    assert dup.status_code == 409 and "already nominated" in dup.json["errors"]["nominee_id"][0]
    extra = client.post("/api/v1/nominations", json=body(points=5), headers=write)
    assert extra.status_code == 422 and "points" in extra.json["errors"]


def test_decline_needs_a_reason_over_the_api(client, org):
    n, _ = service.nominate(
        service.NominateRequest(
            org["mia"].id, org["eve"].id, "advocate-of-the-month", "2026-11", REASON
        )
    )
    decide = token("nominations:decide")
    url = f"/api/v1/nominations/{n.id}/decline"
    blank = client.post(url, json={"actor_id": "S1", "reason": " "}, headers=decide)
    assert blank.status_code == 422 and blank.json["errors"]["reason"] == [
        "a decline needs a reason"
    ]
    ok = client.post(url, json={"actor_id": "S1", "reason": "Next time."}, headers=decide)
    assert ok.json["status"] == "declined" and ok.json["decline_reason"] == "Next time."


def test_idempotency_key_returns_the_same_nomination(client, org):
    headers = {**token("nominations:write"), "Idempotency-Key": "abc"}
    first = client.post("/api/v1/nominations", json=body(), headers=headers)
    again = client.post("/api/v1/nominations", json=body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]


WRITES = [
    ("post", "/api/v1/nominations", "nominations:write", lambda n: body(nominee_id="E2")),
    (
        "post",
        "/api/v1/nominations/{id}/approve",
        "nominations:decide",
        lambda n: {"actor_id": "S1"},
    ),
    (
        "post",
        "/api/v1/nominations/{id}/decline",
        "nominations:decide",
        lambda n: {"actor_id": "S1", "reason": "Not now."},
    ),
    (
        "post",
        "/api/v1/nominations/{id}/withdraw",
        "nominations:decide",
        lambda n: {"actor_id": "M1"},
    ),
]


@pytest.mark.parametrize(("method", "path", "scope", "make"), WRITES)
@pytest.mark.parametrize(
    "scopes", [None, ("read",), ("kudos:write",), ("events:write", "read"), "own", ("admin",)]
)
def test_every_write_needs_its_scope(client, org, method, path, scope, make, scopes):
    n, _ = service.nominate(
        service.NominateRequest(
            org["mia"].id, org["eve"].id, "advocate-of-the-month", "2026-11", REASON
        )
    )
    headers = {}
    if scopes == "own":
        headers = token(scope)
    elif scopes is not None:
        headers = token(*scopes)
    resp = client.open(path.format(id=n.id), method=method, json=make(n), headers=headers)
    if scopes is None:
        assert resp.status_code == 401
    elif scopes in ("own", ("admin",)):
        assert resp.status_code in (200, 201), resp.json
    else:
        assert resp.status_code == 403 and resp.json["detail"].endswith(f"{scope!r}.")


@pytest.mark.parametrize(
    ("actor", "status"),
    [("M1", 403), ("E1", 403), ("E2", 403), ("A1", 403), ("S1", 200)],
)
def test_a_decide_token_still_acts_with_the_named_persons_rights(client, org, actor, status):
    n, _ = service.nominate(
        service.NominateRequest(
            org["mia"].id, org["eve"].id, "advocate-of-the-month", "2026-11", REASON
        )
    )
    resp = client.post(
        f"/api/v1/nominations/{n.id}/approve",
        json={"actor_id": actor},
        headers=token("nominations:decide"),
    )
    assert resp.status_code == status, resp.json
    if status == 403:
        assert resp.mimetype == "application/problem+json" and "actor_id" in resp.json["errors"]


def test_reads_need_the_read_scope_and_unknown_ids_are_404(client, org):
    assert client.get("/api/v1/nominations").status_code == 401
    assert client.get("/api/v1/nominations", headers=token("kudos:write")).status_code == 403
    read = token("read")
    assert client.get("/api/v1/nominations/999", headers=read).status_code == 404
    assert client.get("/api/v1/nominations?status=nope", headers=read).status_code == 422
    assert client.get("/api/v1/nominations?nominee_id=NOPE", headers=read).status_code == 404
    assert client.get("/api/v1/recognition-wall", headers=read).json == {"items": []}
