"""The kudos JSON API: give, list, react, the allowance, admin reversal and flags."""

from __future__ import annotations

import pytest

from tests.helpers import add_person, token

NOW = "2026-03-10T12:00:00+00:00"


@pytest.fixture
def org(app, freeze_time):
    freeze_time(NOW)
    for ref in ("E1", "E2", "E3"):
        add_person(ref)
    return {
        "write": token("kudos:write", "read"),
        "read": token("read"),
        "admin": token("admin"),
    }


def _give(client, headers, **body):
    payload = {"giver_id": "E1", "receiver_ids": ["E2"], "message": "Thanks for the post!"}
    payload.update(body)
    return client.post("/api/v1/kudos", json=payload, headers=headers)


def test_give_answers_201_with_the_kudos(client, org):
    r = _give(client, org["write"], points=10, value="teamwork", receiver_ids=["E2", "E3"])
    assert r.status_code == 201
    body = r.get_json()
    assert set(body) >= {
        "id",
        "giver",
        "receivers",
        "message",
        "value",
        "points",
        "created_at",
        "reactions",
    }
    assert body["giver"]["employee_id"] == "E1"
    assert [p["employee_id"] for p in body["receivers"]] == ["E2", "E3"]
    assert (body["points"], body["value"], body["reactions"]) == (10, "teamwork", 0)
    allowance = client.get("/api/v1/employees/E1/allowance", headers=org["read"]).get_json()
    assert allowance == {
        "month": "2026-03",
        "allowance": 100,
        "given": 20,
        "left": 80,
        "resets_at": "2026-04-01T00:00:00+00:00",
    }


def test_broken_rules_name_field_and_rule(client, org):
    _give(client, org["write"], points=40, receiver_ids=["E2"])
    _give(client, org["write"], points=40, receiver_ids=["E3"])
    r = _give(client, org["write"], points=30, receiver_ids=["E3"])
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["errors"]["points"][0] == "allowance left: 20"
    r = _give(client, org["write"], receiver_ids=["E1"])
    assert r.get_json()["errors"] == {"receiver_ids": ["no kudos to yourself"]}
    r = _give(client, org["write"], receiver_ids=["NOPE"])
    assert r.get_json()["errors"] == {"receiver_ids": ["unknown employee 'NOPE'"]}
    r = _give(client, org["write"], giver_id="NOPE")
    assert r.status_code == 422 and "giver_id" in r.get_json()["errors"]
    r = _give(client, org["write"], points="ten")
    assert r.status_code == 422 and "points" in r.get_json()["errors"]
    r = _give(client, org["write"], event={"source": "x", "id": "y"})
    assert r.get_json()["errors"] == {"event": ["no such event"]}


def test_idempotency_key(client, org):
    headers = {**org["write"], "Idempotency-Key": "abc-1"}
    first = _give(client, headers, points=5)
    again = _give(client, headers, points=5)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    other = _give(client, headers, points=6)
    assert other.status_code == 409
    assert "idempotency_key" in other.get_json()["errors"]
    listed = client.get("/api/v1/kudos", headers=org["read"]).get_json()["items"]
    assert len(listed) == 1


def test_list_newest_first_with_cursor(client, org):
    ids = [
        _give(client, org["write"], message=f"Thanks number {i}!").get_json()["id"]
        for i in range(5)
    ]
    page = client.get("/api/v1/kudos?limit=2", headers=org["read"]).get_json()
    assert [k["id"] for k in page["items"]] == ids[:-3:-1]
    seen = [k["id"] for k in page["items"]]
    while page["next_cursor"]:
        page = client.get(
            f"/api/v1/kudos?limit=2&cursor={page['next_cursor']}", headers=org["read"]
        ).get_json()
        seen += [k["id"] for k in page["items"]]
    assert seen == ids[::-1]
    given = client.get(
        "/api/v1/kudos?employee_id=E2&direction=given", headers=org["read"]
    ).get_json()
    assert given["items"] == []
    received = client.get("/api/v1/kudos?employee_id=E2", headers=org["read"]).get_json()
    assert len(received["items"]) == 5
    team = client.get("/api/v1/kudos?team=sales&limit=1", headers=org["read"]).get_json()
    assert len(team["items"]) == 1 and team["next_cursor"]
    assert client.get("/api/v1/kudos?cursor=x", headers=org["read"]).status_code == 422
    assert client.get("/api/v1/kudos?team=nope", headers=org["read"]).status_code == 404


def test_reactions_once_per_person(client, org):
    kudos_id = _give(client, org["write"]).get_json()["id"]
    url = f"/api/v1/kudos/{kudos_id}/reactions"
    for _ in range(2):
        r = client.post(url, json={"employee_id": "E3"}, headers=org["write"])
        assert r.get_json() == {"id": kudos_id, "reactions": 1}
    r = client.delete(url, json={"employee_id": "E3"}, headers=org["write"])
    assert r.get_json()["reactions"] == 0
    r = client.post("/api/v1/kudos/999/reactions", json={"employee_id": "E3"}, headers=org["write"])
    assert r.status_code == 404


