"""Kudos use cases; each one owns its transaction and commits.

The limits are checked over plain data first (`rules.check_give`, for errors
that name the field), then enforced by the database: the giver's month row and
each pair row are raised with a conditional UPDATE (`... WHERE given + n <=
allowance`), which concurrent gives queue on, and CHECK constraints refuse
anything that would still overspend.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from recognition.kudos import rules
from recognition.kudos.models import (
    Kudos,
    KudosAllowance,
    KudosComment,
    KudosPair,
    KudosReaction,
    KudosReceipt,
    KudosSettingsVersion,
)
from recognition.people import Employee
from scoring.human_awards import Award, lock_for_awards, record_awards, refresh_after_awards
from scoring.ledger import GenerationSwitched, in_write_transaction
from scoring.models import Event
from scoring.progress import notify
from scoring.storage import insert_many


class KudosRefused(Exception):
    """A broken rule; `errors` names the field and the rule."""

    def __init__(self, errors: dict[str, list[str]], status: int = 422):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors
        self.status = status


class KudosNotFound(LookupError):
    pass


@dataclass(frozen=True)
class GiveRequest:
    giver_id: int
    receiver_ids: tuple[int, ...]
    message: str
    value: str | None = None
    points: int = 0
    event_id: int | None = None
    idempotency_key: str | None = None
    unknown_receivers: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        body = {
            "receivers": sorted(self.receiver_ids),
            "message": rules.clean_message(self.message),
            "value": self.value,
            "points": self.points,
            "event": self.event_id,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# --- settings -----------------------------------------------------------------


def current_settings() -> rules.Settings:
    row = db.session.execute(
        select(KudosSettingsVersion.version, KudosSettingsVersion.document)
        .order_by(KudosSettingsVersion.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return rules.parse_settings(rules.DEFAULT_SETTINGS, 0)
    return rules.parse_settings(row.document, row.version)


def settings_history() -> list[KudosSettingsVersion]:
    return list(
        db.session.scalars(
            select(KudosSettingsVersion).order_by(KudosSettingsVersion.version.desc()).limit(20)
        )
    )


def save_settings(document: dict, note: str | None = None, by: str | None = None) -> int:
    """Validate and store the settings as the next version (SettingsError if bad)."""
    parsed = rules.parse_settings(document)
    begin_write(db.session)
    version = (db.session.scalar(select(func.max(KudosSettingsVersion.version))) or 0) + 1
    db.session.add(
        KudosSettingsVersion(
            version=version, document=parsed.to_document(), note=note, created_by=by
        )
    )
    db.session.commit()
    return version


# --- allowance ----------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    month: dt.date
    allowance: int
    given: int
    resets_at: dt.datetime

    @property
    def left(self) -> int:
        return max(self.allowance - self.given, 0)

    def to_dict(self) -> dict:
        return {
            "month": self.month.strftime("%Y-%m"),
            "allowance": self.allowance,
            "given": self.given,
            "left": self.left,
            "resets_at": self.resets_at.isoformat(),
        }


def _direct_reports(person_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Employee)
        .where(Employee.manager_id == person_id, Employee.active.is_(True))
    )


def _monthly_allowance(settings: rules.Settings, person: Employee) -> int:
    team = person.team.slug if person.team else None
    # Only managers get a bonus per report: nobody else needs them counted.
    reports = _direct_reports(person.id) if person.role == "manager" else 0
    return rules.allowance_for(settings, person.role, team, reports)


def allowance(person: Employee, settings: rules.Settings | None = None) -> Allowance:
    settings = settings or current_settings()
    tz = current_app.config["LAUREL_TZ"]
    month = rules.month_of(utcnow(), tz)
    given = db.session.scalar(
        select(KudosAllowance.given).where(
            KudosAllowance.giver_id == person.id, KudosAllowance.month == month
        )
    )
    return Allowance(
        month, _monthly_allowance(settings, person), given or 0, rules.resets_at(month, tz)
    )


# --- give ---------------------------------------------------------------------


def give(request: GiveRequest, refresh: bool = True) -> tuple[Kudos, bool]:
    """Give a kudos; returns it and whether it is new (False: the same key was used
    before with the same body). KudosRefused on a broken rule, status 409 when the
    key was used with another body. `refresh=False` leaves the boards to a rebuild
    that follows (the demo seed)."""
    settings = current_settings()
    fingerprint = request.fingerprint()

    def work() -> tuple[Kudos, list[int] | None]:
        existing = _by_key(request)
        if existing is not None:
            return existing, None
        return _give(request, settings, fingerprint)

    try:
        # IntegrityError: the same key raced in; the retry finds that kudos.
        kudos, people = in_write_transaction(work, retry_on=(IntegrityError,))
    except GenerationSwitched:
        raise KudosRefused({"_schema": ["busy; try again"]}, 409) from None
    if people is None:
        if kudos.request_hash != fingerprint:
            raise KudosRefused({"idempotency_key": ["already used for a different kudos"]}, 409)
        return kudos, False
    if refresh:
        refresh_after_awards(people)
    return kudos, True


def _by_key(request: GiveRequest) -> Kudos | None:
    if not request.idempotency_key:
        return None
    return db.session.scalar(
        select(Kudos).where(
            Kudos.giver_id == request.giver_id, Kudos.idempotency_key == request.idempotency_key
        )
    )


def _give(request: GiveRequest, settings: rules.Settings, fingerprint: str):
    tz = current_app.config["LAUREL_TZ"]
    now = utcnow()
    month = rules.month_of(now, tz)
    # The giver and the receivers in one read.
    found = {
        p.id: p
        for p in db.session.scalars(
            select(Employee).where(Employee.id.in_([request.giver_id, *request.receiver_ids]))
        )
    }
    giver = found.get(request.giver_id)
    if giver is None:
        raise KudosRefused({"giver_id": ["unknown employee"]})
    if request.giver_id not in request.receiver_ids:
        del found[request.giver_id]
    receivers = [found[i] for i in request.receiver_ids if i in found]
    monthly = _monthly_allowance(settings, giver)
    given = db.session.scalar(
        select(KudosAllowance.given).where(
            KudosAllowance.giver_id == giver.id, KudosAllowance.month == month
        )
    )
    pair_used = dict(
        db.session.execute(
            select(KudosPair.receiver_id, KudosPair.points).where(
                KudosPair.giver_id == giver.id,
                KudosPair.month == month,
                KudosPair.receiver_id.in_(list(found)),
            )
        ).all()
    )
    event_owner = None
    if request.event_id is not None:
        ref = db.session.scalar(select(Event.employee_ref).where(Event.id == request.event_id))
        owner = db.session.scalar(select(Employee.id).where(Employee.external_id == ref))
        event_owner = owner if owner is not None else -1

    def view(p: Employee) -> rules.PersonView:
        return rules.PersonView(p.id, p.name, p.active)

    errors = rules.check_give(
        settings,
        rules.GiveCheck(
            giver=view(giver),
            receivers=tuple(view(r) for r in receivers),
            message=request.message,
            value=request.value,
            points=request.points,
            allowance_left=max(monthly - (given or 0), 0),
            pair_used=pair_used,
            event_owner=event_owner,
            unknown_receivers=request.unknown_receivers,
        ),
    )
    if errors:
        raise KudosRefused(errors)
    if request.points:
        _spend(giver.id, month, monthly, request.points * len(receivers))
        for r in sorted(receivers, key=lambda p: p.id):
            _spend_pair(giver.id, r, month, settings.pair_cap, request.points)
    kudos = Kudos(
        giver_id=giver.id,
        message=rules.clean_message(request.message),
        value=request.value,
        points=request.points,
        event_id=request.event_id,
        month=month,
        idempotency_key=request.idempotency_key,
        request_hash=fingerprint,
        settings_version=settings.version,
        created_at=now,
    )
    db.session.add(kudos)
    db.session.flush()
    receipts = [
        KudosReceipt(kudos_id=kudos.id, receiver_id=r.id, points=kudos.points) for r in receivers
    ]
    db.session.add_all(receipts)
    db.session.flush()
    names = ", ".join(r.name for r in receivers)
    lock = lock_for_awards([giver.id, *(r.id for r in receivers)])
    record_awards(
        [
            Award(giver.id, "kudos", kudos.id, "kudos_given", 0, now, f"Kudos to {names}"),
            *(
                Award(
                    receipt.receiver_id,
                    "kudos",
                    receipt.id,
                    "kudos_received",
                    receipt.points,
                    now,
                    f"Kudos from {giver.name}",
                )
                for receipt in receipts
            ),
        ],
        lock,
    )
    notify(
        [
            {
                "employee_id": receipt.receiver_id,
                "kind": "kudos_received",
                "key": f"kudos:{kudos.id}",
                "title": f"{giver.name} gave you kudos"
                + (f" (+{kudos.points} points)" if kudos.points else ""),
                "body": kudos.message[:300],
                "link": f"/kudos#kudos-{kudos.id}",
                "created_at": now,
            }
            for receipt in receipts
        ]
    )
    return kudos, [giver.id, *(r.id for r in receivers)]


def _spend(giver_id: int, month: dt.date, monthly: int, amount: int) -> None:
    insert_many(
        KudosAllowance.__table__,
        [{"giver_id": giver_id, "month": month, "allowance": monthly, "given": 0}],
        conflict=("giver_id", "month"),
    )
    a = KudosAllowance
    done = db.session.execute(
        update(a)
        .where(a.giver_id == giver_id, a.month == month, a.given + amount <= monthly)
        .values(given=a.given + amount, allowance=monthly)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        given = db.session.scalar(select(a.given).where(a.giver_id == giver_id, a.month == month))
        raise KudosRefused({"points": [f"allowance left: {max(monthly - (given or 0), 0)}"]})


def _spend_pair(giver_id: int, receiver: Employee, month: dt.date, cap: int, amount: int) -> None:
    insert_many(
        KudosPair.__table__,
        [
            {
                "giver_id": giver_id,
                "receiver_id": receiver.id,
                "month": month,
                "cap": cap,
                "points": 0,
            }
        ],
        conflict=("giver_id", "receiver_id", "month"),
    )
    p = KudosPair
    where = and_(p.giver_id == giver_id, p.receiver_id == receiver.id, p.month == month)
    done = db.session.execute(
        update(p)
        .where(where, p.points + amount <= cap)
        .values(points=p.points + amount, cap=cap)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        used = db.session.scalar(select(p.points).where(where)) or 0
        raise KudosRefused(
            {"points": [f"pair cap: {max(cap - used, 0)} left for {receiver.name} this month"]}
        )


# --- reactions ------------------------------------------------------------------


def _kudos_or_404(kudos_id: int) -> Kudos:
    kudos = db.session.get(Kudos, kudos_id)
    if kudos is None:
        raise KudosNotFound(kudos_id)
    return kudos


def react(kudos_id: int, employee_id: int) -> int:
    """Add this person's one "+1" (again is a no-op); returns the reaction count."""
    begin_write(db.session)
    try:
        _kudos_or_404(kudos_id)
        person = db.session.get(Employee, employee_id)
        if person is None or not person.active:
            raise KudosRefused({"employee_id": ["unknown or inactive employee"]})
        insert_many(
            KudosReaction.__table__,
            [{"kudos_id": kudos_id, "employee_id": employee_id, "created_at": utcnow()}],
            conflict=("kudos_id", "employee_id"),
        )
        count = reaction_counts([kudos_id]).get(kudos_id, 0)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return count


