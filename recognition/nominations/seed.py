"""Nominations for the demo organisation: two categories and a season of
nominations in every state, made through the service at their own moments (the
clock is set to each), so evidence, timelines, ledger rows and notifications
are what live use would make."""

from __future__ import annotations

import datetime as dt
import random

from flask import current_app
from sqlalchemy import select

from recognition import clock
from recognition.extensions import db
from recognition.nominations import rules, service
from recognition.people import Employee
from scoring.ledger import org_today

REASONS = (
    "Shared every product launch post within the hour and answered the comments herself; "
    "two of the leads this month came from her threads.",
    "Turned our customer story into a short video series that the whole company reshared. "
    "He also coached three colleagues through their first posts.",
    "Kept the webinar series going while the team was short-handed, and wrote the follow-up "
    "posts that brought in the most sign-ups of the quarter.",
    "Always the first to thank others and to share their work; the team's kudos doubled "
    "after she started the weekly highlights thread.",
    "Answered partner questions in public threads with patience and detail, which made "
    "our community page the go-to place for the new release.",
)


def seed_nominations(rng: random.Random) -> dict:
    """Categories and nominations for this month and the last; returns the count."""
    people = list(db.session.scalars(select(Employee).where(Employee.active.is_(True))))
    admins = [p for p in people if p.role == "admin"]
    by_id = {p.id: p for p in people}
    # Managers whose reports have a second-line manager: step 1 has someone to decide it.
    teams = [
        (m, [r for r in people if r.manager_id == m.id])
        for m in people
        if m.role == "manager" and m.manager_id in by_id
    ]
    teams = [(m, reports) for m, reports in teams if len(reports) >= 3]
    if not admins or len(teams) < 2:
        return {"nominations": 0}
    service.save_category(
        {
            "name": "Advocate of the month",
            "description": "A manager's pick: the report whose advocacy stood out this month.",
            "period": "month",
            "badge": "recognised-advocate"
            if "recognised-advocate" in service.manual_badges()
            else None,
            "bonus_points": 100,
            "who_may_nominate": "reports",
            "steps": [{"decider": "second_line_manager"}, {"decider": "admin"}],
        },
        by="demo seed",
    )
    committee = [p.external_id for p in admins] + [teams[0][0].external_id]
    service.save_category(
        {
            "name": "Community champion",
            "description": "Anyone may nominate; the recognition committee decides.",
            "period": "quarter",
            "badge": None,
            "bonus_points": 250,
            "who_may_nominate": "anyone",
            "steps": [{"decider": "group", "group": committee}],
        },
        by="demo seed",
    )
    tz = current_app.config["LAUREL_TZ"]
    today = org_today()
    this_first = today.replace(day=1)
    last_first = (this_first - dt.timedelta(days=1)).replace(day=1)

    def at(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)

    made = 0
    real_now = clock.utcnow()
    # Each step at its own moment; the clock is put back as it was afterwards.
    with clock.frozen_at(real_now):
        (m1, reports1), (m2, reports2) = rng.sample(teams, 2)
        second = {m.id: m.manager_id for m, _ in teams}
        plans = [
            # (nominator, nominee, category, period start, outcome)
            (m1, rng.choice(reports1), "advocate-of-the-month", last_first, "approved"),
            (m2, rng.choice(reports2), "advocate-of-the-month", last_first, "declined"),
            (m1, rng.choice(reports1), "advocate-of-the-month", this_first, "in_review"),
            (m2, rng.choice(reports2), "advocate-of-the-month", this_first, "submitted"),
            (m2, rng.choice(reports2), "advocate-of-the-month", this_first, "withdrawn"),
        ]
        champion = rng.choice([p for p in people if p.role == "employee"])
        fan = rng.choice([p for p in people if p.role == "employee" and p.id != champion.id])
        plans.append((fan, champion, "community-champion", this_first, "submitted"))
        used: set[tuple[int, str, dt.date]] = set()
        for i, (nominator, nominee, slug, first, outcome) in enumerate(plans):
            if (nominee.id, slug, first) in used:
                continue
            used.add((nominee.id, slug, first))
            row = service.category(slug)
            start = at(first + dt.timedelta(days=min(2 + i, 9)), 10)
            if start >= at(today, 12) and first == this_first:
                start = at(this_first, 9)
            clock.freeze(min(start, real_now))
            try:
                n, _ = service.nominate(
                    service.NominateRequest(
                        nominator_id=nominator.id,
                        nominee_id=nominee.id,
                        category=slug,
                        period=rules.period_label(row.period, first),
                        reason=REASONS[i % len(REASONS)],
                    )
                )
            except service.NominationRefused:
                continue
            made += 1
            later = min(clock.utcnow() + dt.timedelta(hours=5), real_now)
            clock.freeze(later)
            if outcome == "withdrawn":
                service.withdraw(n.id, nominator.id)
            elif outcome == "declined":
                service.decline(
                    n.id,
                    second[nominator.id],
                    "A strong month, but the team's numbers were even across the board; "
                    "nominate again next month.",
                )
            elif outcome in ("in_review", "approved"):
                service.approve(n.id, second[nominator.id], refresh=False)
                # Step 2: an admin who neither made, received nor decided step 1.
                involved = {nominator.id, nominee.id, second[nominator.id]}
                decider = next((a for a in admins if a.id not in involved), None)
                if outcome == "approved" and decider is not None:
                    clock.freeze(min(later + dt.timedelta(hours=20), real_now))
                    service.approve(n.id, decider.id, refresh=False)
                    service.set_show_reasons(nominee, True)
    return {"nominations": made}
