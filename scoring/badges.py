"""Badges, tiers and notifications as people and admins see and manage them."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from recognition.people import Employee
from scoring.achievements import (
    BadgeDefinition,
    Level,
    Stats,
    TierState,
    progress,
    step_tier,
    tier_progress,
)
from scoring.ledger import org_today, person_totals
from scoring.models import (
    BadgeAward,
    LedgerGeneration,
    Notification,
    PersonProgress,
    RulesetVersion,
)
from scoring.progress import notify_badges, tier_metrics
from scoring.rules import Ruleset
from scoring.rulesets import live_scoring, ruleset


class BadgeError(ValueError):
    """An admin action on badges that cannot be done; `field` names the culprit."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _definitions(rules: Ruleset) -> dict[str, BadgeDefinition]:
    return {b.slug: b for b in rules.badges}


def earned_badges(person_id: int) -> list[dict]:
    live = live_scoring()
    names = _definitions(live.ruleset)
    awards = db.session.scalars(
        select(BadgeAward)
        .where(
            BadgeAward.generation == live.generation,
            BadgeAward.employee_id == person_id,
            BadgeAward.revoked_at.is_(None),
        )
        .order_by(BadgeAward.earned_at, BadgeAward.badge, BadgeAward.level)
    ).all()
    out = []
    for award in awards:
        badge = names.get(award.badge)
        level = badge.level(award.level) if badge else None
        out.append(
            {
                "slug": award.badge,
                "name": badge.name if badge else award.badge,
                "level": award.level,
                "label": level.label if level else None,
                "image": badge.image if badge else None,
                "earned_at": award.earned_at.isoformat(),
                "assertion_id": award.assertion_id,
            }
        )
    return out


def person_achievements(person: Employee, week_points: int | None = None) -> dict:
    """Earned badges, progress to the next ones, and the tier with its progress.

    `week_points`: the person's points this week, when the caller has just read them.
    """
    live = live_scoring()
    rules = live.ruleset
    today = org_today()
    row = db.session.get(PersonProgress, (live.generation, person.id))
    stats = Stats.from_json(row.stats if row else None)
    held = set(
        db.session.execute(
            select(BadgeAward.badge, BadgeAward.level).where(
                BadgeAward.generation == live.generation, BadgeAward.employee_id == person.id
            )
        ).all()
    )
    week = week_points
    if week is None:
        week = person_totals(live.generation, person.id, today)["week"]
    metrics = tier_metrics(live.generation, [person.id], today)[person.id]
    stored = TierState(row.tier, row.tier_below_since) if row and row.tier else None
    # Shown as the daily review would leave it today, even if it has not run yet.
    state = step_tier(rules.tiers, stored, metrics, today)
    tiers = {t.slug: t for t in rules.tiers}
    tier_view = tier_progress(rules.tiers, state, metrics)
    return {
        "earned": earned_badges(person.id),
        "progress": [
            {
                "slug": p.slug,
                "name": p.name,
                "level": p.level,
                "label": p.label,
                "current": p.current,
                "target": p.target,
            }
            for p in progress(rules.badges, stats, week, held, today)
        ],
        "tier": {
            "slug": state.tier,
            "name": tiers[state.tier].name if state.tier in tiers else state.tier,
            "since": row.tier_since.isoformat() if row and row.tier_since else None,
            "next": tier_view.next,
            "progress": tier_view.components,
        },
    }


def find_assertion(assertion_id: str) -> tuple[BadgeAward, Employee, BadgeDefinition | None] | None:
    """The award behind a public assertion id, in the live generation."""
    try:
        uuid.UUID(assertion_id)
    except ValueError:
        return None
    live = live_scoring()
    award = db.session.scalar(
        select(BadgeAward).where(
            BadgeAward.generation == live.generation, BadgeAward.assertion_id == assertion_id
        )
    )
    if award is None:
        return None
    person = db.session.get(Employee, award.employee_id)
    return award, person, _definitions(live.ruleset).get(award.badge)


def find_achievement(slug: str, level: int) -> tuple[BadgeDefinition, Level] | None:
    """A badge level by the id exported credentials carry (`/badges/<slug>/<level>`).

    The live ruleset first; a badge since removed from it is still found in
    the newest saved version that had it, so credentials already handed out
    keep resolving.
    """
    live = live_scoring().ruleset
    versions = [live.version] + list(
        db.session.scalars(
            select(RulesetVersion.version)
            .where(RulesetVersion.version != live.version)
            .order_by(RulesetVersion.version.desc())
        )
    )
    for version in versions:
        rules = live if version == live.version else ruleset(version)
        badge = _definitions(rules).get(slug)
        if badge is None:
            continue
        try:
            return badge, badge.level(level)
        except KeyError:
            continue
    return None


