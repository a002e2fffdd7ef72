"""The fairness review: the flags (pure, `rules.fairness_flags`) over the kudos data,
for the admin page, the API, the nightly job and the CLI."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from recognition.kudos import rules, service
from recognition.kudos.models import Kudos, KudosReceipt
from recognition.people import Employee
from scoring.progress import notify


@dataclass(frozen=True)
class FlagView:
    flag: rules.Flag
    first: service.Person
    second: service.Person

    @property
    def key(self) -> str:
        f = self.flag
        return f"kudos-flag:{f.kind}:{f.month:%Y-%m}:{f.people[0]}:{f.people[1]}"

    def to_dict(self) -> dict:
        f = self.flag
        return {
            "kind": f.kind,
            "month": f"{f.month:%Y-%m}",
            "giver" if f.kind == "concentration" else "first": self.first.to_dict(),
            "receiver" if f.kind == "concentration" else "second": self.second.to_dict(),
            "points": f.points,
            "detail": f.detail,
        }


def _months(today_month: dt.date, count: int) -> list[dt.date]:
    months = [today_month]
    for _ in range(count - 1):
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    return months


def flags_for(months: list[dt.date]) -> list[FlagView]:
    settings = service.current_settings()
    rows = db.session.execute(
        select(Kudos.giver_id, KudosReceipt.receiver_id, Kudos.month, KudosReceipt.points)
        .join(KudosReceipt, KudosReceipt.kudos_id == Kudos.id)
        .where(Kudos.month.in_(months), Kudos.reversed_at.is_(None), KudosReceipt.points > 0)
    )
    flags = rules.fairness_flags(settings, (rules.Gift(*row) for row in rows))
    people = service._people({p for f in flags for p in f.people})
    return [FlagView(f, people[f.people[0]], people[f.people[1]]) for f in flags]


def current_flags() -> list[FlagView]:
    """Flags for this local month and the one before."""
    month = rules.month_of(utcnow(), current_app.config["LAUREL_TZ"])
    return flags_for(_months(month, 2))


def history(flag: FlagView, limit: int = 50) -> list[service.KudosView]:
    """The kudos behind a flag, newest first: between the two people, both ways."""
    a, b = flag.flag.people
    pair = select(KudosReceipt.kudos_id).where(
        ((Kudos.giver_id == a) & (KudosReceipt.receiver_id == b))
        | ((Kudos.giver_id == b) & (KudosReceipt.receiver_id == a))
    )
    pair = pair.join(Kudos, Kudos.id == KudosReceipt.kudos_id)
    rows = db.session.scalars(
        select(Kudos).where(Kudos.id.in_(pair)).order_by(Kudos.id.desc()).limit(limit)
    ).all()
    return service.views(list(rows))


def review() -> dict[str, int]:
    """The nightly run: tell the admins about each new flag once (a notification
    keyed by the flag); returns how many flags there are and how many were new."""
    flags = current_flags()
    admins = list(
        db.session.scalars(
            select(Employee.id).where(Employee.role == "admin", Employee.active.is_(True))
        )
    )
    begin_write(db.session)
    now = utcnow()
    notify(
        [
            {
                "employee_id": admin,
                "kind": "kudos_flag",
                "key": f.key,
                "title": f"Kudos fairness flag: {f.first.name} and {f.second.name}",
                "body": f.flag.detail,
                "link": "/admin/kudos",
                "created_at": now,
            }
            for f in flags
            for admin in admins
        ]
    )
    db.session.commit()
    return {"flags": len(flags), "admins": len(admins)}