def unreact(kudos_id: int, employee_id: int) -> int:
    begin_write(db.session)
    try:
        _kudos_or_404(kudos_id)
        db.session.execute(
            delete(KudosReaction).where(
                KudosReaction.kudos_id == kudos_id, KudosReaction.employee_id == employee_id
            )
        )
        count = reaction_counts([kudos_id]).get(kudos_id, 0)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return count


def reaction_counts(kudos_ids) -> dict[int, int]:
    ids = list(kudos_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(KudosReaction.kudos_id, func.count())
            .where(KudosReaction.kudos_id.in_(ids))
            .group_by(KudosReaction.kudos_id)
        ).all()
    )


# --- comments ---------------------------------------------------------------------

MAX_COMMENTS_SHOWN = 50


def comment(kudos_id: int, author_id: int, message: str) -> CommentView:
    """Add a comment under a kudos (one level; the message rules of a kudos, with
    no minimum beyond one character). The giver and receivers are told, except
    the author. KudosRefused when the text is bad, the author is inactive, or the
    kudos was reversed."""

    def work() -> CommentView:
        kudos = _kudos_or_404(kudos_id)
        if errors := rules.message_errors(message):
            raise KudosRefused({"message": errors})
        author = db.session.get(Employee, author_id)
        if author is None or not author.active:
            raise KudosRefused({"employee_id": ["unknown or inactive employee"]})
        if kudos.reversed_at is not None:
            raise KudosRefused({"kudos": ["this kudos was reversed; it takes no comments"]}, 409)
        now = utcnow()
        row = KudosComment(
            kudos_id=kudos.id,
            author_id=author.id,
            message=rules.clean_message(message),
            created_at=now,
        )
        db.session.add(row)
        db.session.flush()
        told = {
            kudos.giver_id,
            *db.session.scalars(
                select(KudosReceipt.receiver_id).where(KudosReceipt.kudos_id == kudos.id)
            ),
        } - {author.id}
        notify(
            [
                {
                    "employee_id": person,
                    "kind": "kudos_comment",
                    "key": f"kudos-comment:{row.id}",
                    "title": f"{author.name} commented on a kudos",
                    "body": row.message[:300],
                    "link": f"/kudos#kudos-{kudos.id}",
                    "created_at": now,
                }
                for person in sorted(told)
            ]
        )
        return CommentView(row.id, _people([author.id])[author.id], row.message, row.created_at)

    return in_write_transaction(work)


