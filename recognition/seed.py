"""A believable demo organisation: teams, people and weeks of advocacy events.

Deterministic for a given seed (relative to now): the same people, the same
activity pattern. Events go through the same ingestion and scoring as live
ones, but are scored here synchronously so the demo is complete without a
worker, and the boards are rebuilt from the ledger at the end.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app

from recognition.clock import utcnow
from recognition.extensions import begin_write, db
from recognition.mentorship.seed import seed_mentorship
from recognition.nominations.seed import seed_nominations
from recognition.people import EmployeeSchema, upsert_employee
from recognition.tokens import create_token

EVENT_SOURCE = "demo-seed"
TOKEN_SOURCE = "demo"
TOKEN_SCOPES = ["events:write", "directory:write", "read"]
BATCH = 1000
FIRST_ID = 1001

# In order of size and of preference when a small demo has room for fewer teams.
TEAMS = (
    ("Sales", 5),
    ("Marketing", 3),
    ("Engineering", 6),
    ("Customer Success", 3),
    ("Product", 2),
    ("People & Culture", 1.5),
    ("Finance", 1),
    ("Partnerships", 1.5),
)
# fmt: off
FIRST_NAMES = (
    "Ada", "Aaliyah", "Aditya", "Afua", "Aisha", "Akira", "Alejandro", "Amara", "Amelia",
    "Anders", "Ananya", "Ángel", "Astrid", "Ayumi", "Beatriz", "Benedikt", "Camille",
    "Carlos", "Chiara", "Chidi", "Chloé", "Dagny", "Daniel", "Dev", "Diego", "Dmitri",
    "Elena", "Elif", "Emeka", "Emma", "Esther", "Fatima", "Felix", "Freya", "Gabriel",
    "Grace", "Hana", "Hamza", "Hiroshi", "Ines", "Ingrid", "Isaac", "Ivan", "Jamal", "Jana",
    "Javier", "Jin", "Joaquín", "Jonas", "Kai", "Kalani", "Kamala", "Kofi", "Lars", "Layla",
    "Leila", "Liam", "Lina", "Luca", "Lucía", "Maeve", "Malik", "Mariam", "Mateo", "Maya",
    "Mei", "Mina", "Moana", "Nadia", "Niamh", "Nikhil", "Nina", "Noah", "Noor", "Olu",
    "Omar", "Oskar", "Paolo", "Priya", "Rafael", "Rania", "Ravi", "Rosa", "Ruth", "Sade",
    "Samir", "Santiago", "Sara", "Seo-yeon", "Sofia", "Tariq", "Theo", "Thandiwe", "Tomás",
    "Valentina", "Wei", "Yara", "Yusuf", "Zainab", "Zoe",
)
LAST_NAMES = (
    "Abara", "Adeyemi", "Alvarez", "Andersen", "Bakker", "Banerjee", "Becker", "Bianchi",
    "Brennan", "Castillo", "Chen", "Costa", "Dubois", "Eriksson", "Farah", "Fernandes",
    "Fischer", "Fujita", "Garcia", "Gonzalez", "Haddad", "Hansen", "Hernandez", "Horvat",
    "Ibrahim", "Ito", "Jansen", "Kaur", "Khan", "Kim", "Kowalski", "Kumar", "Larsen",
    "Laurent", "Lee", "Lindqvist", "Lopez", "Mahlaba", "Martin", "Mendes", "Moreau",
    "Morris", "Murphy", "Nakamura", "Nguyen", "Novak", "Nowak", "Okafor", "Okoye", "Olsen",
    "O'Brien", "Park", "Patel", "Pereira", "Petrov", "Popescu", "Quinn", "Rahman", "Reyes",
    "Rossi", "Sato", "Schmidt", "Silva", "Singh", "Sokolova", "Suzuki", "Tanaka", "Taylor",
    "Tran", "Varga", "Virtanen", "Wagner", "Walsh", "Wang", "Weber", "Williams", "Wong",
    "Yamamoto", "Yilmaz", "Zhang", "Zielinski",
)
# fmt: on

NETWORKS = ("linkedin", "x", "facebook", "instagram", "other")
NETWORK_WEIGHTS = (60, 18, 10, 8, 4)
# Local hours people share at: office hours, a lunchtime bump, a little evening.
HOURS = tuple(range(7, 22))
HOUR_WEIGHTS = (2, 6, 9, 9, 7, 6, 9, 7, 6, 5, 4, 3, 3, 2, 1)


@dataclass(frozen=True)
class Habit:
    """How often someone shares: chance per weekday and weekend day, shares per day."""

    weekday: float
    weekend: float
    max_per_day: int
    reach: float


HABITS = {
    "champion": Habit(0.8, 0.3, 3, 3.0),
    "regular": Habit(0.18, 0.04, 1, 1.2),
    "occasional": Habit(0.04, 0.01, 1, 0.7),
    "silent": Habit(0.0, 0.0, 0, 0.0),
}


@dataclass
class Member:
    employee_id: str
    name: str
    email: str
    team: str | None
    manager_id: str | None
    role: str
    habit: str = "silent"
    networks: tuple[str, ...] = ("linkedin",)
    zeal: float = 1.0

    def record(self) -> dict:
        return {
            "employee_id": self.employee_id,
            "email": self.email,
            "name": self.name,
            "team": self.team,
            "manager_id": self.manager_id,
            "role": self.role,
        }


def seed_demo(people: int = 200, days: int = 90, random_seed: int = 7) -> dict:
    """Create the demo directory, `days` of events ending now, and a demo API token."""
    if people < 1:
        raise ValueError("a demo organisation needs at least one person")
    if days < 1:
        raise ValueError("a demo needs at least one day of events")
    from sqlalchemy import select

    from recognition.kudos.seed import seed_kudos
    from recognition.people import Employee
    from scoring.events import ingest
    from scoring.ledger import Target, org_today, rebuild_derived, score_events
    from scoring.progress import backfill_history, review_tiers
    from scoring.rulesets import live_scoring

    rng = random.Random(random_seed)
    members = _organisation(rng, people)
    schema = EmployeeSchema()
    for member in members:
        upsert_employee(schema.load(member.record()))
    db.session.commit()

    items = _events(rng, members, days, utcnow(), current_app.config["LAUREL_TZ"], random_seed)
    stored = 0
    # Scored as a backfill: no boards or notifications per batch (everyone's
    # tier would step up "today", several times). The history pass then steps
    # tiers day by day and tells people only what happened lately, at its time;
    # the rebuild writes the boards once.
    live = live_scoring()
    backfill = Target(live.generation, live.ruleset, live=False)
    for start in range(0, len(items), BATCH):
        # A backfill: 90 days of history earn points, as the demo means them to.
        report = ingest(items[start : start + BATCH], default_source=EVENT_SOURCE, backfill=True)
        stored += len(report.new_event_ids)
        if report.new_event_ids:
            score_events(report.new_event_ids, backfill)
    begin_write(db.session)
    backfill_history(live.generation, live.ruleset, org_today())
    db.session.commit()
    kudos = seed_kudos(
        list(db.session.scalars(select(Employee).order_by(Employee.id))), rng, utcnow()
    )
    nominations = seed_nominations(rng)
    # Kudos and nomination bonuses were given at their own moments; today's
    # review brings every tier up to date with them, quietly (it is history).
    begin_write(db.session)
    for _ in live.ruleset.tiers:
        if not review_tiers(live.generation, live.ruleset, org_today(), notify=False):
            break
    db.session.commit()
    rebuild_derived()
    mentorship = seed_mentorship(rng)

    _, secret = create_token(TOKEN_SOURCE, TOKEN_SCOPES)
    teams = {m.team for m in members if m.team}
    return {
        "teams": len(teams),
        "people": len(members),
        "events": stored,
        "kudos": kudos["kudos"],
        "mentorships": mentorship["mentorships"],
        "nominations": nominations["nominations"],
        "demo API token": secret,
    }


def _organisation(rng: random.Random, size: int) -> list[Member]:
    """A head, one manager per team, two program admins, and everyone else."""
    team_count = min(len(TEAMS), max(1 if size > 1 else 0, (size - 3) // 3))
    teams = TEAMS[:team_count]
    names = _names(rng, size)
    ids = (f"E{FIRST_ID + i}" for i in range(size))

    def member(team, manager, role) -> Member:
        name, email = next(names)
        return Member(next(ids), name, email, team, manager, role)

    # The head leads the managers and sits above the teams, so belongs to none.
    head = member(None, None, "manager")
    members = [head]
    managers = {}
    for team, _ in teams:
        managers[team] = member(team, head.employee_id, "manager")
        members.append(managers[team])
    admin_teams = [t for t in ("Marketing", "People & Culture") if t in managers]
    admin_teams += [t for t, _ in teams if t not in admin_teams]
    for i in range(min(2, size - len(members))):
        team = admin_teams[i % len(admin_teams)] if admin_teams else None
        manager = managers[team].employee_id if team else head.employee_id
        members.append(member(team, manager, "admin"))
    weights = [w for _, w in teams]
    while len(members) < size:
        team = rng.choices([t for t, _ in teams], weights)[0]
        members.append(member(team, managers[team].employee_id, "employee"))
    _assign_habits(rng, members)
    return members


def _names(rng: random.Random, size: int):
    used_names: set[str] = set()
    used_emails: set[str] = set()
    for _ in range(size):
        for _attempt in range(20):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if f"{first} {last}" not in used_names:
                break
        name = f"{first} {last}"
        used_names.add(name)
        base = f"{_ascii(first)}.{_ascii(last)}"
        email, n = f"{base}@example.com", 2
        while email in used_emails:
            email, n = f"{base}{n}@example.com", n + 1
        used_emails.add(email)
        yield name, email


_FOLD = str.maketrans("áàâäãåéèêëíìîïóòôöõúùûüñçø", "aaaaaaeeeeiiiiooooouuuunco")


def _ascii(text: str) -> str:
    folded = text.lower().translate(_FOLD)
    return "".join(c for c in folded if c.isalnum())


def _assign_habits(rng: random.Random, members: list[Member]) -> None:
    """A few champions, a middle that shares weekly-ish, a long tail, a quarter silent.

    Program admins and managers lean active: they tend to lead by example.
    """
    order = sorted(
        members,
        key=lambda m: (
            rng.random() * (0.5 if m.role == "admin" else 0.8 if m.role == "manager" else 1)
        ),
    )
    n = len(order)
    champions = max(1, round(n * 0.07))
    regulars = round(n * 0.33)
    silent = round(n * 0.25)
    occasional = max(0, n - champions - regulars - silent)
    tiers = ["champion"] * champions + ["regular"] * regulars + ["occasional"] * occasional
    tiers += ["silent"] * (n - len(tiers))
    for m, habit in zip(order, tiers, strict=True):
        m.habit = habit
        m.zeal = rng.lognormvariate(0, 0.35)
        if habit == "champion":
            others = rng.sample(NETWORKS[1:], rng.randint(1, 3))
            m.networks = ("linkedin", *others)
        elif habit != "silent":
            m.networks = tuple(sorted(set(rng.choices(NETWORKS, NETWORK_WEIGHTS, k=2))))


def _events(
    rng: random.Random,
    members: list[Member],
    days: int,
    now: dt.datetime,
    tz: ZoneInfo,
    random_seed: int,
) -> list[dict]:
    """Shares and the engagement that follows them, oldest first, none in the future."""
    today = now.astimezone(tz).date()
    first_day = today - dt.timedelta(days=days - 1)
    # The company's content library: about two posts a weekday, shared while recent.
    posts: list[tuple[dt.date, str]] = []
    day = first_day - dt.timedelta(days=14)
    while day <= today:
        if day.weekday() < 5:
            for _ in range(rng.choice((1, 2, 2, 3))):
                posts.append((day, f"post-{len(posts) + 1}"))
        day += dt.timedelta(days=1)

    raw: list[tuple[dt.datetime, dict]] = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        weekend = day.weekday() >= 5
        recent = [p for d, p in posts if day - dt.timedelta(days=14) <= d <= day]
        for m in members:
            habit = HABITS[m.habit]
            chance = (habit.weekend if weekend else habit.weekday) * m.zeal
            if not habit.max_per_day or rng.random() >= chance:
                continue
            shares = rng.randint(1, habit.max_per_day)
            networks = _favourite_networks(rng, m.networks, shares)
            content = rng.choice(recent) if recent and rng.random() < 0.7 else None
            for network in networks:
                at = _local_moment(rng, day, tz)
                if at > now:
                    continue
                raw.append((at, _item(m, "share", network, at, content, 1)))
                raw.extend(_engagement(rng, m, habit, network, at, content, now))
    raw.sort(key=lambda pair: pair[0])
    items = []
    for n, (_, item) in enumerate(raw, start=1):
        items.append({"id": f"demo-{random_seed}-{n:06d}", **item})
    return items


def _favourite_networks(rng: random.Random, own: tuple[str, ...], k: int) -> list[str]:
    """`k` of a person's networks, drawn without replacement with LinkedIn favoured."""
    weight = dict(zip(NETWORKS, NETWORK_WEIGHTS, strict=True))
    # Weighted sampling without replacement: order by u ** (1 / weight).
    ranked = sorted(own, key=lambda n: rng.random() ** (1 / weight[n]), reverse=True)
    return ranked[:k]