def test_admin_reverse_and_flags(client, org):
    kudos_id = _give(client, org["write"], points=50).get_json()["id"]
    flags = client.get("/api/v1/admin/kudos/flags", headers=org["admin"]).get_json()["items"]
    assert [(f["kind"], f["giver"]["employee_id"]) for f in flags] == [("concentration", "E1")]
    url = f"/api/v1/admin/kudos/{kudos_id}/reverse"
    r = client.post(url, json={"reason": "test"}, headers=org["write"])
    assert r.status_code == 403
    r = client.post(url, json={"reason": "points traded"}, headers=org["admin"])
    assert r.status_code == 200 and r.get_json()["reversed"] is True
    assert client.post(url, json={"reason": "again"}, headers=org["admin"]).status_code == 409
    flags = client.get("/api/v1/admin/kudos/flags", headers=org["admin"]).get_json()["items"]
    assert flags == []
    person = client.get("/api/v1/employees/E2", headers=org["read"]).get_json()
    assert person["periods"]["all"]["points"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "post",
            "/api/v1/kudos",
            {"giver_id": "E1", "receiver_ids": ["E2"], "message": "Thanks a lot!"},
        ),
        ("post", "/api/v1/kudos/1/reactions", {"employee_id": "E3"}),
        ("delete", "/api/v1/kudos/1/reactions", {"employee_id": "E3"}),
        ("post", "/api/v1/kudos/1/comments", {"employee_id": "E3", "message": "Yes!"}),
        ("post", "/api/v1/admin/kudos/1/reverse", {"reason": "nope"}),
    ],
)
def test_every_write_needs_its_scope(client, org, method, path, body):
    _give(client, org["write"])
    call = getattr(client, method)
    assert call(path, json=body).status_code == 401
    assert call(path, json=body, headers=org["read"]).status_code == 403
    if "admin" in path:
        assert call(path, json=body, headers=org["write"]).status_code == 403
        assert call(path, json=body, headers=org["admin"]).status_code == 200
    else:
        assert call(path, json=body, headers=org["write"]).status_code in (200, 201)


def test_reads_need_a_token(client, org):
    for path in (
        "/api/v1/kudos",
        "/api/v1/kudos/1/comments",
        "/api/v1/employees/E1/allowance",
        "/api/v1/admin/kudos/flags",
    ):
        assert client.get(path).status_code == 401
    assert client.get("/api/v1/admin/kudos/flags", headers=org["read"]).status_code == 403


def test_comments_one_level_with_the_text_rules(client, org):
    kudos_id = _give(client, org["write"]).get_json()["id"]
    url = f"/api/v1/kudos/{kudos_id}/comments"
    r = client.post(
        url, json={"employee_id": "E3", "message": "  Well deserved  "}, headers=org["write"]
    )
    assert r.status_code == 201
    body = r.get_json()
    assert (body["kudos_id"], body["message"], body["author"]["employee_id"]) == (
        kudos_id,
        "Well deserved",
        "E3",
    )
    for message, rule in (("   ", "write something"), ("x" * 501, "at most 500 characters")):
        r = client.post(url, json={"employee_id": "E3", "message": message}, headers=org["write"])
        assert r.status_code == 422 and r.get_json()["errors"] == {"message": [rule]}
    r = client.post(url, json={"employee_id": "NOPE", "message": "Hi"}, headers=org["write"])
    assert r.status_code == 422 and "employee_id" in r.get_json()["errors"]
    r = client.post(
        url, json={"employee_id": "E3", "message": "Hi", "parent": 1}, headers=org["write"]
    )
    assert r.status_code == 422  # one level: a comment has no parent
    listed = client.get(url, headers=org["read"]).get_json()
    assert [c["message"] for c in listed["items"]] == ["Well deserved"]
    feed = client.get("/api/v1/kudos", headers=org["read"]).get_json()
    assert feed["items"][0]["comments"] == 1
    assert client.get("/api/v1/kudos/999/comments", headers=org["read"]).status_code == 404
    r = client.post(
        "/api/v1/kudos/999/comments",
        json={"employee_id": "E3", "message": "Hi"},
        headers=org["write"],
    )
    assert r.status_code == 404
    client.post(
        f"/api/v1/admin/kudos/{kudos_id}/reverse", json={"reason": "dup"}, headers=org["admin"]
    )
    r = client.post(url, json={"employee_id": "E3", "message": "Hi"}, headers=org["write"])
    assert r.status_code == 409