@dataclass(frozen=True)
class CommentView:
    id: int
    author: Person
    message: str
    created_at: dt.datetime

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "author": self.author.to_dict(),
            "message": self.message,
            "created_at": self.created_at.isoformat(),
        }


def comments(kudos_id: int, limit: int = MAX_COMMENTS_SHOWN) -> list[CommentView]:
    """A kudos' comments, oldest first (KudosNotFound if there is no such kudos)."""
    _kudos_or_404(kudos_id)
    return _comments([kudos_id], limit)[0].get(kudos_id, [])


def _comments(kudos_ids, limit: int) -> tuple[dict[int, list[CommentView]], dict[int, int]]:
    """Up to `limit` comments per kudos, oldest first, and how many each has."""
    ids = list(kudos_ids)
    if not ids:
        return {}, {}
    c = KudosComment
    ranked = (
        select(
            c.id,
            c.kudos_id,
            c.author_id,
            c.message,
            c.created_at,
            func.row_number().over(partition_by=c.kudos_id, order_by=c.id).label("n"),
            func.count().over(partition_by=c.kudos_id).label("total"),
        )
        .where(c.kudos_id.in_(ids))
        .subquery()
    )
    rows = db.session.execute(select(ranked).where(ranked.c.n <= limit).order_by(ranked.c.id)).all()
    people = _people({r.author_id for r in rows})
    found: dict[int, list[CommentView]] = {}
    totals: dict[int, int] = {}
    for r in rows:
        found.setdefault(r.kudos_id, []).append(
            CommentView(r.id, people[r.author_id], r.message, r.created_at)
        )
        totals[r.kudos_id] = r.total
    return found, totals


