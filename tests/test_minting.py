"""Nothing minted: every input that earns points is bounded."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from recognition.extensions import db
from scoring.models import DailyTotal, EmployeeScore, Event, PointAward
from scoring.rescore import rescore
from scoring.rules import load_default_document
from scoring.rulesets import live_scoring, save_ruleset
from tests.helpers import add_person, event, sign_in, token

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def post(client, headers, *items):
    resp = client.post("/api/v1/events", json={"events": list(items)}, headers=headers)
    assert resp.status_code == 202, resp.json
    return resp.json


def ago(days: float) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat()


def ledger(external_id: str):
    return db.session.execute(
        select(PointAward.rule, PointAward.points, PointAward.reason)
        .join(Event, Event.id == PointAward.cause_id)
        .where(Event.external_id == external_id, PointAward.cause_type == "event")
        .where(PointAward.generation == live_scoring().generation)
    ).all()


def all_time(client, headers) -> dict[str, int]:
    body = client.get("/api/v1/leaderboard?period=all", headers=headers).json
    return {e["employee_id"]: e["points"] for e in body["entries"]}


def test_a_share_is_one_action_and_counts_have_a_ceiling(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    body = post(
        client,
        token(),
        event("E1", ago(0.1), "share", id="many", count=1_000_000),
        event("E1", ago(0.1), "share", id="two", count=2),
        event("E1", ago(0.1), "like", id="most", count=10_000),
        event("E1", ago(0.1), "click", id="too-many", count=10_001),
        event("E1", ago(0.1), "share", id="one", count=1),
    )
    statuses = [(r["status"], sorted(r.get("errors", {}))) for r in body["results"]]
    assert statuses == [
        ("rejected", ["count"]),
        ("rejected", ["count"]),
        ("accepted", []),
        ("rejected", ["count"]),
        ("accepted", []),
    ]
    assert "a share is one action" in body["results"][0]["errors"]["count"][0]
    assert "a share is one action" in body["results"][1]["errors"]["count"][0]
    assert "at most 10,000 engagements per event" in body["results"][3]["errors"]["count"][0]
    work()
    assert db.session.scalar(select(func.count()).select_from(Event)) == 2


def test_a_token_writes_only_its_own_source(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token(source="crm-sync")
    body = post(
        client,
        headers,
        event("E1", ago(0.1), id="theirs", source="linkedin-sync"),
        event("E1", ago(0.1), id="mine", source="crm-sync"),
        event("E1", ago(0.1), id="default"),
    )
    assert [r["status"] for r in body["results"]] == ["rejected", "accepted", "accepted"]
    assert "crm-sync" in body["results"][0]["errors"]["source"][0]
    stored = db.session.execute(select(Event.external_id, Event.source)).all()
    assert sorted(stored) == [("default", "crm-sync"), ("mine", "crm-sync")]


def test_events_arriving_after_the_window_are_kept_and_shown_but_earn_nothing(
    client, work, freeze_time
):
    freeze_time(NOW)
    person = add_person("E1")
    headers = token()
    body = post(
        client,
        headers,
        event("E1", ago(31), id="stale"),
        event("E1", ago(29.9), id="recent"),
        event("E1", ago(200), "like", id="ancient", count=50),
    )
    assert body["accepted"] == 3  # stored, not refused
    work()
    ((rule, points, reason),) = ledger("stale")
    assert (rule, points) == ("late", 0)
    assert "arrived 31 days after it happened" in reason
    assert ledger("recent")[0][1] == 10
    assert ledger("ancient")[0][:2] == ("late", 0)
    assert all_time(client, headers) == {"E1": 10}
    # Nothing else counts them either: no day, no badge progress beyond the one share.
    days = db.session.scalars(select(DailyTotal.local_day)).all()
    assert days == [(NOW - dt.timedelta(days=29.9)).date()]
    sign_in(client, person)
    html = client.get("/").get_data(as_text=True)
    assert "Late event on LinkedIn" in html
    assert "No points, it arrived 31 days after it happened" in html


def test_the_window_counts_from_arrival_so_a_rescore_decides_the_same(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token()
    post(client, headers, event("E1", ago(29), id="in-time"), event("E1", ago(31), id="late"))
    work()
    freeze_time(NOW + dt.timedelta(days=20))  # in-time is now 49 days old
    rescore(1)
    assert ledger("in-time")[0][:2] == ("share", 10)
    assert ledger("late")[0][:2] == ("late", 0)


def test_the_backfill_scope_brings_old_history_in_with_its_points(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    backfill = token("events:write", "events:backfill", source="history-import")
    post(client, backfill, event("E1", ago(90), id="old-share"))
    work()
    assert ledger("old-share")[0][:2] == ("share", 10)
    assert db.session.scalar(select(Event.backfill)) is True
    rescore(1)  # the flag is on the event: a replay decides the same
    assert ledger("old-share")[0][:2] == ("share", 10)


def test_the_cli_import_is_a_backfill_and_may_name_any_source(runner, work, freeze_time, tmp_path):
    freeze_time(NOW)
    add_person("E1")
    lines = [
        event("E1", ago(120), id="a", source="old-crm"),
        event("E1", ago(100), "share", id="b", count=3),  # refused: a share is one action
        event("E1", ago(100), "comment", id="c", count=2),
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    result = runner.invoke(args=["laurel", "import-events", str(path), "--source", "archive"])
    assert result.exit_code == 1  # one item failed; the good ones are kept
    assert "item 1: count: a share is one action" in result.output
    work()
    assert ledger("a")[0][:2] == ("share", 10)
    assert ledger("c")[0][:2] == ("comment", 6)
    sources = dict(db.session.execute(select(Event.external_id, Event.source)).all())
    assert sources == {"a": "old-crm", "c": "archive"}


def test_the_demo_seed_is_a_backfill(app, freeze_time):
    from recognition.seed import seed_demo

    freeze_time(NOW)
    seed_demo(people=6, days=45, random_seed=3)
    assert db.session.scalar(select(func.count()).where(Event.backfill.is_(False))) == 0
    old = db.session.scalar(
        select(func.sum(PointAward.points)).where(
            PointAward.occurred_at < NOW - dt.timedelta(days=31)
        )
    )
    assert old > 0


def test_the_window_is_a_rule_admins_set(client, work, freeze_time):
    freeze_time(NOW)
    admin = add_person("A1", role="admin")
    add_person("E1")
    post(client, token(), event("E1", ago(40), id="forty-days"))
    work()
    assert ledger("forty-days")[0][:2] == ("late", 0)
    csrf = sign_in(client, admin)
    page = client.get("/admin/rules").get_data(as_text=True)
    assert 'name="max_event_age_days" value="30"' in page
    resp = client.post(
        "/admin/rules", data={"csrf_token": csrf, "base_version": "1", "max_event_age_days": "60"}
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)
    changes = client.get("/admin/rules/versions/2").get_data(as_text=True)
    assert "Days an event may take to arrive: 30 → 60" in changes
    rescore(2)
    assert ledger("forty-days")[0][:2] == ("share", 10)
    bad = client.post(
        "/admin/rules", data={"csrf_token": csrf, "base_version": "2", "max_event_age_days": "0"}
    )
    assert bad.status_code == 422
    assert "from 1 to 3650, or blank for no limit" in bad.get_data(as_text=True)


def test_totals_beyond_32_bits_are_stored_and_ranked(client, work, freeze_time):
    """The largest event the bounds allow is worth 10^9 points; a few of them pass
    2^31 (where a 4-byte total overflowed and failed every job for that person)."""
    freeze_time(NOW)
    add_person("E1")
    document = load_default_document()
    document["points"]["like"] = 10_000
    document["network_multipliers"]["linkedin"] = 10
    document["daily_caps"]["engagement_points"] = None
    rescore(save_ruleset(document))
    headers = token()
    post(client, headers, *[event("E1", ago(0.1), "like", count=10_000) for _ in range(3)])
    work()
    gen = live_scoring().generation
    assert (
        db.session.scalar(select(EmployeeScore.points).where(EmployeeScore.generation == gen))
        == 3 * 10**9
    )
    assert (
        db.session.scalar(select(DailyTotal.points).where(DailyTotal.generation == gen))
        == 3 * 10**9
    )
    assert all_time(client, headers) == {"E1": 3 * 10**9}
