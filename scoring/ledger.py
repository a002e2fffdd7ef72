"""The score job's storage side: feed pure rules, write the ledger, refresh boards.

One transaction per job. Per person, scoring is serialised on their
`employee_scores` row (SELECT ... FOR UPDATE on PostgreSQL; SQLite has one
writer at a time), which makes the daily caps hold with many workers, and
lets the job write absolute board totals to Redis before it commits: two jobs
for one person can never write their totals out of order.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app
from sqlalchemy import BigInteger, and_, case, cast, delete, exists, func, insert, select

from recognition.clock import utcnow
from recognition.extensions import begin_write, db, redis_connection
from recognition.people import Employee, Team
from scoring.achievements import Fact, TierMetrics
from scoring.leaderboard import (
    ROLLING_TTL,
    Boards,
    PersonCard,
    board_writes,
    forget_person,
    replace_boards,
    write_boards,
)
from scoring.models import (
    DailyTotal,
    DeadLetter,
    EmployeeScore,
    Event,
    PendingEvent,
    PointAward,
)
from scoring.periods import Window, local_day, week_start, window_for, windows_touched
from scoring.progress import AchievementTracker, tier_window
from scoring.rules import (
    LATE,
    SHARE,
    DayState,
    Ruleset,
    ScorableEvent,
    arrived_too_late,
    score_event,
)
from scoring.rulesets import ensure_scoring_setup, live_scoring
from scoring.storage import among, copy_rows, insert_many, lock_scoring, pairs_among, read


@dataclass(frozen=True)
class ScoreResult:
    scored: int
    already_scored: int
    held: int
    points: int


@dataclass(frozen=True)
class Person:
    id: int
    external_id: str
    name: str
    team: str | None
    active: bool
    opted_out: bool = False

    @property
    def public(self) -> bool:
        """Shown on boards: active, and has not opted out of public leaderboards."""
        return self.active and not self.opted_out

    @property
    def member(self) -> str:
        return str(self.id)

    def card(self) -> PersonCard:
        return PersonCard(self.member, self.external_id, self.name, self.team)


def org_boards() -> Boards:
    return Boards(current_app.config["LAUREL_ORG"])


def org_today() -> dt.date:
    return local_day(utcnow(), current_app.config["LAUREL_TZ"])


@dataclass(frozen=True)
class Target:
    """Where a scoring run writes: the live generation (boards and notifications
    follow), or a generation being rebuilt by a re-score (they do not, yet)."""

    generation: int
    ruleset: Ruleset
    live: bool


_UNORDERED = float("inf")
T = TypeVar("T")


class GenerationSwitched(RuntimeError):
    """The live generation changed under a running job; it starts over."""


def score_events(event_ids: list[int], target: Target | None = None) -> ScoreResult:
    """Score these events exactly once; safe to run twice or beside another worker."""
    ensure_scoring_setup()
    ids = sorted(set(event_ids))

    def work() -> ScoreResult:
        run = target
        if run is None:
            live = live_scoring()
            run = Target(live.generation, live.ruleset, live=True)
        return _score_events(ids, run)

    return in_write_transaction(work)


def in_write_transaction(work: Callable[[], T], retry_on: tuple[type[Exception], ...] = ()) -> T:
    """Run `work` in a write transaction of its own and commit it.

    When a re-score goes live meanwhile (`GenerationSwitched`), or on one of
    `retry_on`, everything is rolled back and `work` runs again, up to three
    times; after that `GenerationSwitched` reaches the caller. Any other error
    rolls back and propagates.
    """
    for _attempt in range(3):
        begin_write(db.session)
        try:
            result = work()
        except (GenerationSwitched, *retry_on):
            db.session.rollback()
            continue
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result
    raise GenerationSwitched("generations kept switching; try again")


def _score_events(
    event_ids: list[int], target: Target, order: dict[int, int] | None = None
) -> ScoreResult:
    """Score in event id order, or in `order` (event id -> position) where given.

    Per person, ledger row ids then follow the order events were scored in
    (a person's scoring is serialised on their row), which is the order a
    re-score replays them in.
    """
    gen, rules = target.generation, target.ruleset
    tz = current_app.config["LAUREL_TZ"]
    events = read(
        select(
            Event.id,
            Event.type,
            Event.employee_ref,
            Event.network,
            Event.occurred_at,
            Event.count,
            Event.received_at,
            Event.backfill,
        ).where(among(Event.id, event_ids))
    ).all()
    people = _people_by_ref({e.employee_ref for e in events})
    known = [e for e in events if e.employee_ref in people]
    held = len(events) - len(known)
    if not known:
        return ScoreResult(0, 0, held, 0)

    person_ids = sorted({people[e.employee_ref].id for e in known})
    scores = _lock_people(gen, person_ids)
    if target.live and live_scoring().generation != gen:
        # A re-score switched generations while this job waited for the lock.
        raise GenerationSwitched(gen)
    if target.live:
        # Out of the outbox in the transaction that scores them (or found them scored).
        # Core on the session's connection: the ORM would fetch the deleted rows.
        outbox = PendingEvent.__table__
        db.session.connection().execute(
            outbox.delete().where(among(outbox.c.event_id, [e.id for e in known]))
        )
    done = set(
        read(
            select(PointAward.cause_id).where(
                PointAward.generation == gen,
                PointAward.cause_type == "event",
                among(PointAward.cause_id, [e.id for e in known]),
            )
        ).scalars()
    )
    position = order or {}
    todo = sorted(
        (e for e in known if e.id not in done),
        key=lambda e: (position.get(e.id, _UNORDERED), e.id),
    )
    if not todo:
        return ScoreResult(0, len(known), held, 0)

    day_of = {e.id: local_day(e.occurred_at, tz) for e in todo}
    scorable = {
        e.id: ScorableEvent(e.type, e.network, e.count, e.received_at - e.occurred_at, e.backfill)
        for e in todo
    }
    late = {e.id for e in todo if arrived_too_late(scorable[e.id], rules)}
    keys = {(people[e.employee_ref].id, day_of[e.id]) for e in todo if e.id not in late}
    states, week_points = _day_states(gen, keys)
    tracker = AchievementTracker(gen, rules, person_ids, week_points)
    rows = []
    now = utcnow()
    gained: dict[int, int] = defaultdict(int)
    added: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for event in todo:
        person = people[event.employee_ref]
        key = (person.id, day_of[event.id])
        if event.id in late:
            award, _ = score_event(scorable[event.id], DayState(), rules)
        else:
            award, states[key] = score_event(scorable[event.id], states[key], rules)
            gained[person.id] += award.points
            totals = added[key]
            totals[0] += award.points
            if event.type == SHARE:
                totals[1] += 1
            else:
                totals[2] += event.count
            tracker.observe(
                person.id,
                Fact("event", event.type, event.network, event.count, key[1], award.points),
                ("event", event.id),
                event.occurred_at,
            )
        rows.append(
            {
                "generation": gen,
                "employee_id": person.id,
                "cause_type": "event",
                "cause_id": event.id,
                "rule": award.rule,
                "network": event.network,
                "quantity": event.count,
                "points": award.points,
                "base_points": award.base_points,
                "capped": award.capped,
                "ruleset_version": rules.version,
                "reason": award.reason,
                "local_day": key[1],
                "occurred_at": event.occurred_at,
                "created_at": now,
            }
        )
    copy_rows(PointAward.__table__, rows)
    _save_day_states(gen, {k: states[k] for k in keys}, added)
    scores = {p: scores[p] + gained[p] for p in gained}
    _save_scores(gen, {p: pts for p, pts in scores.items() if gained[p]})
    # One aggregate over the rollup, now written, for the tiers and the boards.
    today = org_today()
    wanted = _boards_wanted(keys, today) if target.live else {}
    dated = [w for w in wanted if w.first is not None]
    sums, metrics = rollup_sums(gen, set(gained), dated, tier_window(today))
    if not target.live:
        tracker.save(today, notify=False, metrics=metrics)
        return ScoreResult(len(todo), len(done), held, sum(gained.values()))
    period_sums = {w: {p: sums[p][i] for p in wanted[w] if p in sums} for i, w in enumerate(dated)}
    for window in wanted:
        if window.first is None:
            period_sums[window] = {p: scores[p] for p in wanted[window]}
    by_id = {p.id: p for p in people.values()}
    values, cards = _board_values(by_id, wanted, period_sums, keys)
    # Redis works on the boards while this thread stores badges and tiers; both
    # finish before the commit releases the people's rows.
    with ThreadPoolExecutor(max_workers=1) as background:
        written = background.submit(write_boards, redis_connection(), org_boards(), values, cards)
        tracker.save(today, notify=True, metrics=metrics)
        written.result()
    return ScoreResult(len(todo), len(done), held, sum(gained.values()))


def _people(*conditions) -> list[Person]:
    """People as the boards see them (id, HR id, name, team slug, visibility)."""
    rows = read(
        select(
            Employee.id,
            Employee.external_id,
            Employee.name,
            Team.slug,
            Employee.active,
            Employee.leaderboard_opt_out,
        )
        .outerjoin(Team, Employee.team_id == Team.id)
        .where(*conditions)
    )
    return [Person(*row) for row in rows]


def unscored_event_ids(gen: int, after: int = 0, limit: int = 1000) -> list[int]:
    """Ids (ascending, above `after`) of events of known people with no ledger row in
    `gen`, dead letters left out: what a re-score's generation still lacks.

    The live generation's unscored events are the outbox (`scoring.outbox`),
    which is much cheaper to read; this scans the event log.
    """
    query = (
        select(Event.id)
        .join(Employee, Employee.external_id == Event.employee_ref)
        .where(
            Event.id > after,
            ~exists().where(
                PointAward.generation == gen,
                PointAward.cause_type == "event",
                PointAward.cause_id == Event.id,
            ),
            ~exists().where(DeadLetter.event_id == Event.id),
        )
        .order_by(Event.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _people_by_ref(refs: set[str]) -> dict[str, Person]:
    return {p.external_id: p for p in _people(among(Employee.external_id, refs))}


def _lock_people(gen: int, person_ids: list[int]) -> dict[int, int]:
    """Lock each person's score row, creating it if need be; returns their points.

    One upsert that touches every row: DO UPDATE takes the row lock, and the
    ids arrive sorted, so two jobs sharing people queue instead of deadlocking.
    """
    rows = insert_many(
        EmployeeScore.__table__,
        [{"generation": gen, "employee_id": p, "points": 0} for p in sorted(person_ids)],
        conflict=("generation", "employee_id"),
        keep=("points",),
        returning=("employee_id", "points"),
    )
    return dict(rows)


def _day_states(
    gen: int, keys: set[tuple[int, dt.date]]
) -> tuple[dict[tuple[int, dt.date], DayState], dict[tuple[int, dt.date], int]]:
    """What the caps have used on these (person, day)s, and the points of their ISO
    weeks (for the weekly badges), both read from the daily rollup."""
    if not keys:
        return {}, {}
    d = DailyTotal
    persons = {person for person, _ in keys}
    days = {day for _, day in keys}
    rows = read(
        select(
            d.employee_id, d.local_day, d.scoring_shares, d.share_points, d.engagement_points
        ).where(
            d.generation == gen,
            among(d.employee_id, persons),
            d.local_day >= min(days),
            d.local_day <= max(days),
            pairs_among(d.employee_id, d.local_day, keys),
        )
    )
    states = {key: DayState() for key in keys}
    for person, day, shares, share_points, engagement in rows:
        states[(person, day)] = DayState(shares, share_points, engagement)
    weeks = sorted({week_start(day) for day in days})
    sums = rollup_sums(gen, persons, [window_for("week", monday) for monday in weeks])[0]
    column = {monday: i for i, monday in enumerate(weeks)}
    week_points = {}
    for person, day in keys:
        monday = week_start(day)
        week_points[(person, monday)] = sums[person][column[monday]] if person in sums else 0
    return states, week_points


def _save_day_states(
    gen: int,
    states: dict[tuple[int, dt.date], DayState],
    added: dict[tuple[int, dt.date], list[int]],
) -> None:
    """Store what the caps used (absolute) and add the day's new points and activity.

    `points` is added to rather than overwritten because kudos and nominations
    also land on the day without passing through the event caps.
    """
    insert_many(
        DailyTotal.__table__,
        [
            {
                "generation": gen,
                "employee_id": person,
                "local_day": day,
                "scoring_shares": state.scoring_shares,
                "share_points": state.share_points,
                "engagement_points": state.engagement_points,
                "points": added[(person, day)][0],
                "shares": added[(person, day)][1],
                "engagements": added[(person, day)][2],
            }
            for (person, day), state in states.items()
        ],
        conflict=("generation", "employee_id", "local_day"),
        replace=("scoring_shares", "share_points", "engagement_points"),
        add=("points", "shares", "engagements"),
    )


def _save_scores(gen: int, scores: dict[int, int]) -> None:
    """Write all-time points; absolute values are safe because the rows are locked."""
    insert_many(
        EmployeeScore.__table__,
        [{"generation": gen, "employee_id": p, "points": pts} for p, pts in scores.items()],
        conflict=("generation", "employee_id"),
        replace=("points",),
    )


def refresh_boards(
    gen: int,
    people: dict[int, Person],
    touched: set[tuple[int, dt.date]],
    all_time: dict[int, int] | None = None,
) -> None:
    """Write absolute totals for the boards these (person, local day) pairs affect.

    `all_time` may carry all-time points the caller already holds (locked).
    """
    wanted = _boards_wanted(touched, org_today())
    values, cards = _board_values(
        people, wanted, _period_sums(gen, wanted, all_time or {}), touched
    )
    write_boards(redis_connection(), org_boards(), values, cards)


def _boards_wanted(touched: set[tuple[int, dt.date]], today: dt.date) -> dict[Window, set[int]]:
    """Board windows these (person, local day) pairs change, with the people on each."""
    on_day: dict[dt.date, set[int]] = defaultdict(set)
    for person, day in touched:
        on_day[day].add(person)
    wanted: dict[Window, set[int]] = defaultdict(set)
    for day, persons in on_day.items():
        for window in windows_touched(day, today):
            wanted[window] |= persons
    return wanted


def _board_values(
    people: dict[int, Person],
    wanted: dict[Window, set[int]],
    sums: dict[Window, dict[int, int]],
    touched: set[tuple[int, dt.date]],
) -> tuple[dict[str, dict[str, int]], list[PersonCard]]:
    """{board key: {member: points}} for the org and team boards, and the cards of
    the people touched. Hidden people (inactive, opted out) get 0: off the board."""
    totals = (
        (window, person.member, person.team, sums[window].get(p, 0) if person.public else 0)
        for window, persons in wanted.items()
        for p in persons
        for person in (people[p],)
    )
    return board_writes(org_boards(), totals), [people[p].card() for p in {p for p, _ in touched}]


def _period_sums(
    gen: int, wanted: dict[Window, set[int]], all_time: dict[int, int]
) -> dict[Window, dict[int, int]]:
    """Points per window for the people wanted there: one aggregate over the daily rollup."""
    sums: dict[Window, dict[int, int]] = {}
    dated = [w for w in wanted if w.first is not None]
    if dated:
        persons = set().union(*(wanted[w] for w in dated))
        per_person = window_sums(gen, dated, persons)
        for i, window in enumerate(dated):
            sums[window] = {p: per_person[p][i] for p in wanted[window] if p in per_person}
    for window in wanted:
        if window.first is None:
            known = {p: all_time[p] for p in wanted[window] if p in all_time}
            missing = wanted[window] - known.keys()
            if missing:
                known.update(window_totals(gen, window, missing))
            sums[window] = known
    return sums


def window_sums(gen: int, windows: list[Window], persons: set[int]) -> dict[int, list[int]]:
    """Per person, their points in each of these dated windows (in order), summed in SQL."""
    return rollup_sums(gen, persons, windows)[0]


def rollup_sums(
    gen: int,
    persons: set[int],
    windows: list[Window],
    tier: tuple[dt.date, dt.date] | None = None,
) -> tuple[dict[int, list[int]], dict[int, TierMetrics]]:
    """One aggregate over the daily rollup: per person, points in each dated window
    (in order) and, given the tiers' [first, end) days, their tier metrics."""
    d = DailyTotal

    def within(first: dt.date, end: dt.date, column):
        summed = func.sum(case((and_(d.local_day >= first, d.local_day < end), column), else_=0))
        # PostgreSQL sums BIGINT into NUMERIC, which would arrive as Decimal (slow
        # to load, and not JSON for Redis); the day sums fit 64 bits.
        return cast(summed, BigInteger)

    columns = [within(w.first, w.end, d.points) for w in windows]
    spans = [(w.first, w.end) for w in windows]
    if tier is not None:
        columns += [within(*tier, d.points), within(*tier, d.shares), within(*tier, d.engagements)]
        spans.append(tier)
    if not persons or not spans:
        return {}, {}
    rows = read(
        select(d.employee_id, *columns)
        .where(
            d.generation == gen,
            among(d.employee_id, persons),
            d.local_day >= min(first for first, _ in spans),
            d.local_day < max(end for _, end in spans),
        )
        .group_by(d.employee_id)
    )
    sums: dict[int, list[int]] = {}
    metrics = {p: TierMetrics(0, 0, 0) for p in persons} if tier is not None else {}
    n = len(windows)
    for person, *values in rows:
        sums[person] = values[:n]
        if tier is not None:
            metrics[person] = TierMetrics(*values[n:])
    return sums, metrics


def window_totals(gen: int, window: Window, persons: set[int] | None = None) -> dict[int, int]:
    """Points per person within a window, from the daily rollup (all-time: the score row)."""
    if window.first is None:
        query = select(EmployeeScore.employee_id, EmployeeScore.points).where(
            EmployeeScore.generation == gen
        )
        if persons is not None:
            query = query.where(among(EmployeeScore.employee_id, persons))
    else:
        query = (
            select(DailyTotal.employee_id, func.sum(DailyTotal.points))
            .where(
                and_(
                    DailyTotal.generation == gen,
                    DailyTotal.local_day >= window.first,
                    DailyTotal.local_day < window.end,
                )
            )
            .group_by(DailyTotal.employee_id)
        )
        if persons is not None:
            query = query.where(among(DailyTotal.employee_id, persons))
    return {person: int(points) for person, points in db.session.execute(query)}


def person_totals(gen: int, person_id: int, today: dt.date) -> dict[str, int]:
    """Points per current period for one person, from SQL (two small reads)."""
    windows = {period: window_for(period, today) for period in ("week", "month", "30d")}
    sums = window_sums(gen, list(windows.values()), {person_id}).get(person_id)
    out = dict(zip(windows, sums or [0] * len(windows), strict=True))
    out["all"] = window_totals(gen, window_for("all", today), {person_id}).get(person_id, 0)
    return out


def resync_person(employee_id: int, old_team: str | None = None) -> None:
    """Rewrite one person's entries on every board they have points on.

    Used after a directory change (a new team, a new name, deactivation) and a
    leaderboard choice. A hidden person is then on no board at all, not even an
    old rolling board that nobody reads any more.
    """
    ensure_scoring_setup()
    begin_write(db.session)
    gen = live_scoring().generation
    person = _people_by_id({employee_id}).get(employee_id)
    if person is None:
        db.session.rollback()
        return
    _lock_people(gen, [employee_id])
    r = redis_connection()
    boards = org_boards()
    if old_team and old_team != person.team:
        forget_person(r, boards, person.member, old_team)
    days = db.session.scalars(
        select(DailyTotal.local_day).where(
            DailyTotal.generation == gen, DailyTotal.employee_id == employee_id
        )
    ).all()
    refresh_boards(gen, {employee_id: person}, {(employee_id, day) for day in days})
    if not person.public:
        forget_person(r, boards, person.member)
    db.session.commit()


def _people_by_id(ids: set[int]) -> dict[int, Person]:
    return {p.id: p for p in _people(among(Employee.id, ids))}


def _all_people() -> dict[int, Person]:
    return {p.id: p for p in _people()}


def build_rolling_boards(today: dt.date) -> None:
    """Build today's rolling 30-day boards (org and every team) from SQL.

    Holds the scoring lock while writing, so no job changes a total between
    the read and the write; jobs then keep the board current through the day.
    """
    ensure_scoring_setup()
    begin_write(db.session)
    lock_scoring(["employee_scores"])
    gen = live_scoring().generation
    window = window_for("30d", today)
    people = _all_people()
    sums = window_totals(gen, window)
    boards = org_boards()
    values = board_writes(
        boards,
        (
            (window, people[p].member, people[p].team, pts)
            for p, pts in sums.items()
            if p in people and people[p].public
        ),
    )
    values.setdefault(boards.key(window), {})
    r = redis_connection()
    replace_boards(r, boards, values, stale_pattern=f"{boards.prefix}b:t:*:{window.suffix}")
    r.set(boards.rolling_ready(window), "1", ex=ROLLING_TTL)
    db.session.commit()


def rebuild_derived() -> dict[str, int]:
    """Recompute daily totals, all-time scores and every board from the ledger."""
    ensure_scoring_setup()
    begin_write(db.session)
    lock_scoring(["employee_scores", "daily_totals"])
    summary = rebuild_in_transaction(live_scoring().generation)
    db.session.commit()
    return summary


def rebuild_in_transaction(gen: int) -> dict[str, int]:
    """The rebuild itself, for a caller that holds the scoring lock."""
    _rebuild_rollups(gen)
    return _rebuild_boards(gen)


def rebuild_boards() -> dict[str, int]:
    """Every board again from the SQL rollups (which Redis losing its data leaves intact)."""
    ensure_scoring_setup()
    begin_write(db.session)
    lock_scoring(["employee_scores"])
    summary = _rebuild_boards(live_scoring().generation)
    db.session.commit()
    return summary


REBUILD_LOCK_SECONDS = 600


def ensure_boards(wait: float = 5.0) -> bool:
    """Rebuild the boards if Redis lost them (their marker is gone); True if this did.

    One caller rebuilds under a lock; the others wait up to `wait` seconds for
    it and then go on with what is there, so reads keep answering.
    """
    r = redis_connection()
    boards = org_boards()
    if r.exists(boards.built):
        return False
    token = uuid.uuid4().hex
    if r.set(boards.rebuild_lock, token, nx=True, ex=REBUILD_LOCK_SECONDS):
        try:
            rebuild_boards()
        finally:
            if r.get(boards.rebuild_lock) == token.encode():
                r.delete(boards.rebuild_lock)
        return True
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and not r.exists(boards.built):
        time.sleep(0.05)
    return False


def _rebuild_boards(gen: int) -> dict[str, int]:
    """Every board of `gen` from the daily rollup and scores; then the marker."""
    today = org_today()
    people = _all_people()
    rolling = window_for("30d", today)
    totals: list[tuple[Window, str, str | None, int]] = []
    per_window: dict[Window, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows = db.session.execute(
        select(DailyTotal.employee_id, DailyTotal.local_day, DailyTotal.points)
        .where(DailyTotal.generation == gen, DailyTotal.points != 0)
        .execution_options(yield_per=10_000)
    )
    for person_id, day, points in rows:
        for period in ("week", "month"):
            per_window[window_for(period, day)][person_id] += points
        if rolling.contains(day):
            per_window[rolling][person_id] += points
    per_window[window_for("all", today)] = window_totals(gen, window_for("all", today))
    for window, sums in per_window.items():
        for person_id, points in sums.items():
            person = people.get(person_id)
            if person is not None and person.public:
                totals.append((window, person.member, person.team, points))
    boards = org_boards()
    values = board_writes(boards, totals)
    r = redis_connection()
    replace_boards(
        r,
        boards,
        values,
        people=[p.card() for p in people.values()],
        stale_pattern=f"{boards.prefix}b:*",
    )
    r.set(boards.rolling_ready(rolling), "1", ex=ROLLING_TTL)
    r.set(boards.built, str(gen))
    return {"people": len(people), "boards": len(values), "entries": len(totals)}


def _rebuild_rollups(gen: int) -> None:
    """Daily totals and all-time scores again from the ledger rows of `gen`."""
    a = PointAward
    # Late events earn nothing and count towards nothing: no day, no activity.
    is_event = and_(a.cause_type == "event", a.rule != LATE)
    is_share = and_(is_event, a.rule == SHARE)
    db.session.execute(delete(DailyTotal).where(DailyTotal.generation == gen))
    db.session.execute(delete(EmployeeScore).where(EmployeeScore.generation == gen))
    daily = (
        select(
            a.generation,
            a.employee_id,
            a.local_day,
            func.sum(case((and_(is_share, a.capped.is_(False)), 1), else_=0)),
            func.sum(case((is_share, a.points), else_=0)),
            func.sum(case((and_(is_event, a.rule != SHARE), a.points), else_=0)),
            func.sum(a.points),
            func.sum(case((is_share, 1), else_=0)),
            func.sum(case((and_(is_event, a.rule != SHARE), a.quantity), else_=0)),
        )
        .where(a.generation == gen, ~and_(a.cause_type == "event", a.rule == LATE))
        .group_by(a.generation, a.employee_id, a.local_day)
    )
    db.session.execute(
        insert(DailyTotal).from_select(
            [
                "generation",
                "employee_id",
                "local_day",
                "scoring_shares",
                "share_points",
                "engagement_points",
                "points",
                "shares",
                "engagements",
            ],
            daily,
        )
    )
    scores = (
        select(a.generation, a.employee_id, func.sum(a.points))
        .where(a.generation == gen)
        .group_by(a.generation, a.employee_id)
    )
    db.session.execute(
        insert(EmployeeScore).from_select(["generation", "employee_id", "points"], scores)
    )
