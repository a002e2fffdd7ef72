"""Who the API lets in and what it shows them: tokens, scopes, privacy."""

from __future__ import annotations

from recognition.extensions import db
from recognition.tokens import create_token
from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"


def test_the_bearer_scheme_is_case_insensitive(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    _, secret = create_token("test-sync", ["read"])
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"]:
        resp = client.get("/api/v1/employees/E1", headers={"Authorization": f"{scheme} {secret}"})
        assert resp.status_code == 200, scheme
    for header in [f"Basic {secret}", f"Bearer{secret}", "Bearer ", secret, f"Token {secret}"]:
        resp = client.get("/api/v1/employees/E1", headers={"Authorization": header})
        assert resp.status_code == 401, header


def privacy_world(client, work, freeze_time):
    """Ada (30), Grace (20), Linus (10) on the boards, all in sales."""
    freeze_time(NOW)
    people = {
        e: add_person(e, name=n) for e, n in [("E1", "Ada"), ("E2", "Grace"), ("E3", "Linus")]
    }
    shares = {"E1": 3, "E2": 2, "E3": 1}
    events = [event(e, NOW, id=f"{e}-{i}") for e, n in shares.items() for i in range(n)]
    client.post("/api/v1/events", json={"events": events}, headers=token("events:write"))
    work()
    return people


def ids(entries) -> list[str]:
    return [e["employee_id"] for e in entries]


def test_an_opted_out_person_has_no_rank_for_a_read_token(client, work, freeze_time):
    people = privacy_world(client, work, freeze_time)
    people["E2"].leaderboard_opt_out = True
    db.session.commit()
    read = token("read")
    grace = client.get("/api/v1/employees/E2", headers=read).json
    for period, figures in grace["periods"].items():
        assert figures["rank"] is None and figures["team_rank"] is None, period
    assert grace["periods"]["all"]["points"] == 20
    # Admins see where they stand.
    admin = client.get("/api/v1/employees/E2", headers=token("admin")).json
    assert admin["periods"]["all"]["rank"] == 2 and admin["periods"]["all"]["team_rank"] == 2
    assert client.get("/api/v1/employees/E1", headers=read).json["periods"]["all"]["rank"] == 1


def test_an_opted_out_person_is_on_no_public_board_even_before_it_catches_up(
    client, work, freeze_time
):
    # The choice saved directly, with no board update behind it: Redis still lists Grace.
    people = privacy_world(client, work, freeze_time)
    people["E2"].leaderboard_opt_out = True
    db.session.commit()
    read = token("read")
    board = client.get("/api/v1/leaderboard?period=all", headers=read).json
    assert ids(board["entries"]) == ["E1", "E3"]
    assert client.get("/api/v1/leaderboard?period=all&around=E2", headers=read).json["around"] == []
    near = client.get("/api/v1/leaderboard?period=all&around=E1", headers=read).json["around"]
    assert ids(near) == ["E1", "E3"]
    team = client.get("/api/v1/leaderboard?period=all&team=sales", headers=read).json
    assert ids(team["entries"]) == ["E1", "E3"]
    admin = client.get("/api/v1/leaderboard?period=all", headers=token("admin")).json
    assert ids(admin["entries"]) == ["E1", "E2", "E3"]


def test_after_the_boards_catch_up_an_opted_out_person_stays_off(client, work, freeze_time):
    people = privacy_world(client, work, freeze_time)
    csrf = sign_in(client, people["E2"])
    client.post("/settings", data={"csrf_token": csrf, "leaderboard_opt_out": "1"})
    work()
    read = token("read")
    board = client.get("/api/v1/leaderboard?period=all&around=E2", headers=read).json
    assert ids(board["entries"]) == ["E1", "E3"] and board["around"] == []
    assert client.get("/api/v1/employees/E2", headers=read).json["periods"]["all"]["rank"] is None
