"""Nomination use cases; each one owns its transaction and commits.

The rules are checked over plain data (`rules`) for errors that name the field;
the database enforces what must hold under concurrency: the partial unique
index (one open or won nomination per nominee, category and period), one
decision row per step (its primary key), and a conditional UPDATE that moves
a nomination on only from the step it was read at. A decision locks the
nomination row first (FOR UPDATE; SQLite serialises writers), so two approvers
clicking at once queue, and the second finds the step decided: its approve is
a no-op answering the same result. The final approval pays the category's
badge and bonus points through the ledger (cause `nomination`), exactly once:
the ledger row is unique per cause and rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from recognition.nominations import evidence, rules
from recognition.nominations.models import (
    OPEN,
    Nomination,
    NominationCategory,
    NominationDecision,
    NominationTransition,
)
from recognition.people import Employee
from scoring.badges import grant_manual
from scoring.human_awards import lock_for_awards, record_award, refresh_after_awards
from scoring.ledger import GenerationSwitched, org_today
from scoring.progress import notify
from scoring.rulesets import ensure_scoring_setup, live_scoring

BONUS_RULE = "nomination_bonus"


class NominationRefused(Exception):
    """A broken rule; `errors` names the field and the rule; `status` the HTTP answer."""

    def __init__(self, errors: dict[str, list[str]], status: int = 422):
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors
        self.status = status


class NominationNotFound(LookupError):
    pass


# --- categories -------------------------------------------------------------------


def manual_badges() -> dict[str, str]:
    """The badges an approval may give (manual ones of the live ruleset): slug -> name."""
    ensure_scoring_setup()
    return {b.slug: b.name for b in live_scoring().ruleset.badges if b.kind == "manual"}


def _latest_ids():
    return select(func.max(NominationCategory.id)).group_by(NominationCategory.slug)


def categories(include_inactive: bool = False) -> list[NominationCategory]:
    """The current version of every category, by name."""
    query = select(NominationCategory).where(NominationCategory.id.in_(_latest_ids()))
    if not include_inactive:
        query = query.where(NominationCategory.active.is_(True))
    return list(db.session.scalars(query.order_by(NominationCategory.name)))


def category(slug: str) -> NominationCategory | None:
    return db.session.scalar(
        select(NominationCategory)
        .where(NominationCategory.slug == slug)
        .order_by(NominationCategory.version.desc())
        .limit(1)
    )


def category_history(slug: str) -> list[NominationCategory]:
    return list(
        db.session.scalars(
            select(NominationCategory)
            .where(NominationCategory.slug == slug)
            .order_by(NominationCategory.version.desc())
            .limit(20)
        )
    )


def as_rules(row: NominationCategory) -> rules.Category:
    return rules.Category(
        slug=row.slug,
        name=row.name,
        description=row.description,
        period=row.period,
        badge=row.badge,
        bonus_points=row.bonus_points,
        who_may_nominate=row.who_may_nominate,
        steps=rules.steps_from_document(row.steps),
        active=row.active,
        version=row.version,
    )


def _group_people(doc: dict) -> dict[str, int]:
    refs = set()
    for step in doc.get("steps") or []:
        if isinstance(step, dict) and isinstance(step.get("group"), list):
            refs |= {str(r)[:64] for r in step["group"][: rules.MAX_GROUP + 1]}
    if not refs:
        return {}
    rows = db.session.execute(
        select(Employee.external_id, Employee.id).where(
            Employee.external_id.in_(refs), Employee.active.is_(True)
        )
    )
    return dict(rows.all())


def save_category(
    doc: dict, slug: str | None = None, note: str | None = None, by: str | None = None
) -> NominationCategory:
    """Validate and store a category as its next version (a new one without `slug`).
    rules.CategoryError when the document breaks a rule."""
    existing = category(slug) if slug else None
    if slug and existing is None:
        raise NominationNotFound(slug)
    parsed = rules.parse_category(doc, set(manual_badges()), _group_people(doc), slug=slug)
    begin_write(db.session)
    try:
        if existing is None and category(parsed.slug) is not None:
            raise rules.CategoryError({"name": ["a category with this name exists; edit it"]})
        version = (
            db.session.scalar(
                select(func.max(NominationCategory.version)).where(
                    NominationCategory.slug == parsed.slug
                )
            )
            or 0
        ) + 1
        row = NominationCategory(
            slug=parsed.slug,
            version=version,
            name=parsed.name,
            description=parsed.description,
            period=parsed.period,
            badge=parsed.badge,
            bonus_points=parsed.bonus_points,
            who_may_nominate=parsed.who_may_nominate,
            steps=[s.to_document() for s in parsed.steps],
            active=parsed.active,
            note=(note or None) and note[:500],
            created_by=by,
        )
        db.session.add(row)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise rules.CategoryError({"name": ["saved by someone else just now; try again"]}) from exc
    except BaseException:
        db.session.rollback()
        raise
    return row


# --- nominating --------------------------------------------------------------------


@dataclass(frozen=True)
class NominateRequest:
    nominator_id: int
    nominee_id: int | None
    category: str
    period: str
    reason: str
    idempotency_key: str | None = None
    unknown_nominee: str | None = None


def _view(person: Employee) -> rules.PersonView:
    return rules.PersonView(person.id, person.name, person.active, person.role, person.manager_id)


def _reports(person_id: int) -> frozenset[int]:
    return frozenset(
        db.session.scalars(
            select(Employee.id).where(Employee.manager_id == person_id, Employee.active.is_(True))
        )
    )


def check(request: NominateRequest) -> tuple[dict[str, list[str]], dict]:
    """The errors a nomination would meet, and the objects it names (for forms)."""
    nominator = db.session.get(Employee, request.nominator_id)
    if nominator is None:
        return {"nominator_id": ["unknown employee"]}, {}
    nominee = db.session.get(Employee, request.nominee_id) if request.nominee_id else None
    row = category(request.category) if request.category else None
    errors = rules.check_nomination(
        rules.NominateCheck(
            nominator=_view(nominator),
            nominee=_view(nominee) if nominee else None,
            category=as_rules(row) if row else None,
            period=request.period,
            reason=request.reason,
            today=org_today(),
            reports=_reports(nominator.id),
        )
    )
    if request.unknown_nominee:
        errors["nominee_id"] = [f"unknown employee {request.unknown_nominee!r}"]
    return errors, {"nominator": nominator, "nominee": nominee, "category": row}


def nominate(request: NominateRequest) -> tuple[Nomination, bool]:
    """Submit a nomination with its evidence frozen; returns it and whether it is new
    (False: the same idempotency key made it before). NominationRefused on a broken
    rule (409 for a duplicate)."""
    ensure_scoring_setup()
    begin_write(db.session)
    try:
        if request.idempotency_key:
            existing = db.session.scalar(
                select(Nomination).where(
                    Nomination.nominator_id == request.nominator_id,
                    Nomination.idempotency_key == request.idempotency_key,
                )
            )
            if existing is not None:
                db.session.commit()
                return existing, False
        errors, found = check(request)
        if errors:
            raise NominationRefused(errors)
        nominee, row = found["nominee"], found["category"]
        if _held(nominee.id, row.slug, request.period):
            raise NominationRefused({"nominee_id": [_DUPLICATE]}, 409)
        now = utcnow()
        nomination = Nomination(
            category_id=row.id,
            category_slug=row.slug,
            nominator_id=request.nominator_id,
            nominee_id=nominee.id,
            period=request.period,
            reason=rules.clean_reason(request.reason),
            status="submitted",
            step=1,
            steps=len(row.steps),
            evidence=evidence.gather(nominee, row.period, request.period),
            idempotency_key=request.idempotency_key,
            created_at=now,
        )
        db.session.add(nomination)
        db.session.flush()
        _transition(nomination, None, "submitted", request.nominator_id, None, now)
        nominator = found["nominator"]
        notify(
            [
                {
                    "employee_id": nominee.id,
                    "kind": "nomination_submitted",
                    "key": f"nomination:{nomination.id}:submitted",
                    "title": f"{nominator.name} nominated you for {row.name}",
                    "body": "It is under review; you will hear when it is decided.",
                    "link": f"/nominations/{nomination.id}",
                    "created_at": now,
                }
            ]
        )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        # The partial unique index (a concurrent nomination of the same person) or the key.
        raise NominationRefused({"nominee_id": [_DUPLICATE]}, 409) from exc
    except BaseException:
        db.session.rollback()
        raise
    return nomination, True


_DUPLICATE = "already nominated for this category and period (open or approved)"


def _held(nominee_id: int, slug: str, period: str) -> bool:
    return (
        db.session.scalar(
            select(func.count()).where(
                Nomination.nominee_id == nominee_id,
                Nomination.category_slug == slug,
                Nomination.period == period,
                Nomination.status.in_(("submitted", "in_review", "approved")),
            )
        )
        > 0
    )


def _transition(nomination, from_status, to_status, actor_id, note, at, step=None) -> None:
    db.session.add(
        NominationTransition(
            nomination_id=nomination.id,
            from_status=from_status,
            to_status=to_status,
            step=step or nomination.step,
            actor_id=actor_id,
            note=note,
            at=at,
        )
    )


# --- deciding ----------------------------------------------------------------------


def second_line_manager(nominee: Employee) -> int | None:
    if nominee.manager_id is None:
        return None
    return db.session.scalar(select(Employee.manager_id).where(Employee.id == nominee.manager_id))


def _decisions(nomination_id: int) -> dict[int, NominationDecision]:
    return {
        d.step: d
        for d in db.session.scalars(
            select(NominationDecision).where(NominationDecision.nomination_id == nomination_id)
        )
    }


def _chain(nomination: Nomination) -> tuple[rules.Step, ...]:
    row = db.session.get(NominationCategory, nomination.category_id)
    return rules.steps_from_document(row.steps)


def refusal(nomination: Nomination, person: Employee) -> str | None:
    """Why `person` may not decide the waiting step (None: they may)."""
    if nomination.status not in OPEN:
        return "this nomination is decided"
    nominee = db.session.get(Employee, nomination.nominee_id)
    decided = _decisions(nomination.id)
    return rules.refusal_to_decide(
        rules.DecideCheck(
            step=_chain(nomination)[nomination.step - 1],
            actor=_view(person),
            nominator_id=nomination.nominator_id,
            nominee_id=nomination.nominee_id,
            second_line_id=second_line_manager(nominee),
            decided_by=frozenset(d.decider_id for d in decided.values()),
        )
    )


def _locked(nomination_id: int) -> Nomination:
    nomination = db.session.scalar(
        select(Nomination).where(Nomination.id == nomination_id).with_for_update()
    )
    if nomination is None:
        raise NominationNotFound(nomination_id)
    return nomination


def _actor(actor_id: int) -> Employee:
    actor = db.session.get(Employee, actor_id)
    if actor is None:
        raise NominationRefused({"actor_id": ["unknown employee"]})
    return actor


def _repeat(nomination: Nomination, actor: Employee, outcome: str, step: int | None) -> bool:
    """Is this request a repeat of a decision already made (a double click, a retry,
    a second approver of a step someone just decided)? Then it answers the same."""
    decided = _decisions(nomination.id)
    if step is not None:
        done = decided.get(step)
        return done is not None and done.outcome == outcome
    if any(d.decider_id == actor.id and d.outcome == outcome for d in decided.values()):
        return True
    return outcome == "approved" and nomination.status == "approved"


def _decide(nomination_id: int, actor_id: int, outcome: str, reason: str | None, step):
    nomination = _locked(nomination_id)
    actor = _actor(actor_id)
    if _repeat(nomination, actor, outcome, step):
        return nomination, False, None
    if nomination.status not in OPEN:
        raise NominationRefused({"status": [f"this nomination is {nomination.status}"]}, 409)
    if step is not None and step != nomination.step:
        raise NominationRefused({"step": [f"step {nomination.step} is the one waiting"]}, 409)
    why = refusal(nomination, actor)
    if why:
        raise NominationRefused({"actor_id": [why]}, 403)
    now = utcnow()
    waiting = nomination.step
    if outcome == "approved":
        status, next_step = rules.after_approval(waiting, nomination.steps)
    else:
        status, next_step = "declined", waiting
    before = nomination.status
    # Moves on only from the step it was read at: a second writer changes nothing.
    moved = db.session.execute(
        update(Nomination)
        .where(
            Nomination.id == nomination.id,
            Nomination.step == waiting,
            Nomination.status.in_(OPEN),
        )
        .values(
            status=status,
            step=next_step,
            decline_reason=reason if outcome == "declined" else None,
            decided_at=now if status in ("approved", "declined") else None,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise NominationRefused({"step": ["decided by someone else just now"]}, 409)
    db.session.add(
        NominationDecision(
            nomination_id=nomination.id,
            step=waiting,
            decider_id=actor.id,
            outcome=outcome,
            reason=reason,
            decided_at=now,
        )
    )
    db.session.flush()
    db.session.refresh(nomination)
    note = reason if outcome == "declined" else None
    _transition(nomination, before, status, actor.id, note, now, step=waiting)
    return nomination, True, now


def approve(
    nomination_id: int, actor_id: int, step: int | None = None, refresh: bool = True
) -> tuple[Nomination, bool]:
    """Approve the waiting step as `actor_id`; returns the nomination and whether it
    changed. The last step pays the badge and the bonus points exactly once.
    `refresh=False` leaves the boards to a rebuild that follows (the demo seed)."""
    ensure_scoring_setup()
    for _attempt in range(3):
        begin_write(db.session)
        try:
            nomination, changed, now = _decide(nomination_id, actor_id, "approved", None, step)
            if changed:
                if nomination.status == "approved":
                    _pay(nomination, actor_id, now)
                else:
                    _tell_step(nomination, now)
            db.session.commit()
        except GenerationSwitched:
            db.session.rollback()
            continue
        except IntegrityError as exc:
            # Another writer decided the step (the decision's primary key).
            db.session.rollback()
            nomination = get(nomination_id)
            if nomination is not None and nomination.status == "approved":
                return nomination, False
            raise NominationRefused({"step": ["decided by someone else just now"]}, 409) from exc
        except BaseException:
            db.session.rollback()
            raise
        if refresh and changed and nomination.status == "approved":
            refresh_after_awards([nomination.nominee_id])
        return nomination, changed
    raise NominationRefused({"_schema": ["busy; try again"]}, 409)


def _pay(nomination: Nomination, actor_id: int, now: dt.datetime) -> None:
    row = db.session.get(NominationCategory, nomination.category_id)
    nominee = db.session.get(Employee, nomination.nominee_id)
    lock_for_awards([nominee.id])
    live = live_scoring()
    label = rules.period_name(row.period, nomination.period)
    record_award(
        employee_id=nominee.id,
        cause_type="nomination",
        cause_id=nomination.id,
        rule=BONUS_RULE,
        points=row.bonus_points,
        occurred_at=now,
        reason=f"Nomination won: {row.name}, {label}",
    )
    if row.badge and any(b.slug == row.badge for b in live.ruleset.badges):
        award = grant_manual(
            live.generation,
            live.ruleset,
            nominee.id,
            row.badge,
            by=f"nomination:{nomination.id}",
            cause_type="nomination",
            cause_id=nomination.id,
        )
        if award is not None:
            nomination.badge_level = award.level
    nominator = db.session.get(Employee, nomination.nominator_id)
    body = f"{row.name}, {label}: +{row.bonus_points} points"
    notify(
        [
            {
                "employee_id": nominee.id,
                "kind": "nomination_approved",
                "key": f"nomination:{nomination.id}:approved",
                "title": f"You won {row.name} ({label})",
                "body": f"Nominated by {nominator.name}. +{row.bonus_points} points.",
                "link": f"/nominations/{nomination.id}",
                "created_at": now,
            },
            {
                "employee_id": nominator.id,
                "kind": "nomination_approved",
                "key": f"nomination:{nomination.id}:approved",
                "title": f"Your nomination of {nominee.name} was approved",
                "body": body,
                "link": f"/nominations/{nomination.id}",
                "created_at": now,
            },
        ]
    )


def _tell_step(nomination: Nomination, now: dt.datetime) -> None:
    nominee = db.session.get(Employee, nomination.nominee_id)
    done = nomination.step - 1
    notify(
        [
            {
                "employee_id": nomination.nominator_id,
                "kind": "nomination_step",
                "key": f"nomination:{nomination.id}:step:{done}",
                "title": f"Your nomination of {nominee.name} passed step {done} of "
                f"{nomination.steps}",
                "body": f"Step {nomination.step} is next.",
                "link": f"/nominations/{nomination.id}",
                "created_at": now,
            }
        ]
    )


def decline(
    nomination_id: int, actor_id: int, reason: str, step: int | None = None
) -> tuple[Nomination, bool]:
    """Decline the waiting step, with a reason; the nominator is told why."""
    problem = rules.check_decline_reason(reason)
    if problem:
        raise NominationRefused({"reason": [problem]})
    reason = reason.strip()
    begin_write(db.session)
    try:
        nomination, changed, now = _decide(nomination_id, actor_id, "declined", reason, step)
        if changed:
            nominee = db.session.get(Employee, nomination.nominee_id)
            notify(
                [
                    {
                        "employee_id": nomination.nominator_id,
                        "kind": "nomination_declined",
                        "key": f"nomination:{nomination.id}:declined",
                        "title": f"Your nomination of {nominee.name} was declined",
                        "body": reason[:300],
                        "link": f"/nominations/{nomination.id}",
                        "created_at": now,
                    }
                ]
            )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise NominationRefused({"step": ["decided by someone else just now"]}, 409) from exc
    except BaseException:
        db.session.rollback()
        raise
    return nomination, changed


def withdraw(nomination_id: int, actor_id: int) -> tuple[Nomination, bool]:
    """The nominator takes an open nomination back (again: a no-op)."""
    begin_write(db.session)
    try:
        nomination = _locked(nomination_id)
        actor = _actor(actor_id)
        if actor.id != nomination.nominator_id:
            raise NominationRefused({"actor_id": ["only the nominator may withdraw it"]}, 403)
        if nomination.status == "withdrawn":
            db.session.commit()
            return nomination, False
        if nomination.status not in OPEN:
            raise NominationRefused(
                {
                    "status": [
                        f"this nomination is {nomination.status}; only open ones are withdrawn"
                    ]
                },
                409,
            )
        before, now = nomination.status, utcnow()
        nomination.status = "withdrawn"
        nomination.decided_at = now
        _transition(nomination, before, "withdrawn", actor.id, None, now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return nomination, True


# --- reading -------------------------------------------------------------------------


def get(nomination_id: int) -> Nomination | None:
    return db.session.get(Nomination, nomination_id)


def timeline(nomination_id: int) -> list[NominationTransition]:
    return list(
        db.session.scalars(
            select(NominationTransition)
            .where(NominationTransition.nomination_id == nomination_id)
            .order_by(NominationTransition.id)
        )
    )


def _names(ids) -> dict[int, Employee]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Employee).where(Employee.id.in_(ids)))}


def to_dict(nomination: Nomination, with_timeline: bool = False) -> dict:
    """A nomination as the API shows it."""
    row = db.session.get(NominationCategory, nomination.category_id)
    people = _names([nomination.nominator_id, nomination.nominee_id])
    body = {
        "id": nomination.id,
        "status": nomination.status,
        "step": nomination.step,
        "steps": nomination.steps,
        "category": row.slug,
        "category_name": row.name,
        "category_version": row.version,
        "period": nomination.period,
        "nominator_id": people[nomination.nominator_id].external_id,
        "nominee_id": people[nomination.nominee_id].external_id,
        "reason": nomination.reason,
        "decline_reason": nomination.decline_reason,
        "evidence": nomination.evidence,
        "created_at": nomination.created_at.isoformat(),
        "decided_at": nomination.decided_at.isoformat() if nomination.decided_at else None,
    }
    if with_timeline:
        entries = timeline(nomination.id)
        actors = _names(t.actor_id for t in entries)
        body["timeline"] = [
            {
                "from": t.from_status,
                "to": t.to_status,
                "step": t.step,
                "by": actors[t.actor_id].external_id if t.actor_id in actors else None,
                "note": t.note,
                "at": t.at.isoformat(),
            }
            for t in entries
        ]
    return body


MAX_LIST = 100


def search(
    *,
    status: str | None = None,
    category_slug: str | None = None,
    period: str | None = None,
    nominee_id: int | None = None,
    person_id: int | None = None,
    limit: int = 50,
) -> list[Nomination]:
    """Nominations newest first, filtered; `person_id`: made or received by them."""
    query = select(Nomination)
    if status:
        query = query.where(Nomination.status == status)
    if category_slug:
        query = query.where(Nomination.category_slug == category_slug)
    if period:
        query = query.where(Nomination.period == period)
    if nominee_id is not None:
        query = query.where(Nomination.nominee_id == nominee_id)
    if person_id is not None:
        query = query.where(
            or_(Nomination.nominee_id == person_id, Nomination.nominator_id == person_id)
        )
    return list(db.session.scalars(query.order_by(Nomination.id.desc()).limit(limit)))


def review_queue(person: Employee, limit: int = 50) -> list[Nomination]:
    """Open nominations whose waiting step this person may decide, oldest first."""
    if not person.active:
        return []
    open_ = db.session.scalars(
        select(Nomination)
        .where(
            Nomination.status.in_(OPEN),
            Nomination.nominator_id != person.id,
            Nomination.nominee_id != person.id,
        )
        .order_by(Nomination.id)
        .limit(500)
    )
    return [n for n in open_ if refusal(n, person) is None][:limit]


@dataclass(frozen=True)
class WallEntry:
    nomination_id: int
    nominee: Employee
    nominator: Employee
    category: str
    period: str
    period_name: str
    reason: str | None
    decided_at: dt.datetime

    def to_dict(self) -> dict:
        return {
            "id": self.nomination_id,
            "nominee_id": self.nominee.external_id,
            "nominee": self.nominee.name,
            "nominator": self.nominator.name,
            "category": self.category,
            "period": self.period,
            "reason": self.reason,
            "decided_at": self.decided_at.isoformat(),
        }


def wall(
    period: str | None = None, limit: int = 100, nominee_id: int | None = None
) -> list[WallEntry]:
    """Approved nominations, newest period first; the reason only where the nominee
    chose to show it."""
    query = select(Nomination).where(Nomination.status == "approved")
    if nominee_id is not None:
        query = query.where(Nomination.nominee_id == nominee_id)
    if period:
        query = query.where(Nomination.period == period)
    rows = list(
        db.session.scalars(
            query.order_by(Nomination.period.desc(), Nomination.decided_at.desc()).limit(limit)
        )
    )
    people = _names([r.nominee_id for r in rows] + [r.nominator_id for r in rows])
    cats = {
        c.id: c
        for c in db.session.scalars(
            select(NominationCategory).where(
                NominationCategory.id.in_({r.category_id for r in rows} or {0})
            )
        )
    }
    out = []
    for r in rows:
        nominee, cat = people[r.nominee_id], cats[r.category_id]
        out.append(
            WallEntry(
                nomination_id=r.id,
                nominee=nominee,
                nominator=people[r.nominator_id],
                category=cat.name,
                period=r.period,
                period_name=rules.period_name(cat.period, r.period),
                reason=r.reason if nominee.show_nomination_reasons else None,
                decided_at=r.decided_at,
            )
        )
    return out


def set_show_reasons(person: Employee, show: bool) -> None:
    begin_write(db.session)
    person.show_nomination_reasons = show
    db.session.commit()


def open_periods(row: NominationCategory) -> tuple[str, str]:
    return rules.open_periods(row.period, org_today())