def comment_counts(kudos_ids) -> dict[int, int]:
    ids = list(kudos_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(KudosComment.kudos_id, func.count())
            .where(KudosComment.kudos_id.in_(ids))
            .group_by(KudosComment.kudos_id)
        ).all()
    )


# --- reversal -------------------------------------------------------------------


def reverse(kudos_id: int, reason: str, by: str) -> Kudos:
    """Reverse a kudos: reversal rows in the ledger (never a deletion); totals, boards
    and kudos badges follow, and the points go back to the giver's allowance for
    that month. KudosRefused (409) if it is reversed already."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise KudosRefused({"reason": ["give a reason of 1 to 300 characters"]})

    def work() -> tuple[Kudos, list[int]]:
        kudos = db.session.scalar(select(Kudos).where(Kudos.id == kudos_id).with_for_update())
        if kudos is None:
            raise KudosNotFound(kudos_id)
        if kudos.reversed_at is not None:
            raise KudosRefused({"kudos": ["already reversed"]}, 409)
        kudos.reversed_at = utcnow()
        kudos.reversed_reason = reason
        kudos.reversed_by = by
        receipts = db.session.scalars(
            select(KudosReceipt).where(KudosReceipt.kudos_id == kudos.id)
        ).all()
        _refund(kudos, receipts)
        lock = lock_for_awards([r.receiver_id for r in receipts])
        # Dated as the kudos, so the periods it counted in lose it again.
        record_awards(
            [
                Award(
                    receipt.receiver_id,
                    "kudos",
                    receipt.id,
                    "kudos_reversed",
                    -receipt.points,
                    kudos.created_at,
                    f"Kudos reversed: {reason}",
                    quantity=-1,
                )
                for receipt in receipts
            ],
            lock,
        )
        return kudos, [r.receiver_id for r in receipts]

    try:
        kudos, receivers = in_write_transaction(work)
    except GenerationSwitched:
        raise KudosRefused({"_schema": ["busy; try again"]}, 409) from None
    refresh_after_awards(receivers)
    return kudos


def _refund(kudos: Kudos, receipts) -> None:
    """Give a reversed kudos' points back to its giver's allowance and pair limits
    for the month it was given in (a past month's allowance has lapsed anyway)."""
    total = sum(r.points for r in receipts)
    if not total:
        return
    a, p = KudosAllowance, KudosPair
    db.session.execute(
        update(a)
        .where(a.giver_id == kudos.giver_id, a.month == kudos.month)
        .values(given=a.given - total)
        .execution_options(synchronize_session=False)
    )
    for r in receipts:
        db.session.execute(
            update(p)
            .where(
                p.giver_id == kudos.giver_id, p.receiver_id == r.receiver_id, p.month == kudos.month
            )
            .values(points=p.points - r.points)
            .execution_options(synchronize_session=False)
        )


# --- reading ----------------------------------------------------------------------

MAX_FEED = 100


@dataclass(frozen=True)
class Person:
    id: int
    employee_id: str
    name: str
    team: str | None

    def to_dict(self) -> dict:
        return {"employee_id": self.employee_id, "name": self.name, "team": self.team}


@dataclass(frozen=True)
class KudosView:
    id: int
    giver: Person
    receivers: tuple[Person, ...]
    message: str
    value: str | None
    points: int
    created_at: dt.datetime
    reactions: int
    event: dict | None
    reversed: bool
    reacted: bool = False
    comment_count: int = 0
    # None when not asked for (the API lists them on their own).
    comments: tuple[CommentView, ...] | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "giver": self.giver.to_dict(),
            "receivers": [r.to_dict() for r in self.receivers],
            "message": self.message,
            "value": self.value,
            "points": self.points,
            "created_at": self.created_at.isoformat(),
            "reactions": self.reactions,
            "event": self.event,
            "reversed": self.reversed,
            "comments": self.comment_count,
        }


