"""Events through the score job onto the ledger and the boards."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from recognition.extensions import db, redis_connection
from scoring.ledger import org_boards, org_today, rebuild_derived, score_events
from scoring.models import DailyTotal, EmployeeScore, Event, PointAward
from scoring.periods import window_for
from tests.helpers import add_person, event, token

NOW = "2026-11-20T12:00:00+00:00"  # a Friday


def post(client, headers, events):
    resp = client.post("/api/v1/events", json={"events": events}, headers=headers)
    assert resp.status_code == 202, resp.json
    return resp.json


def board(client, headers, period="all", **params):
    query = "&".join(f"{k}={v}" for k, v in {"period": period, **params}.items())
    resp = client.get(f"/api/v1/leaderboard?{query}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def points_of(client, headers, employee_id):
    return client.get(f"/api/v1/employees/{employee_id}", headers=headers).json["periods"]


@pytest.mark.timezone("Europe/Berlin")
def test_caps_apply_per_local_day_including_late_events(client, work, freeze_time):
    freeze_time("2026-11-21T12:00:00+00:00")
    add_person("E1")
    headers = token()
    # 23:30 UTC on the 19th is already the 20th in Berlin.
    post(client, headers, [event("E1", "2026-11-19T23:30:00+00:00")])
    post(
        client, headers, [event("E1", f"2026-11-20T1{h}:00:00+01:00") for h in range(4)]
    )  # 5 shares
    work()
    # A late share for the 20th arrives after a share on the 21st.
    post(client, headers, [event("E1", "2026-11-21T10:00:00+01:00")])
    work()
    post(client, headers, [event("E1", "2026-11-20T20:00:00+01:00", id="late")])
    post(client, headers, [event("E1", "2026-11-20T21:00:00+01:00", id="later")])
    work()
    rows = db.session.execute(
        select(Event.external_id, PointAward.points, PointAward.capped, PointAward.local_day)
        .join(PointAward, PointAward.cause_id == Event.id)
        .order_by(Event.id)
    ).all()
    by_day: dict[str, list[int]] = {}
    for _, points, _, day in rows:
        by_day.setdefault(day.isoformat(), []).append(points)
    assert by_day == {"2026-11-20": [10, 10, 10, 10, 10, 0, 0], "2026-11-21": [10]}
    late = next(r for r in rows if r.external_id == "later")
    assert late.capped and late.points == 0
    assert points_of(client, headers, "E1")["all"]["points"] == 60


@pytest.mark.timezone("America/New_York")
def test_engagement_cap_is_per_local_day(client, work, freeze_time):
    freeze_time("2026-11-21T12:00:00+00:00")
    add_person("E1")
    headers = token()
    # 03:00 UTC on the 20th is still the 19th in New York: two local days, two caps.
    post(
        client,
        headers,
        [
            event("E1", "2026-11-20T03:00:00+00:00", type_="like", count=80),
            event("E1", "2026-11-20T15:00:00+00:00", type_="like", count=80),
            event("E1", "2026-11-20T16:00:00+00:00", type_="like", count=80),
        ],
    )
    work()
    assert points_of(client, headers, "E1")["all"]["points"] == 80 + 100


def test_ties_share_a_rank(client, work, freeze_time):
    freeze_time(NOW)
    headers = token()
    for who in ("A", "B", "C", "D", "Z"):
        add_person(who)
    post(
        client,
        headers,
        [event("A", NOW, type_="like", count=30)]
        + [event(who, NOW, type_="like", count=20) for who in ("B", "C")]
        + [event("D", NOW, type_="like", count=5)],
    )
    work()
    data = board(client, headers, "week")
    assert [(e["rank"], e["employee_id"], e["points"]) for e in data["entries"]] == [
        (1, "A", 30),
        (2, "C", 20) if data["entries"][1]["employee_id"] == "C" else (2, "B", 20),
        (2, "B", 20) if data["entries"][1]["employee_id"] == "C" else (2, "C", 20),
        (4, "D", 5),
    ]
    assert data["total"] == 4  # Z has no points and is not ranked
    assert points_of(client, headers, "Z")["week"]["rank"] is None
    assert points_of(client, headers, "B")["week"]["rank"] == 2


def test_around_shows_the_person_with_two_neighbours(client, work, freeze_time):
    freeze_time(NOW)
    headers = token()
    people = [f"P{i:02d}" for i in range(12)]
    for i, who in enumerate(people):
        add_person(who, team="sales" if i % 2 else "marketing")
    # P00 gets 12 points ... P11 gets 1 point; P05 and P06 tie on 6 and 6? no: distinct.
    post(client, headers, [event(w, NOW, type_="like", count=12 - i) for i, w in enumerate(people)])
    work()
    data = board(client, headers, "week", limit=3, around="P07")
    assert [e["employee_id"] for e in data["entries"]] == ["P00", "P01", "P02"]
    assert [(e["rank"], e["employee_id"]) for e in data["around"]] == [
        (6, "P05"),
        (7, "P06"),
        (8, "P07"),
        (9, "P08"),
        (10, "P09"),
    ]
    top = board(client, headers, "week", limit=3, around="P00")
    assert [e["employee_id"] for e in top["around"]] == ["P00", "P01", "P02"]
    team = board(client, headers, "week", team="sales", around="P07")
    assert {e["team"] for e in team["entries"]} == {"sales"}
    assert team["total"] == 6 and team["team"] == "sales"
    assert [e["employee_id"] for e in team["around"]] == ["P03", "P05", "P07", "P09", "P11"]
    assert team["around"][2]["rank"] == 4
    assert board(client, headers, "week", around="NOBODY")["around"] == []
    assert client.get("/api/v1/leaderboard?team=nope", headers=headers).status_code == 404
    assert client.get("/api/v1/leaderboard?period=year", headers=headers).status_code == 422
    assert client.get("/api/v1/leaderboard?limit=0", headers=headers).status_code == 422


@pytest.mark.timezone("Europe/Berlin")
def test_periods_roll_over_at_local_midnight_monday_and_month_start(client, work, freeze_time):
    headers = token()
    add_person("E1")

    def points() -> dict[str, int]:
        return {p: v["points"] for p, v in points_of(client, headers, "E1").items()}

    freeze_time("2026-11-29T21:00:00+00:00")  # Sunday 22:00 in Berlin
    post(client, headers, [event("E1", "2026-11-29T21:00:00+00:00")])
    work()
    freeze_time("2026-11-29T22:59:59+00:00")  # Sunday 23:59:59 local
    assert points() == {"week": 10, "month": 10, "30d": 10, "all": 10}
    assert board(client, headers, "week")["window"] == {
        "start": "2026-11-23T00:00:00+01:00",
        "end": "2026-11-30T00:00:00+01:00",
    }
    freeze_time("2026-11-29T23:00:00+00:00")  # Monday 00:00 local: a new ISO week
    assert points() == {"week": 0, "month": 10, "30d": 10, "all": 10}
    assert points_of(client, headers, "E1")["week"]["rank"] is None
    assert board(client, headers, "week")["entries"] == []
    assert board(client, headers, "month")["total"] == 1
    freeze_time("2026-11-30T23:00:00+00:00")  # 1 December 00:00 local: a new month
    assert points() == {"week": 0, "month": 0, "30d": 10, "all": 10}
    assert board(client, headers, "month")["window"]["start"] == "2026-12-01T00:00:00+01:00"
    assert board(client, headers, "month")["total"] == 0
    freeze_time("2026-12-28T22:59:59+00:00")  # 28 December 23:59:59: day 30 of the window
    assert board(client, headers, "30d")["total"] == 1
    freeze_time("2026-12-28T23:00:00+00:00")  # local midnight: the share leaves the window
    assert board(client, headers, "30d")["total"] == 0
    assert points() == {"week": 0, "month": 0, "30d": 0, "all": 10}
    assert board(client, headers, "all")["entries"][0]["points"] == 10


def test_a_job_run_twice_changes_nothing(app, client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    add_person("E2", team="marketing")
    headers = token()
    post(
        client,
        headers,
        [event("E1", NOW)] * 0
        + [event("E1", NOW) for _ in range(7)]
        + [event("E2", NOW, type_="comment", count=4)],
    )
    ids = list(db.session.scalars(select(Event.id)))
    first = score_events(ids)
    assert first.scored == 8
    snapshot = (_ledger(), _rollups(), _boards())
    second = score_events(ids)
    assert (second.scored, second.already_scored) == (0, 8)
    work()  # the job the POST enqueued runs too, after the direct runs
    assert (_ledger(), _rollups(), _boards()) == snapshot
    assert sum(p for *_, p in _ledger()) == 50 + 12


def test_rebuild_equals_live(app, client, work, freeze_time, runner):
    freeze_time("2026-11-10T09:00:00+00:00")
    headers = token()
    for i in range(8):
        add_person(f"E{i}", team=("sales", "marketing", None)[i % 3])
    post(client, headers, [event(f"E{i}", "2026-11-09T09:00:00+00:00") for i in range(8)])
    work()
    freeze_time(NOW)
    post(
        client,
        headers,
        [
            event(f"E{i % 5}", "2026-11-19T10:00:00+00:00", type_="like", count=i)
            for i in range(1, 9)
        ]
        + [event("E1", "2026-10-01T10:00:00+00:00")]
        + [event("E2", "2026-11-20T10:00:00+00:00") for _ in range(7)],
    )
    work()
    # Reading the 30-day board builds today's rolling boards from SQL.
    board(client, headers, "30d")
    live = (_rollups(), _boards())
    result = runner.invoke(args=["laurel", "rebuild"])
    assert result.exit_code == 0, result.output
    assert (_rollups(), _boards()) == live
    redis_connection().flushdb()  # Redis holds only derived data
    rebuild_derived()
    assert (_rollups(), _boards()) == live
    assert _boards()  # and there was something to compare


@pytest.mark.parametrize("workers", [4])
def test_parallel_workers_keep_caps_and_totals(app, client, freeze_time, workers):
    """Several workers scoring overlapping batches at once: caps still hold."""
    freeze_time(NOW)
    add_person("E1")
    add_person("E2")
    headers = token()
    for _ in range(workers):
        post(
            client,
            headers,
            [event("E1", NOW) for _ in range(4)]
            + [event("E2", NOW, type_="like", count=30) for _ in range(2)],
        )
    ids = list(db.session.scalars(select(Event.id).order_by(Event.id)))
    db.session.commit()
    batches = [ids[i::workers] for i in range(workers)] + [ids]  # overlap on purpose
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(batches))

    def worker(batch):
        with app.app_context():
            try:
                barrier.wait()
                score_events(batch)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    per_person = dict(
        db.session.execute(
            select(PointAward.employee_id, func.sum(PointAward.points)).group_by(
                PointAward.employee_id
            )
        ).all()
    )
    assert sorted(per_person.values()) == [50, 100]
    assert db.session.scalar(select(func.count()).select_from(PointAward)) == len(ids)
    shares = db.session.scalar(
        select(func.count()).where(PointAward.rule == "share", PointAward.capped.is_(False))
    )
    assert shares == 5
    assert sorted(int(s) for _, s in _boards()[org_boards().key_all()]) == [50, 100]


def _ledger():
    return sorted(
        db.session.execute(
            select(
                PointAward.cause_id,
                PointAward.rule,
                PointAward.employee_id,
                PointAward.capped,
                PointAward.points,
            )
        ).all()
    )


def _rollups():
    daily = sorted(tuple(r) for r in db.session.execute(select(DailyTotal.__table__)).all())
    scores = sorted(
        tuple(r)
        for r in db.session.execute(select(EmployeeScore.__table__)).all()
        if r.points  # an empty score row is only a lock
    )
    return daily, scores


def _boards():
    """Every readable board: past days' rolling boards are never read and expire."""
    r = redis_connection()
    boards = org_boards()
    today = window_for("30d", org_today()).suffix
    out = {}
    for key in sorted(k.decode() for k in r.scan_iter(match=f"{boards.prefix}b:*")):
        suffix = key.rsplit(":", 1)[-1]
        if suffix.startswith("d") and suffix != today:
            continue
        out[key] = r.zrange(key, 0, -1, withscores=True)
    return out


