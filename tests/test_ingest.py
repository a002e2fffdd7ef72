"""POST /api/v1/events: the ingestion contract."""

from __future__ import annotations

from sqlalchemy import func, select

from recognition.extensions import db
from scoring.models import Event, PointAward
from tests.helpers import add_person, event, token

NOW = "2026-11-20T12:00:00+00:00"


def post(client, headers, body):
    return client.post("/api/v1/events", json=body, headers=headers)


def stored_events() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def ledger_points() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(PointAward.points), 0)))


def test_single_event_is_accepted_with_results(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    resp = post(client, token(), event("E1", "2026-11-20T09:30:00+01:00", id="abc-123"))
    assert resp.status_code == 202
    assert resp.json == {
        "accepted": 1,
        "duplicates": 0,
        "held": 0,
        "conflicts": 0,
        "rejected": 0,
        "results": [{"index": 0, "status": "accepted"}],
    }


def test_duplicate_delivery_scores_once(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    body = {"events": [event("E1", "2026-11-20T09:30:00+01:00", id="abc-123")]}
    assert post(client, headers, body).json["accepted"] == 1
    work()
    again = post(client, headers, body).json
    assert again["duplicates"] == 1 and again["results"][0]["status"] == "duplicate"
    # The same instant written with another offset is the same payload.
    same = dict(body["events"][0], occurred_at="2026-11-20T08:30:00Z")
    assert post(client, headers, same).json["results"][0]["status"] == "duplicate"
    work()
    assert stored_events() == 1
    assert ledger_points() == 10
    board = client.get("/api/v1/leaderboard?period=all", headers=headers).json
    assert [e["points"] for e in board["entries"]] == [10]


def test_conflicting_duplicate_is_rejected_and_not_stored(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(client, headers, event("E1", "2026-11-20T09:30:00+01:00", id="abc-123"))
    changed = event("E1", "2026-11-20T09:30:00+01:00", id="abc-123", type_="comment")
    result = post(client, headers, changed).json
    assert result["conflicts"] == 1
    assert result["results"][0]["status"] == "conflict"
    assert "id" in result["results"][0]["errors"]
    work()
    assert stored_events() == 1
    assert db.session.scalar(select(Event.type)) == "share"


def test_same_id_from_another_source_is_a_different_event(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    first = event("E1", "2026-11-20T09:30:00+01:00", id="abc-123")
    post(client, headers, first)
    result = post(client, token(source="other-sync"), dict(first, source="other-sync")).json
    assert result["accepted"] == 1 and stored_events() == 2


def test_batch_with_bad_items_stores_the_good_ones(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    batch = [
        event("E1", "2026-11-20T09:00:00+00:00"),
        event("E1", "2026-11-20T12:06:00+00:00"),  # 6 minutes in the future
        event("E1", "2026-11-20T09:00:00+00:00", type_="poke"),
        event("E1", "2026-11-20T09:00:00"),  # no time zone
        {"id": "x", "type": "share"},  # missing fields
        event("E1", "2026-11-20T09:00:00+00:00", count="3"),  # wrong type
        event("E1", "2026-11-20T09:00:00+00:00", network="myspace"),
        "not an object",
        event("E1", "2026-11-20T12:04:00+00:00", type_="like", count=4),  # 4 min ahead: fine
    ]
    resp = post(client, headers, {"events": batch})
    assert resp.status_code == 202
    body = resp.json
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["accepted"] + ["rejected"] * 7 + ["accepted"]
    assert [r["index"] for r in body["results"]] == list(range(9))
    errors = [r.get("errors", {}) for r in body["results"]]
    assert "occurred_at" in errors[1]
    assert "type" in errors[2]
    assert "occurred_at" in errors[3]
    assert {"employee_id", "network", "occurred_at"} <= set(errors[4])
    assert "count" in errors[5]
    assert "network" in errors[6]
    assert "_schema" in errors[7]
    assert (body["accepted"], body["rejected"]) == (2, 7)
    work()
    assert stored_events() == 2 and ledger_points() == 14


def test_repeated_key_within_one_batch(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    one = event("E1", "2026-11-20T09:00:00+00:00", id="k1")
    other = dict(one, type="like")
    body = post(client, token(), {"events": [one, one, other]}).json
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate", "conflict"]
    assert stored_events() == 1


def test_unknown_employee_is_held_not_dropped(client, work, freeze_time):
    freeze_time(NOW)
    body = post(client, token(), event("NOBODY", "2026-11-20T09:00:00+00:00")).json
    assert body["held"] == 1 and body["results"][0]["status"] == "held"
    work()
    assert stored_events() == 1 and ledger_points() == 0


def test_envelope_errors_store_nothing(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    not_json = client.post(
        "/api/v1/events", data="{nope", headers=headers, content_type="application/json"
    )
    assert not_json.status_code == 400
    assert not_json.mimetype == "application/problem+json"
    assert not_json.json["status"] == 400
    for body, status in (([event("E1", NOW)], 422), ({"events": "x"}, 422), ("hello", 422)):
        resp = post(client, headers, body)
        assert resp.status_code == status, body
        assert resp.mimetype == "application/problem+json"
        assert resp.json["title"]
    too_many = {"events": [event("E1", "2026-11-20T09:00:00+00:00") for _ in range(1001)]}
    resp = post(client, headers, too_many)
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"
    assert stored_events() == 0


def test_a_full_batch_of_1000_is_accepted(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    batch = [event("E1", "2026-11-20T09:00:00+00:00", type_="click") for _ in range(1000)]
    body = post(client, token(), {"events": batch}).json
    assert body["accepted"] == 1000
    work()
    assert ledger_points() == 100  # the engagement cap


def test_token_scopes_are_enforced(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    one = event("E1", "2026-11-20T09:00:00+00:00")
    missing = post(client, {}, one)
    assert missing.status_code == 401 and missing.mimetype == "application/problem+json"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert post(client, {"Authorization": "Bearer lrl_wrong"}, one).status_code == 401
    assert post(client, token("read"), one).status_code == 403
    assert client.get("/api/v1/leaderboard", headers=token("events:write")).status_code == 403
    assert client.get("/api/v1/leaderboard", headers=token("read")).status_code == 200
    assert client.get("/api/v1/leaderboard").status_code == 401
    assert client.get("/api/v1/employees/E1", headers=token("events:write")).status_code == 403
    put = client.put("/api/v1/employees/E2", json={}, headers=token("events:write", "read"))
    assert put.status_code == 403
    assert post(client, token("admin"), one).status_code == 202


def test_event_source_defaults_to_the_tokens(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    post(client, token(source="linkedin-sync"), event("E1", "2026-11-20T09:00:00+00:00"))
    assert db.session.scalar(select(Event.source)) == "linkedin-sync"


def test_revoked_token_is_refused(client, runner, freeze_time):
    freeze_time(NOW)
    result = runner.invoke(
        args=["laurel", "create-token", "--source", "crm", "--scope", "events:write"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {secret}"}
    one = event("E1", "2026-11-20T09:00:00+00:00")
    assert post(client, headers, one).status_code == 202
    from recognition.tokens import ApiToken, hash_token

    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == hash_token(secret) and secret not in stored.token_hash
    revoked = runner.invoke(args=["laurel", "revoke-token", stored.prefix])
    assert revoked.exit_code == 0, revoked.output
    assert post(client, headers, one).status_code == 401


def test_create_token_refuses_unknown_scope(runner):
    result = runner.invoke(args=["laurel", "create-token", "--source", "crm", "--scope", "root"])
    assert result.exit_code != 0 and "unknown scope" in result.output


def test_resends_in_different_orders_at_once_never_fail(app, freeze_time):
    """Integrations re-send overlapping batches in their own order. On PostgreSQL,
    inserting the same keys in different orders deadlocked (a 500 in 7 of 100
    requests); in one order, one request waits for the other instead."""
    import random
    import threading

    freeze_time(NOW)
    add_person("E1")
    headers = token()
    keys = [f"k{n}" for n in range(60)]
    statuses: list[int] = []
    sent: set[str] = set()
    barrier = threading.Barrier(6)

    def resend(seed: int) -> None:
        rng = random.Random(seed)
        client = app.test_client()
        barrier.wait()
        for _ in range(4):
            batch = rng.sample(keys, 40)
            sent.update(batch)
            items = [event("E1", "2026-11-20T09:00:00+00:00", "like", id=k) for k in batch]
            resp = client.post("/api/v1/events", json={"events": items}, headers=headers)
            statuses.append(resp.status_code)

    threads = [threading.Thread(target=resend, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert statuses == [202] * 24
    ids = db.session.scalars(select(Event.external_id)).all()
    assert sorted(ids) == sorted(sent)  # each key once