def _engagement(rng, m: Member, habit: Habit, network: str, shared_at, content, now):
    """Aggregated reactions to one share, arriving over the next day or so."""
    reach = habit.reach * m.zeal
    kinds = (
        ("like", 0.85, 40),
        ("click", 0.6, 60),
        ("comment", 0.35, 8),
        ("reshare", 0.15, 3),
    )
    for kind, chance, most in kinds:
        for _ in range(1 if rng.random() < 0.7 else 2):
            if rng.random() >= chance:
                break
            at = shared_at + dt.timedelta(minutes=rng.randint(10, 30 * 60))
            if at > now:
                continue
            count = _aggregate(rng, most * 0.2 * reach, most)
            yield at, _item(m, kind, network, at, content, count)


def _aggregate(rng: random.Random, mean: float, most: int) -> int:
    """A skewed count in 1..most: exponential around `mean`, redrawn when too large."""
    for _ in range(20):
        count = 1 + int(rng.expovariate(1 / max(mean, 0.1)))
        if count <= most:
            return count
    return rng.randint(1, most)


def _local_moment(rng: random.Random, day: dt.date, tz: ZoneInfo) -> dt.datetime:
    hour = rng.choices(HOURS, HOUR_WEIGHTS)[0]
    local = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=tz)
    return local.astimezone(dt.UTC)


def _item(m: Member, kind: str, network: str, at: dt.datetime, content, count: int) -> dict:
    return {
        "type": kind,
        "employee_id": m.employee_id,
        "network": network,
        "occurred_at": at.isoformat(),
        "content_id": content,
        "count": count,
    }