def revoke_badge(assertion_id: str, reason: str, by: str) -> BadgeAward:
    """Revoke an earned badge; the row stays, with who, when and why."""
    if not reason or not reason.strip():
        raise BadgeError("reason", "say why the badge is revoked")
    found = find_assertion(assertion_id)
    if found is None:
        raise LookupError(assertion_id)
    award = found[0]
    if award.revoked_at is not None:
        raise BadgeError("assertion_id", "this badge is already revoked")
    begin_write(db.session)
    db.session.execute(
        update(BadgeAward)
        .where(BadgeAward.id == award.id)
        .values(revoked_at=utcnow(), revoked_reason=reason.strip(), revoked_by=by)
    )
    db.session.commit()
    return db.session.get(BadgeAward, award.id)


def award_manual(person: Employee, slug: str, by: str, reason: str | None = None) -> BadgeAward:
    """Give a manual badge (for example after an approved nomination)."""
    live = live_scoring()
    begin_write(db.session)
    try:
        award = grant_manual(live.generation, live.ruleset, person.id, slug, by)
    except BaseException:
        db.session.rollback()
        raise
    if award is None:
        db.session.rollback()
        badge = _definitions(live.ruleset)[slug]
        raise BadgeError("badge", f"{person.name} already holds every level of {badge.name}")
    db.session.commit()
    return award


def grant_manual(
    gen: int,
    rules,
    employee_id: int,
    slug: str,
    by: str,
    cause_type: str | None = None,
    cause_id: int | None = None,
) -> BadgeAward | None:
    """The next level of a manual badge, in the caller's transaction (and a
    notification); None when the person holds every level. BadgeError if `slug`
    is not a manual badge of `rules`. A re-score keeps these awards."""
    badge = _definitions(rules).get(slug)
    if badge is None:
        raise BadgeError("badge", f"no badge {slug!r} in the live ruleset")
    if badge.kind != "manual":
        raise BadgeError("badge", f"{badge.name} is earned, not given")
    held = set(
        db.session.scalars(
            select(BadgeAward.level).where(
                BadgeAward.generation == gen,
                BadgeAward.employee_id == employee_id,
                BadgeAward.badge == slug,
            )
        )
    )
    level = next((lv.level for lv in badge.levels if lv.level not in held), None)
    if level is None:
        return None
    award = BadgeAward(
        generation=gen,
        employee_id=employee_id,
        badge=slug,
        level=level,
        earned_at=utcnow(),
        cause_type=cause_type,
        cause_id=cause_id,
        ruleset_version=rules.version,
        assertion_id=str(uuid.uuid4()),
        awarded_by=by,
    )
    db.session.add(award)
    db.session.flush()
    notify_badges(
        rules,
        [
            {
                "employee_id": employee_id,
                "badge": slug,
                "level": level,
                "assertion_id": award.assertion_id,
                "earned_at": award.earned_at,
            }
        ],
    )
    return award


def notifications(person_id: int, unread_only: bool = False, limit: int = 50) -> list[dict]:
    query = (
        select(Notification)
        .where(Notification.employee_id == person_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "link": n.link,
            "created_at": n.created_at.isoformat(),
            "read": n.read_at is not None,
        }
        for n in db.session.scalars(query)
    ]


def mark_read(person_id: int, ids: list[int] | None = None) -> int:
    """Mark a person's notifications read (all of them when `ids` is None)."""
    begin_write(db.session)
    stmt = update(Notification).where(
        Notification.employee_id == person_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    count = db.session.execute(stmt.values(read_at=utcnow())).rowcount
    db.session.commit()
    return count


def prune_retired_generations() -> int:
    """Delete the rows of generations a re-score replaced."""
    from sqlalchemy import delete

    from scoring.models import DailyTotal, EmployeeScore, PointAward

    begin_write(db.session)
    retired = list(
        db.session.scalars(select(LedgerGeneration.id).where(LedgerGeneration.state == "retired"))
    )
    for model in (PointAward, BadgeAward, DailyTotal, EmployeeScore, PersonProgress):
        db.session.execute(delete(model).where(model.generation.in_(retired)))
    db.session.commit()
    return len(retired)