def test_movement_since_the_week_began_and_gap_to_the_next(client, work, freeze_time):
    from scoring.standings import gap_to_next, movement

    freeze_time("2026-11-13T12:00:00+00:00")  # Friday of the week before
    headers = token()
    people = {who: add_person(who) for who in ("A", "B", "C")}
    post(
        client,
        headers,
        [
            event("A", "2026-11-13T09:00:00+00:00", type_="like", count=50),
            event("B", "2026-11-13T09:00:00+00:00", type_="like", count=40),
            event("C", "2026-11-13T09:00:00+00:00", type_="like", count=10),
        ],
    )
    work()
    freeze_time(NOW)  # the next Friday: C overtakes both this week
    post(client, headers, [event("C", "2026-11-20T09:00:00+00:00", type_="like", count=45)])
    work()
    assert movement(people["C"]) == {"rank": 1, "before": 3, "up": 2}
    assert movement(people["A"]) == {"rank": 2, "before": 1, "up": -1}
    assert gap_to_next(people["A"]) == {"points": 5, "rank": 1}
    assert gap_to_next(people["C"]) is None


def test_ledger_rows_carry_the_events_network(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(
        client,
        headers,
        [
            event("E1", "2026-11-20T09:00:00+00:00", network="x"),
            event("E1", "2026-11-20T10:00:00+00:00", "like", network="facebook", count=3),
        ],
    )
    work()
    rows = db.session.execute(
        select(Event.network, PointAward.network, PointAward.rule)
        .join(PointAward, PointAward.cause_id == Event.id)
        .order_by(Event.id)
    ).all()
    assert [tuple(r) for r in rows] == [("x", "x", "share"), ("facebook", "facebook", "like")]
