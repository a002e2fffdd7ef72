"""A believable kudos history for the demo organisation.

Most people give a few kudos a month, some never; points are small and go to
different colleagues, so the fairness review flags nobody among them (at most
10 points to one person a month, never enough to pass its thresholds). Two
stories in the previous month are there for the review to find: one person
who sent all their points to one colleague, and a pair trading points back
and forth (who also thank others, so only the trade is flagged).

Gives go through the service at their own moments (the clock is set to each),
so the ledger, allowances and notifications are what live use would make.
"""

from __future__ import annotations

import datetime as dt
import random

from flask import current_app

from recognition import clock
from recognition.kudos import rules, service
from recognition.people import Employee

MESSAGES = (
    "Thanks for jumping on that customer call at short notice.",
    "Your post about the launch got our whole team talking. Thank you!",
    "Thank you for reviewing my deck so carefully.",
    "Great job sharing the case study, it brought in two leads.",
    "Thanks for the patient onboarding walkthrough.",
    "You made the webinar run smoothly, thank you!",
    "Thanks for covering for me during the offsite.",
    "Loved your thread on hiring, so many people reshared it.",
    "Thank you for untangling the pricing question for the client.",
    "Your comments on my article made it much better. Thanks!",
)
GIVER_SHARE = 0.7  # of people give at all; the rest never do


def seed_kudos(people: list[Employee], rng: random.Random, now: dt.datetime) -> dict:
    """Kudos for this month (up to now) and the last; returns the counts and the
    (giver, receiver) pairs seeded for the fairness review to flag, by HR id."""
    tz = current_app.config["LAUREL_TZ"]
    settings = service.current_settings()
    active = [p for p in people if p.active]
    # The two stories take four people, and each trader also thanks three others.
    if len(active) < 4 + 3:
        return {"kudos": 0, "flagged": {}}
    this_month = rules.month_of(now, tz)
    last_month = rules.month_of(
        dt.datetime.combine(this_month, dt.time(), tzinfo=tz) - dt.timedelta(days=1), tz
    )
    story = rng.sample(active, 4)
    lone_giver, favourite, trader_a, trader_b = story
    plans: list[tuple[dt.datetime, Employee, list[Employee], int]] = []

    def moment(month: dt.date, low_day: int = 1) -> dt.datetime | None:
        end = (
            now
            if month == this_month
            else dt.datetime.combine(rules.next_month(month), dt.time(), tzinfo=tz)
        )
        start = dt.datetime.combine(month.replace(day=low_day), dt.time(9), tzinfo=tz)
        if end <= start:
            return None
        return start + (end - start) * rng.random()

    givers = [p for p in active if p not in story and rng.random() < GIVER_SHARE]
    for month in (last_month, this_month):
        for giver in givers:
            others = [p for p in active if p.id != giver.id]
            receivers = rng.sample(others, min(len(others), rng.randint(0, 4)))
            # One to three kudos a month, each to one or two colleagues (distinct).
            while receivers:
                take = receivers[: rng.choice((1, 1, 2))]
                receivers = receivers[len(take) :]
                at = moment(month)
                if at is not None:
                    plans.append((at, giver, take, rng.choice((0, 0, 5, 10))))
    # The two stories, in the previous month.
    for day in (4, 11, 18):
        plans.append((_day(last_month, day, tz), lone_giver, [favourite], 15))
    others = [p for p in active if p not in story]
    for giver, partner in ((trader_a, trader_b), (trader_b, trader_a)):
        for day in (6, 20):
            plans.append((_day(last_month, day, tz), giver, [partner], 20))
        for i, colleague in enumerate(rng.sample(others, 3)):
            plans.append((_day(last_month, 8 + i, tz), giver, [colleague], 10))
    plans.sort(key=lambda plan: plan[0])
    made = 0
    for at, giver, receivers, points in plans:
        with clock.frozen_at(at):
            try:
                service.give(
                    service.GiveRequest(
                        giver_id=giver.id,
                        receiver_ids=tuple(r.id for r in receivers),
                        message=rng.choice(MESSAGES),
                        value=rng.choice((None, *settings.values)),
                        points=points,
                    ),
                    refresh=False,  # the seed rebuilds every board at the end
                )
                made += 1
            except service.KudosRefused:
                continue  # a person's own limits: the demo skips that one
    return {
        "kudos": made,
        "flagged": {
            "concentration": (lone_giver.external_id, favourite.external_id),
            "trading": tuple(sorted((trader_a.external_id, trader_b.external_id))),
            "month": last_month,
        },
    }


def _day(month: dt.date, day: int, tz) -> dt.datetime:
    return dt.datetime.combine(month.replace(day=day), dt.time(11), tzinfo=tz)
