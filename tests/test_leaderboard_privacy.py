"""A privacy choice never waits for a worker: the boards follow before the answer."""

from __future__ import annotations

from recognition.extensions import redis_connection
from scoring.jobs import queue
from scoring.ledger import org_boards
from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"  # a Friday
PERIODS = ("week", "month", "30d", "all")


def boards_of(client, headers, employee_id: str) -> dict[tuple[str, str | None], int]:
    """(period, team) -> the person's points there, on every current board they are on."""
    found = {}
    for period in PERIODS:
        for team in (None, "sales"):
            query = f"period={period}&limit=100" + (f"&team={team}" if team else "")
            board = client.get(f"/api/v1/leaderboard?{query}", headers=headers).get_json()
            for entry in board["entries"]:
                if entry["employee_id"] == employee_id:
                    found[(period, team)] = entry["points"]
    return found


def redis_boards_listing(member: str) -> list[str]:
    """Every board key in Redis (past weeks and months too) that lists this member."""
    r = redis_connection()
    keys = r.scan_iter(match=f"{org_boards().prefix}b:*", count=1000)
    return sorted(k.decode() for k in keys if r.zscore(k, member) is not None)


def test_hiding_from_the_boards_and_coming_back_need_no_worker(client, work, freeze_time):
    freeze_time("2026-10-14T12:00:00+00:00")
    ada = add_person("E1", team="sales")
    add_person("E2", team="sales")
    headers = token()
    earlier = [event("E1", "2026-10-14T09:00:00+00:00"), event("E2", "2026-10-14T09:00:00+00:00")]
    client.post("/api/v1/events", json={"events": earlier}, headers=headers)
    work()
    freeze_time(NOW)
    now = [
        event("E1", "2026-11-20T09:00:00+00:00"),
        event("E1", "2026-11-20T10:00:00+00:00", type_="comment", count=2),
        event("E2", "2026-11-20T09:30:00+00:00"),
    ]
    client.post("/api/v1/events", json={"events": now}, headers=headers)
    work()
    listed = boards_of(client, headers, "E1")
    assert listed == {
        (period, team): 26 if period == "all" else 16
        for period in PERIODS
        for team in (None, "sales")
    }
    member = str(ada.id)
    on_redis = redis_boards_listing(member)
    # Org and team: two weeks, two months, all time, today's 30 days, and the
    # 30 days of 14 October (never read again, expiring).
    assert [k.split(":", 2)[2] for k in on_redis] == [
        f"b:{scope}:{suffix}"
        for scope in ("org", "t:sales")
        for suffix in ("all", "d2026-10-14", "d2026-11-20", "m2026-10", "m2026-11")
        + ("w2026-42", "w2026-47")
    ]

    csrf = sign_in(client, ada)
    waiting = queue().count
    resp = client.post("/settings", data={"csrf_token": csrf, "leaderboard_opt_out": "1"})
    assert resp.status_code == 303
    # No worker ran: the answer came after every board had let go of the person.
    assert boards_of(client, headers, "E1") == {}
    assert redis_boards_listing(member) == []
    assert boards_of(client, headers, "E2")  # the others stay

    resp = client.post("/settings", data={"csrf_token": csrf}, headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert boards_of(client, headers, "E1") == listed
    assert redis_boards_listing(member) == [k for k in on_redis if "d2026-10-14" not in k]
    # The jobs that tidy up after a score job running at the same moment are
    # queued, not run: nothing above waited for them.
    assert queue().count == waiting + 2
