"""Nominations: the rules, the approval chain, the exactly-once payout, the evidence."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from recognition.extensions import db
from recognition.kudos import service as kudos
from recognition.nominations import rules, service
from recognition.nominations.models import Nomination, NominationTransition
from recognition.nominations.service import NominateRequest, NominationRefused
from scoring.models import BadgeAward, Notification, PointAward
from scoring.rescore import rescore
from scoring.rulesets import ensure_scoring_setup, live_scoring
from scoring.standings import standing
from tests.conftest import BACKEND
from tests.helpers import add_person

NOW = "2026-11-20T12:00:00+00:00"
REASON = "Ran the launch week posts and brought in three new advocates."


@pytest.fixture
def org(app, freeze_time):
    """Ada (admin); Sam (second line) <- Mia (manager) <- Eve, Cal; Gus and Gil (committee)."""
    freeze_time(NOW)
    ensure_scoring_setup()
    people = {"ada": add_person("A1", name="Ada", role="admin")}
    people["sam"] = add_person("S1", name="Sam", role="manager")
    people["mia"] = add_person("M1", name="Mia", role="manager", manager_id="S1")
    people["eve"] = add_person("E1", name="Eve", manager_id="M1")
    people["cal"] = add_person("E2", name="Cal", manager_id="M1")
    people["gus"] = add_person("G1", name="Gus")
    people["gil"] = add_person("G2", name="Gil")
    return people


def category(steps=None, who="reports", period="month", badge="recognised-advocate", **extra):
    doc = {
        "name": extra.pop("name", "Advocate of the month"),
        "description": "For the colleague whose shares did the most.",
        "period": period,
        "badge": badge,
        "bonus_points": extra.pop("bonus_points", 100),
        "who_may_nominate": who,
        "steps": steps or [{"decider": "second_line_manager"}, {"decider": "admin"}],
    }
    return service.save_category(doc, by="test")


def nominate(nominator, nominee, slug="advocate-of-the-month", period="2026-11", **extra):
    return service.nominate(
        NominateRequest(
            nominator_id=nominator.id,
            nominee_id=nominee.id,
            category=slug,
            period=period,
            reason=extra.pop("reason", REASON),
            **extra,
        )
    )[0]


def refused(fn, *args, **kwargs) -> NominationRefused:
    with pytest.raises(NominationRefused) as caught:
        fn(*args, **kwargs)
    return caught.value


def _points(person) -> int:
    db.session.expire_all()
    return standing(person)["all"]["points"]


def _badges(person) -> list[str]:
    return list(
        db.session.scalars(
            select(BadgeAward.badge).where(
                BadgeAward.employee_id == person.id,
                BadgeAward.generation == live_scoring().generation,
                BadgeAward.revoked_at.is_(None),
            )
        )
    )


# --- categories ------------------------------------------------------------------------


def test_categories_are_versioned_and_validated(org):
    first = category()
    assert (first.slug, first.version, first.bonus_points) == ("advocate-of-the-month", 1, 100)
    second = service.save_category({**_doc(first), "bonus_points": 150}, slug=first.slug, by="test")
    assert second.version == 2
    assert service.category(first.slug).bonus_points == 150
    errors = refused_category(
        {
            "name": "",
            "period": "week",
            "badge": "sharer",
            "bonus_points": -1,
            "who_may_nominate": "robots",
            "steps": [{"decider": "group", "group": ["NOPE"]}] * 4,
        }
    )
    assert set(errors) == {"name", "period", "badge", "bonus_points", "who_may_nominate", "steps"}
    errors = refused_category({**_doc(first), "name": "X", "steps": [{"decider": "group"}]})
    assert "steps.1" in errors


def _doc(row) -> dict:
    return {
        "name": row.name,
        "description": row.description,
        "period": row.period,
        "badge": row.badge,
        "bonus_points": row.bonus_points,
        "who_may_nominate": row.who_may_nominate,
        "steps": [
            {"decider": s["decider"], "group": s.get("group")} if s.get("group") else s
            for s in row.steps
        ],
    }


def refused_category(doc) -> dict:
    with pytest.raises(rules.CategoryError) as caught:
        service.save_category(doc)
    return caught.value.errors


# --- nominating ------------------------------------------------------------------------


def test_self_nomination_refused(org):
    category(who="anyone")
    exc = refused(nominate, org["eve"], org["eve"])
    assert exc.errors["nominee_id"] == ["you cannot nominate yourself"]


def test_duplicate_open_nomination_refused(org):
    category(who="anyone")
    nominate(org["mia"], org["eve"])
    exc = refused(nominate, org["cal"], org["eve"])
    assert exc.status == 409 and "already nominated" in exc.errors["nominee_id"][0]
    # Another period is another nomination.
    nominate(org["cal"], org["eve"], period="2026-10")


def test_the_partial_unique_index_refuses_a_second_open_nomination(org):
    category(who="anyone")
    first = nominate(org["mia"], org["eve"])
    twin = Nomination(
        category_id=first.category_id,
        category_slug=first.category_slug,
        nominator_id=org["cal"].id,
        nominee_id=org["eve"].id,
        period=first.period,
        reason=REASON,
        steps=2,
        evidence={},
    )
    db.session.add(twin)
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError of either driver
        db.session.commit()
    db.session.rollback()


def test_a_withdrawn_or_declined_nomination_frees_the_slot(org):
    category(who="anyone")
    first = nominate(org["mia"], org["eve"])
    service.withdraw(first.id, org["mia"].id)
    second = nominate(org["cal"], org["eve"])
    service.decline(second.id, org["sam"].id, "Not this month, sorry.")
    assert nominate(org["mia"], org["eve"]).status == "submitted"


def test_only_active_people_nominate_and_are_nominated(org):
    category(who="anyone")
    add_person("E3", name="Old", active=False, manager_id="M1")
    old = db.session.scalar(select(service.Employee).where(service.Employee.external_id == "E3"))
    assert "only active" in refused(nominate, org["mia"], old).errors["nominee_id"][0]
    assert "inactive" in refused(nominate, old, org["eve"]).errors["nominator_id"][0]


def test_who_may_nominate(org):
    category(who="reports")
    assert "direct reports" in refused(nominate, org["sam"], org["eve"]).errors["nominee_id"][0]
    assert nominate(org["mia"], org["eve"]).status == "submitted"
    category(who="managers", name="Team player")
    exc = refused(nominate, org["cal"], org["gus"], slug="team-player")
    assert "only managers" in exc.errors["category"][0]
    assert nominate(org["sam"], org["gus"], slug="team-player").status == "submitted"


def test_reason_length_and_period_rules(org):
    category()
    assert (
        "20 to 2,000"
        in refused(nominate, org["mia"], org["eve"], reason="short").errors["reason"][0]
    )
    exc = refused(nominate, org["mia"], org["eve"], reason="x" * 2001)
    assert "reason" in exc.errors
    assert "period" in refused(nominate, org["mia"], org["eve"], period="2026-Q4").errors
    assert "period" in refused(nominate, org["mia"], org["eve"], period="2025-01").errors
    # The previous month is still open.
    assert nominate(org["mia"], org["eve"], period="2026-10").period == "2026-10"


def test_same_idempotency_key_returns_the_same_nomination(org):
    category()
    request = NominateRequest(
        org["mia"].id, org["eve"].id, "advocate-of-the-month", "2026-11", REASON, "k1"
    )
    first, created = service.nominate(request)
    again, created_again = service.nominate(request)
    assert created and not created_again and again.id == first.id


# --- deciding --------------------------------------------------------------------------


def test_who_may_decide_each_step(org):
    category()
    n = nominate(org["mia"], org["eve"])
    # Never the nominator or the nominee; step 1 is Sam's (Eve's second-line manager).
    for person, words in [
        (org["mia"], "you made"),
        (org["eve"], "you received"),
        (org["ada"], "second-line manager"),
        (org["cal"], "second-line manager"),
    ]:
        exc = refused(service.approve, n.id, person.id)
        assert exc.status == 403 and words in exc.errors["actor_id"][0], person.name
    n, changed = service.approve(n.id, org["sam"].id)
    assert changed and (n.status, n.step) == ("in_review", 2)
    # Step 2 is any admin's; Sam decided step 1 already.
    assert "program admin" in refused(service.approve, n.id, org["cal"].id).errors["actor_id"][0]
    n, _ = service.approve(n.id, org["ada"].id)
    assert n.status == "approved"


def test_a_committee_step_is_for_its_members_only(org):
    category(steps=[{"decider": "group", "group": ["G1", "G2"]}])
    n = nominate(org["mia"], org["eve"])
    assert (
        "recognition group" in refused(service.approve, n.id, org["ada"].id).errors["actor_id"][0]
    )
    n, changed = service.approve(n.id, org["gil"].id)
    assert changed and n.status == "approved"


def test_a_committee_member_never_decides_their_own_nomination(org):
    category(who="anyone", steps=[{"decider": "group", "group": ["G1", "G2"]}])
    n = nominate(org["gus"], org["eve"])
    assert "you made" in refused(service.approve, n.id, org["gus"].id).errors["actor_id"][0]
    n2 = nominate(org["mia"], org["gil"])
    assert "you received" in refused(service.approve, n2.id, org["gil"].id).errors["actor_id"][0]


def test_without_a_second_line_manager_an_admin_decides(org):
    category(who="anyone", steps=[{"decider": "second_line_manager"}])
    n = nominate(org["gus"], org["sam"])  # Sam has no manager at all
    n, _ = service.approve(n.id, org["ada"].id)
    assert n.status == "approved"


def test_decline_needs_a_reason_and_tells_the_nominator_only(org):
    category()
    n = nominate(org["mia"], org["eve"])
    assert refused(service.decline, n.id, org["sam"].id, "  ").errors["reason"] == [
        "a decline needs a reason"
    ]
    n, changed = service.decline(n.id, org["sam"].id, "Keep going: next month!")
    assert changed and n.status == "declined" and n.decline_reason == "Keep going: next month!"
    kinds = dict(
        db.session.execute(
            select(Notification.employee_id, Notification.kind).where(
                Notification.kind.like("nomination%")
            )
        ).all()
    )
    assert kinds[org["mia"].id] == "nomination_declined"
    assert kinds[org["eve"].id] == "nomination_submitted"  # told of the nomination, not the no
    body = db.session.scalar(
        select(Notification.body).where(Notification.kind == "nomination_declined")
    )
    assert body == "Keep going: next month!"
    # Declined is final.
    assert refused(service.approve, n.id, org["ada"].id).status == 409


def test_withdraw_only_by_the_nominator_before_a_decision(org):
    category()
    n = nominate(org["mia"], org["eve"])
    assert refused(service.withdraw, n.id, org["eve"].id).status == 403
    n, _ = service.approve(n.id, org["sam"].id)
    n, changed = service.withdraw(n.id, org["mia"].id)  # in review is still open
    assert changed and n.status == "withdrawn"
    assert service.withdraw(n.id, org["mia"].id)[1] is False
    done = nominate(org["mia"], org["eve"])
    service.approve(done.id, org["sam"].id)
    service.approve(done.id, org["ada"].id)
    exc = refused(service.withdraw, done.id, org["mia"].id)
    assert exc.status == 409 and "approved" in exc.errors["status"][0]


def test_timeline_records_every_transition_with_who(org):
    category()
    n = nominate(org["mia"], org["eve"])
    service.approve(n.id, org["sam"].id)
    service.approve(n.id, org["ada"].id)
    steps = [(t.from_status, t.to_status, t.step, t.actor_id) for t in service.timeline(n.id)]
    assert steps == [
        (None, "submitted", 1, org["mia"].id),
        ("submitted", "in_review", 1, org["sam"].id),
        ("in_review", "approved", 2, org["ada"].id),
    ]


# --- the payout ------------------------------------------------------------------------


def _bonus_rows(n) -> int:
    return db.session.scalar(
        select(func.count()).where(
            PointAward.cause_type == "nomination", PointAward.cause_id == n.id
        )
    )


def test_approval_pays_badge_and_points_once_under_a_double_click(org):
    category(steps=[{"decider": "admin"}])
    n = nominate(org["mia"], org["eve"])
    _, changed = service.approve(n.id, org["ada"].id)
    again, changed_again = service.approve(n.id, org["ada"].id)
    same_step, _ = service.approve(n.id, org["ada"].id, step=1)
    assert changed and not changed_again
    assert again.status == same_step.status == "approved"
    assert _bonus_rows(n) == 1 and _points(org["eve"]) == 100
    assert _badges(org["eve"]) == ["recognised-advocate"]
    told = set(
        db.session.scalars(
            select(Notification.employee_id).where(Notification.kind == "nomination_approved")
        )
    )
    assert told == {org["eve"].id, org["mia"].id}


def test_a_second_approver_of_a_decided_step_gets_the_same_answer(org):
    category(steps=[{"decider": "group", "group": ["G1", "G2"]}])
    n = nominate(org["mia"], org["eve"])
    service.approve(n.id, org["gus"].id, step=1)
    n2, changed = service.approve(n.id, org["gil"].id, step=1)
    assert not changed and n2.status == "approved" and _bonus_rows(n) == 1


def test_a_second_win_pays_points_without_a_badge_level_left(org):
    category(who="anyone", steps=[{"decider": "admin"}])
    for period in ("2026-10", "2026-11"):
        n = nominate(org["mia"], org["eve"], period=period)
        service.approve(n.id, org["ada"].id)
    assert _points(org["eve"]) == 200
    assert _badges(org["eve"]) == ["recognised-advocate"]


def test_nomination_points_and_badge_survive_a_rescore(org):
    category(steps=[{"decider": "admin"}])
    n = nominate(org["mia"], org["eve"])
    service.approve(n.id, org["ada"].id)
    assert (_points(org["eve"]), _badges(org["eve"])) == (100, ["recognised-advocate"])
    rescore(1)
    db.session.expire_all()
    assert (_points(org["eve"]), _badges(org["eve"])) == (100, ["recognised-advocate"])


@pytest.mark.skipif(BACKEND != "server", reason="SQLite serialises every writer")
def test_two_concurrent_approvers_pay_once_on_postgres(app, org):
    category(steps=[{"decider": "group", "group": ["G1", "G2", "A1"]}])
    n = nominate(org["mia"], org["eve"])
    deciders = [org["gus"].id, org["gil"].id, org["ada"].id] * 2
    results: list[object] = []
    barrier = threading.Barrier(len(deciders))

    def one(actor_id):
        with app.app_context():
            barrier.wait()
            try:
                nomination, changed = service.approve(n.id, actor_id, step=1)
                results.append((nomination.status, changed))
            except Exception as exc:
                results.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(d,)) for d in deciders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == sorted(
        [("approved", True)] + [("approved", False)] * 5, key=str
    )
    db.session.expire_all()
    assert _bonus_rows(n) == 1 and _points(org["eve"]) == 100
    assert _badges(org["eve"]) == ["recognised-advocate"]
    assert (
        db.session.scalar(
            select(func.count()).where(
                NominationTransition.nomination_id == n.id,
                NominationTransition.to_status == "approved",
            )
        )
        == 1
    )


# --- evidence --------------------------------------------------------------------------


def test_evidence_is_frozen_at_submission(org, freeze_time):
    category()
    kudos.give(
        kudos.GiveRequest(org["cal"].id, (org["eve"].id,), "Thanks for the launch!", points=10)
    )
    n = nominate(org["mia"], org["eve"])
    frozen = n.evidence
    assert frozen["points"] == 10 and frozen["rank"] == 1
    assert frozen["kudos"]["count"] == 1
    assert frozen["kudos"]["messages"][0]["message"] == "Thanks for the launch!"
    freeze_time("2026-11-21T09:00:00+00:00")
    kudos.give(
        kudos.GiveRequest(org["gus"].id, (org["eve"].id,), "Great webinar, truly.", points=5)
    )
    db.session.expire_all()
    stored = service.get(n.id)
    assert stored.evidence == frozen
    today = service.evidence.gather(org["eve"], "month", "2026-11")
    assert today["points"] == 15 and today["kudos"]["count"] == 2