def _people(ids) -> dict[int, Person]:
    from recognition.people import Team

    ids = list(set(ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Employee.id, Employee.external_id, Employee.name, Team.slug)
        .outerjoin(Team, Team.id == Employee.team_id)
        .where(Employee.id.in_(ids))
    )
    return {row[0]: Person(*row) for row in rows}


def views(
    kudos: list[Kudos], viewer_id: int | None = None, with_comments: bool = False
) -> list[KudosView]:
    """The kudos as the feed and the API show them, in the order given; the pages
    ask for the comments too (the API counts them and lists them on their own)."""
    ids = [k.id for k in kudos]
    if not ids:
        return []
    receipts: dict[int, list[int]] = {}
    for kudos_id, receiver_id in db.session.execute(
        select(KudosReceipt.kudos_id, KudosReceipt.receiver_id)
        .where(KudosReceipt.kudos_id.in_(ids))
        .order_by(KudosReceipt.id)
    ):
        receipts.setdefault(kudos_id, []).append(receiver_id)
    people = _people([k.giver_id for k in kudos] + [r for rs in receipts.values() for r in rs])
    # Reaction counts and the viewer's own "+1" in one pass.
    r = KudosReaction
    mine_too = func.max(case((r.employee_id == (viewer_id or 0), 1), else_=0))
    counts: dict[int, int] = {}
    mine: set[int] = set()
    for kudos_id, count, reacted in db.session.execute(
        select(r.kudos_id, func.count(), mine_too).where(r.kudos_id.in_(ids)).group_by(r.kudos_id)
    ):
        counts[kudos_id] = count
        if reacted:
            mine.add(kudos_id)
    if with_comments:
        shown, comment_totals = _comments(ids, MAX_COMMENTS_SHOWN)
    else:
        shown, comment_totals = {}, comment_counts(ids)
    event_ids = [k.event_id for k in kudos if k.event_id is not None]
    events = {}
    if event_ids:
        events = {
            row[0]: {"source": row[1], "id": row[2]}
            for row in db.session.execute(
                select(Event.id, Event.source, Event.external_id).where(Event.id.in_(event_ids))
            )
        }
    return [
        KudosView(
            id=k.id,
            giver=people[k.giver_id],
            receivers=tuple(people[r] for r in receipts.get(k.id, [])),
            message=k.message,
            value=k.value,
            points=k.points,
            created_at=k.created_at,
            reactions=counts.get(k.id, 0),
            event=events.get(k.event_id),
            reversed=k.reversed_at is not None,
            reacted=k.id in mine,
            comment_count=comment_totals.get(k.id, 0),
            comments=tuple(shown.get(k.id, ())) if with_comments else None,
        )
        for k in kudos
    ]


