"""Peer kudos: the give rules, the database-enforced allowance, the ledger seam."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from recognition.extensions import db
from recognition.kudos import service
from recognition.kudos.models import KudosAllowance
from recognition.kudos.service import GiveRequest, KudosRefused
from scoring.ledger import rebuild_derived
from scoring.models import BadgeAward, Notification, PersonProgress, PointAward
from scoring.rescore import rescore
from scoring.rulesets import live_scoring
from scoring.standings import standing
from tests.conftest import BACKEND
from tests.helpers import add_person

MSG = "Thanks for the great launch post!"


def _give(giver, receivers, points=0, **extra):
    return service.give(
        GiveRequest(
            giver_id=giver.id,
            receiver_ids=tuple(r.id for r in receivers),
            message=extra.pop("message", MSG),
            points=points,
            **extra,
        )
    )


def _refused(giver, receivers, points=0, **extra) -> dict:
    with pytest.raises(KudosRefused) as caught:
        _give(giver, receivers, points, **extra)
    return caught.value.errors


@pytest.fixture
def people(app, freeze_time):
    freeze_time("2026-03-10T12:00:00+00:00")
    return [add_person(f"E{i}") for i in range(1, 5)]


def _points(person) -> int:
    db.session.expire_all()
    return standing(person)["all"]["points"]


def test_give_writes_ledger_rows_and_points(people):
    a, b, c, _ = people
    _kudos, created = _give(a, [b, c], points=10, value="teamwork")
    assert created
    rows = db.session.execute(
        select(PointAward.employee_id, PointAward.rule, PointAward.points).where(
            PointAward.cause_type == "kudos"
        )
    ).all()
    assert sorted(rows) == sorted(
        [(a.id, "kudos_given", 0), (b.id, "kudos_received", 10), (c.id, "kudos_received", 10)]
    )
    assert _points(b) == 10 and _points(a) == 0
    assert standing(b)["month"]["points"] == 10
    assert standing(b)["month"]["rank"] == 1
    title = db.session.scalar(select(Notification.title).where(Notification.employee_id == b.id))
    assert title == f"{a.name} gave you kudos (+10 points)"


def test_self_kudos_refused(people):
    a = people[0]
    assert "no kudos to yourself" in _refused(a, [a])["receiver_ids"]


def test_at_most_five_receivers(app, people):
    more = [add_person(f"X{i}") for i in range(6)]
    assert "at most 5 receivers" in _refused(people[0], more)["receiver_ids"]


def test_inactive_people_neither_give_nor_receive(people):
    a, _b, c, _ = people
    c.active = False
    db.session.commit()
    assert "is inactive" in _refused(a, [c])["receiver_ids"][0]
    assert _refused(c, [a])["giver_id"] == ["inactive people cannot give kudos"]


def test_message_rules_trim_and_minimum(people):
    a, b = people[:2]
    assert _refused(a, [b], message="   hi    ")["message"] == ["at least 10 characters"]
    assert _refused(a, [b], message="x" * 501)["message"] == ["at most 500 characters"]
    kudos, _ = _give(a, [b], message="   thank you so much   ")
    assert kudos.message == "thank you so much"


def test_value_must_be_listed_and_may_be_required(people):
    a, b = people[:2]
    assert "must be one of" in _refused(a, [b], value="bribery")["value"][0]
    doc = {**service.current_settings().to_document(), "value_required": True}
    service.save_settings(doc)
    assert _refused(a, [b])["value"] == ["choose a value"]
    _give(a, [b], value="ownership")


def test_allowance_enforced_and_named(people):
    a, b, c, d = people
    _give(a, [b, c], points=45)
    errors = _refused(a, [d], points=20)
    assert errors["points"] == ["allowance left: 10"]
    _give(a, [d], points=10)
    left = service.allowance(a)
    assert (left.allowance, left.given, left.left) == (100, 100, 0)


def test_pair_cap_per_month(people):
    a, b = people[:2]
    _give(a, [b], points=30)
    assert _refused(a, [b], points=25)["points"] == [f"pair cap: 20 left for {b.name} this month"]
    _give(a, [b], points=20)


def test_allowance_resets_at_local_month_start_without_rollover(app, freeze_time):
    app.config["LAUREL_TZ"] = __import__("zoneinfo").ZoneInfo("America/New_York")
    freeze_time("2026-04-01T03:00:00+00:00")  # still March 31st in New York
    a, b, c = add_person("A"), add_person("B"), add_person("C")
    _give(a, [b], points=10)
    march = service.allowance(a)
    assert march.month.isoformat() == "2026-03-01" and march.left == 90
    assert march.resets_at.isoformat() == "2026-04-01T00:00:00-04:00"
    freeze_time("2026-04-01T04:00:00+00:00")  # midnight in New York: April
    april = service.allowance(a)
    assert (april.allowance, april.given, april.left) == (100, 0, 100)  # no rollover
    _give(a, [c], points=50)
    _give(a, [b], points=50)
    assert "allowance left: 0" in _refused(a, [c], points=1)["points"]


def test_manager_bonus_per_direct_report(app, people):
    boss = add_person("M1", role="manager")
    add_person("R1", manager_id="M1")
    add_person("R2", manager_id="M1")
    add_person("R3", manager_id="M1", active=False)
    assert service.allowance(boss).allowance == 100 + 2 * 10
    doc = {
        **service.current_settings().to_document(),
        "role_allowances": {"manager": 150},
        "team_allowances": {"support": 70},
    }
    service.save_settings(doc)
    assert service.allowance(boss).allowance == 150 + 20
    assert service.allowance(add_person("S1", team="support")).allowance == 70


def test_same_idempotency_key_same_kudos_different_body_conflicts(people):
    a, b, c = people[:3]
    first, created = _give(a, [b], points=5, idempotency_key="k-1")
    again, created_again = _give(a, [b], points=5, idempotency_key="k-1")
    assert created and not created_again and again.id == first.id
    with pytest.raises(KudosRefused) as caught:
        _give(a, [c], points=5, idempotency_key="k-1")
    assert caught.value.status == 409
    assert service.allowance(a).given == 5
    assert _points(b) == 5


def test_reactions_once_per_person(people):
    a, b, c = people[:3]
    kudos, _ = _give(a, [b])
    assert service.react(kudos.id, c.id) == 1
    assert service.react(kudos.id, c.id) == 1
    assert service.react(kudos.id, a.id) == 2
    assert service.unreact(kudos.id, c.id) == 1
    assert service.unreact(kudos.id, c.id) == 1


def _badges(person) -> set[str]:
    return set(
        db.session.scalars(
            select(BadgeAward.badge).where(
                BadgeAward.employee_id == person.id,
                BadgeAward.generation == live_scoring().generation,
                BadgeAward.revoked_at.is_(None),
            )
        )
    )


def _stats(person) -> dict:
    return db.session.scalar(
        select(PersonProgress.stats).where(
            PersonProgress.employee_id == person.id,
            PersonProgress.generation == live_scoring().generation,
        )
    )


def test_kudos_points_and_badges_survive_a_rescore(people):
    a, b, c, _ = people
    _give(a, [b], points=20)
    _give(c, [b], points=15)
    assert "first-kudos" in _badges(a)
    before = (_points(b), _badges(a), _badges(b), _stats(b)["kudos_received"])
    assert before[0] == 35 and before[3] == 2
    rescore(1)
    db.session.expire_all()
    assert (_points(b), _badges(a), _badges(b), _stats(b)["kudos_received"]) == before
    assert _stats(a)["kudos_given"] == 1
    # And a rebuild from the ledger agrees.
    rebuild_derived()
    assert _points(b) == 35


def test_reversal_keeps_history_and_fixes_totals_and_badges(people):
    a, b = people[:2]
    kudos, _ = _give(a, [b], points=20)
    assert _points(b) == 20
    service.reverse(kudos.id, "traded points", by="admin@example.com")
    assert _points(b) == 0
    assert standing(b)["month"]["points"] == 0
    rules = db.session.scalars(
        select(PointAward.rule).where(PointAward.employee_id == b.id).order_by(PointAward.id)
    ).all()
    assert rules == ["kudos_received", "kudos_reversed"]
    assert _stats(b)["kudos_received"] == 0
    with pytest.raises(KudosRefused) as caught:
        service.reverse(kudos.id, "again", by="admin@example.com")
    assert caught.value.status == 409
    rescore(1)
    assert _points(b) == 0


def test_reversal_takes_back_a_kudos_received_badge(app, people):
    doc = live_scoring().ruleset
    slugs = {b.slug: b for b in doc.badges}
    magnet = slugs["kudos-magnet"]
    target = magnet.levels[0].target
    givers = [add_person(f"G{i}") for i in range(target)]
    receiver = people[0]
    made = [_give(g, [receiver])[0] for g in givers]
    assert "kudos-magnet" in _badges(receiver)
    service.reverse(made[-1].id, "duplicate", by="admin@example.com")
    assert "kudos-magnet" not in _badges(receiver)
    # The next kudos meets the target again and earns the level back.
    _give(add_person("G-late"), [receiver])
    assert "kudos-magnet" in _badges(receiver)
    [row] = db.session.scalars(
        select(BadgeAward).where(
            BadgeAward.employee_id == receiver.id, BadgeAward.badge == "kudos-magnet"
        )
    ).all()
    assert row.revoked_at is None and row.assertion_id


def test_a_badge_an_admin_revoked_is_not_earned_again_by_kudos(app, people):
    from scoring.badges import revoke_badge

    magnet = {b.slug: b for b in live_scoring().ruleset.badges}["kudos-magnet"]
    receiver = people[0]
    for i in range(magnet.levels[0].target):
        _give(add_person(f"H{i}"), [receiver])
    award = db.session.scalar(
        select(BadgeAward).where(
            BadgeAward.employee_id == receiver.id, BadgeAward.badge == "kudos-magnet"
        )
    )
    revoke_badge(award.assertion_id, "gamed", by="admin@example.com")
    _give(add_person("H-late"), [receiver])
    assert "kudos-magnet" not in _badges(receiver)


def test_a_reversal_gives_the_points_back_to_the_allowance_and_pair_cap(people):
    a, b, c, _ = people
    kudos, _ = _give(a, [b, c], points=25)
    assert service.allowance(a).left == 50
    _give(a, [b], points=25)
    assert "pair cap" in _refused(a, [b], points=5)["points"][0]
    service.reverse(kudos.id, "sent by mistake", by="admin@example.com")
    assert service.allowance(a).left == 75
    # The pair cap has room for b again, and c's pair is back to nothing used.
    _give(a, [b], points=25)
    assert service.allowance(a).left == 50


@pytest.mark.skipif(BACKEND != "server", reason="SQLite serialises every writer")
def test_concurrent_gives_cannot_overspend_on_postgres(app, people):
    a = people[0]
    receivers = [add_person(f"C{i}") for i in range(8)]
    results: list[str] = []
    barrier = threading.Barrier(len(receivers))

    def one(receiver_id):
        with app.app_context():
            barrier.wait()
            try:
                service.give(GiveRequest(a.id, (receiver_id,), MSG, points=30))
                results.append("ok")
            except KudosRefused as exc:
                results.append(exc.errors["points"][0])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(r.id,)) for r in receivers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 3
    assert len(results) == 8
    row = db.session.scalar(select(KudosAllowance).where(KudosAllowance.giver_id == a.id))
    assert row.given == 90


def test_concurrent_gives_serially_on_any_backend(people):
    a = people[0]
    outcomes = []
    for r in [add_person(f"S{i}") for i in range(5)]:
        try:
            _give(a, [r], points=30)
            outcomes.append("ok")
        except KudosRefused:
            outcomes.append("refused")
    assert outcomes == ["ok", "ok", "ok", "refused", "refused"]


@pytest.mark.skipif(BACKEND != "server", reason="SQLite serialises every writer")
def test_gives_both_ways_at_once_do_not_deadlock(app, people):
    a, b = people[:2]
    errors: list[str] = []
    barrier = threading.Barrier(6)

    def one(giver_id, receiver_id):
        with app.app_context():
            barrier.wait()
            try:
                service.give(GiveRequest(giver_id, (receiver_id,), MSG, points=5))
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                db.session.remove()

    pairs = [(a.id, b.id), (b.id, a.id)] * 3
    threads = [threading.Thread(target=one, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert (_points(a), _points(b)) == (15, 15)


def test_kudos_points_count_towards_the_weekly_points_badge_after_a_rescore(client, people, work):
    """80 event points and 20 kudos points in one week earn Centurion (100 a week),
    live and after a re-score, whichever came first."""
    from tests.helpers import event, token

    early, late = people[0], people[1]
    giver = add_person("W-giver")
    _give(giver, [early], points=20)
    shares = [
        event(
            p.external_id,
            f"2026-03-{day:02d}T{9 + i:02d}:00:00+00:00",
            content_id=f"c-{p.id}-{day}-{i}",
        )
        for p in (early, late)
        for day, count in ((9, 5), (10, 3))
        for i in range(count)
    ]
    resp = client.post("/api/v1/events", json={"events": shares}, headers=token())
    assert resp.status_code == 202, resp.get_json()
    work()
    _give(giver, [late], points=20)
    db.session.expire_all()
    assert "centurion" in _badges(early) and "centurion" in _badges(late)
    rescore(live_scoring().ruleset.version)
    db.session.expire_all()
    assert "centurion" in _badges(early) and "centurion" in _badges(late)
