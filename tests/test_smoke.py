from tests.helpers import add_person, event, token


def test_event_scores_onto_board(client, work, freeze_time):
    freeze_time("2026-11-20T12:00:00+00:00")
    add_person("E1")
    headers = token()
    resp = client.post(
        "/api/v1/events",
        json={"events": [event("E1", "2026-11-20T09:30:00+01:00")]},
        headers=headers,
    )
    assert resp.status_code == 202, resp.json
    assert resp.json["accepted"] == 1
    work()
    board = client.get("/api/v1/leaderboard?period=week", headers=headers).json
    assert board["entries"][0]["points"] == 10