def feed(
    *,
    employee_id: int | None = None,
    direction: str = "received",
    team_id: int | None = None,
    limit: int = 20,
    before: int | None = None,
    viewer_id: int | None = None,
    with_comments: bool = False,
) -> tuple[list[KudosView], int | None]:
    """Kudos newest first (by id), after the cursor `before`; returns the page and
    the next cursor (None on the last page)."""
    query = select(Kudos)
    if employee_id is not None:
        if direction == "given":
            query = query.where(Kudos.giver_id == employee_id)
        else:
            query = query.where(
                Kudos.id.in_(
                    select(KudosReceipt.kudos_id).where(KudosReceipt.receiver_id == employee_id)
                )
            )
    if team_id is not None:
        members = select(Employee.id).where(Employee.team_id == team_id)
        query = query.where(
            Kudos.id.in_(select(KudosReceipt.kudos_id).where(KudosReceipt.receiver_id.in_(members)))
        )
    if before is not None:
        query = query.where(Kudos.id < before)
    rows = list(db.session.scalars(query.order_by(Kudos.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return views(rows, viewer_id, with_comments), (rows[-1].id if more and rows else None)


def get(kudos_id: int) -> Kudos | None:
    return db.session.get(Kudos, kudos_id)


def received_this_month(person_id: int) -> tuple[int, int]:
    """(kudos received, points from them) in the current local month, reversals out."""
    month = rules.month_of(utcnow(), current_app.config["LAUREL_TZ"])
    row = db.session.execute(
        select(func.count(), func.coalesce(func.sum(KudosReceipt.points), 0))
        .join(Kudos, Kudos.id == KudosReceipt.kudos_id)
        .where(
            KudosReceipt.receiver_id == person_id,
            Kudos.month == month,
            Kudos.reversed_at.is_(None),
        )
    ).one()
    return int(row[0]), int(row[1])
