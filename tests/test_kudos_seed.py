"""The demo's kudos history: believable, and the fairness review flags exactly its
two seeded stories."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select

from recognition.extensions import db
from recognition.kudos import fairness
from recognition.kudos.jobs import fairness_job
from recognition.kudos.models import Kudos
from recognition.kudos.seed import seed_kudos
from recognition.people import Employee
from scoring.models import Notification
from tests.helpers import add_person


def test_the_fairness_job_flags_exactly_the_seeded_pairs(app, freeze_time):
    now = freeze_time("2026-03-15T12:00:00+00:00")
    add_person("ADMIN", role="admin")
    for i in range(40):
        add_person(f"P{i:02d}", team=("sales", "support", "product")[i % 3])
    people = list(db.session.scalars(select(Employee).order_by(Employee.id)))
    seeded = seed_kudos(people, random.Random(7), now)
    assert seeded["kudos"] > 60
    # Most people give, some never do.
    givers = db.session.scalar(select(func.count(func.distinct(Kudos.giver_id))))
    assert 20 < givers < len(people)
    flagged = seeded["flagged"]
    assert flagged["month"] == dt.date(2026, 2, 1)
    flags = fairness.current_flags()
    by_ref = {p.id: p.external_id for p in people}
    found = {(f.flag.kind, tuple(sorted(by_ref[p] for p in f.flag.people))) for f in flags}
    assert found == {
        ("concentration", tuple(sorted(flagged["concentration"]))),
        ("trading", flagged["trading"]),
    }
    concentration = next(f for f in flags if f.flag.kind == "concentration")
    assert (concentration.first.employee_id, concentration.second.employee_id) == flagged[
        "concentration"
    ]
    # The nightly job tells the admin about each flag once.
    assert fairness_job() == {"day": "2026-03-15", "flags": 2, "admins": 1}
    assert fairness_job() is None
    told = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "kudos_flag")
    )
    assert told == 2


def test_the_kudos_review_command(app, runner, freeze_time):
    freeze_time("2026-03-15T12:00:00+00:00")
    from recognition.kudos import service

    a, b = add_person("A"), add_person("B")
    service.give(service.GiveRequest(a.id, (b.id,), "Thanks for everything!", points=50))
    result = runner.invoke(args=["laurel", "kudos-review"])
    assert result.exit_code == 0, result.output
    assert "2026-03 concentration: Person A / Person B: 50 of 50 points" in result.output
