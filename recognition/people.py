"""Employees and teams: the directory integrations and pages refer to."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import IO

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recognition.clock import utcnow
from recognition.extensions import UTCDateTime, begin_write, db
from recognition.inputs import Email, Text
from recognition.sessions import end_sessions_of

ROLES = ("employee", "manager", "admin")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Employee(db.Model):
    __tablename__ = "employees"
    __table_args__ = (CheckConstraint("role IN ('employee', 'manager', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="employee")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The person's own choice: hidden from public boards, still sees their own rank.
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # The person's own choice: the reasons of nominations they won show on the wall.
    show_nomination_reasons: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    team: Mapped[Team | None] = relationship(lazy="joined")
    manager: Mapped[Employee | None] = relationship(remote_side=[id], lazy="select")

    def to_dict(self) -> dict:
        return {
            "employee_id": self.external_id,
            "email": self.email,
            "name": self.name,
            "team": self.team.slug if self.team else None,
            "team_name": self.team.name if self.team else None,
            "manager_id": self.manager.external_id if self.manager else None,
            "role": self.role,
            "active": self.active,
        }


def find_colleagues(q: str, me_id: int, limit: int = 8) -> list[Employee]:
    """Active people other than `me_id` whose name or HR id contains `q` (2 to 100
    characters; LIKE wildcards in it count as text), by name: search as you type."""
    q = q.strip()
    if len(q) < 2 or len(q) > 100:
        return []
    pattern = "%" + q.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
    return list(
        db.session.scalars(
            select(Employee)
            .where(
                Employee.active.is_(True),
                Employee.id != me_id,
                or_(
                    func.lower(Employee.name).like(pattern),
                    func.lower(Employee.external_id).like(pattern),
                ),
            )
            .order_by(Employee.name)
            .limit(limit)
        )
    )


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64]


class EmployeeSchema(Schema):
    """One directory record, as the CSV import and PUT /api/v1/employees take it."""

    class Meta:
        unknown = EXCLUDE

    employee_id = Text(required=True, validate=validate.Length(min=1, max=64))
    email = Email(required=True, validate=validate.Length(max=254))
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    # A team is named by slug or by display name; the slug is derived from it.
    team = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    manager_id = Text(load_default=None, allow_none=True)
    # Left out: a new person gets the default, an existing one keeps theirs.
    role = Text(validate=validate.OneOf(ROLES))
    active = fields.Boolean()

    @validates_schema
    def _manager_is_not_self(self, data, **kwargs):
        if data.get("manager_id") and data["manager_id"] == data["employee_id"]:
            raise ValidationError("an employee cannot be their own manager", "manager_id")


def _without_blanks(record: dict) -> dict:
    """CSV cells as schema input: a blank cell means "not given", so defaults apply."""
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in record.items()}
    return {k: v for k, v in cleaned.items() if k is not None and v not in (None, "")}


@dataclass
class UpsertResult:
    employee: Employee
    created: bool
    previous_team: str | None
    # Name, team or active flag changed: what the leaderboards show.
    board_changed: bool


def upsert_employee(data: dict) -> UpsertResult:
    """Create or update one person from validated `EmployeeSchema` data (no commit).

    A manager that is not in the directory yet is an error, so imports list
    managers first or run twice; the CSV importer orders rows to make that easy.
    """
    team = _team_for(data.get("team"))
    manager = None
    if data.get("manager_id"):
        manager = db.session.scalar(
            select(Employee).where(Employee.external_id == data["manager_id"])
        )
        if manager is None:
            raise ValidationError({"manager_id": [f"unknown employee {data['manager_id']!r}"]})
    email = data["email"].lower()
    clash = db.session.scalar(
        select(Employee).where(
            func.lower(Employee.email) == email, Employee.external_id != data["employee_id"]
        )
    )
    if clash is not None:
        raise ValidationError({"email": [f"already used by employee {clash.external_id!r}"]})

    person = db.session.scalar(select(Employee).where(Employee.external_id == data["employee_id"]))
    created = person is None
    previous_team = None if created or person.team is None else person.team.slug
    before = None if created else (person.name, previous_team, person.active)
    if created:
        person = Employee(external_id=data["employee_id"])
        db.session.add(person)
    person.email = email
    person.name = data["name"]
    person.team = team
    person.manager = manager
    access = None if created else (person.role, person.active)
    if "role" in data or created:
        person.role = data.get("role", "employee")
    if "active" in data or created:
        person.active = data.get("active", True)
    if access is not None and access != (person.role, person.active):
        # Sessions were opened with the old role (or while they were active).
        end_sessions_of(person.id)
    db.session.flush()
    after = (person.name, team.slug if team else None, person.active)
    return UpsertResult(person, created, previous_team, not created and before != after)


def _team_for(value: str | None) -> Team | None:
    if not value:
        return None
    slug = value if SLUG_RE.match(value) else slugify(value)
    if not slug:
        raise ValidationError({"team": ["team needs at least one letter or digit"]})
    team = db.session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        name = value if value != slug else value.replace("-", " ").title()
        team = Team(slug=slug, name=name)
        db.session.add(team)
        db.session.flush()
    return team


CSV_COLUMNS = ("employee_id", "email", "name", "team", "manager_id", "role")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, dict]] = field(default_factory=list)
    changed: list[UpsertResult] = field(default_factory=list)


def import_employees_csv(stream: IO[str]) -> ImportReport:
    """Upsert the directory from CSV; bad rows are reported by line and skipped.

    Each row is its own savepoint, so one bad row does not undo the good ones.
    Rows are applied managers-first, so a file may list people in any order.
    """
    reader = csv.DictReader(stream)
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"CSV header lacks column(s): {', '.join(missing)}")
    rows = [(line, _without_blanks(row)) for line, row in enumerate(reader, start=2)]
    report = ImportReport()
    schema = EmployeeSchema()
    begin_write(db.session)
    for line, row in _managers_first(rows):
        try:
            data = schema.load(row)
            with db.session.begin_nested():
                result = upsert_employee(data)
        except ValidationError as exc:
            report.errors.append((line, exc.normalized_messages()))
            continue
        report.changed.append(result)
        if result.created:
            report.created += 1
        else:
            report.updated += 1
    return report


def _managers_first(rows: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    by_id = {row.get("employee_id"): row for _, row in rows}
    depth_cache: dict[str, int] = {}

    def depth(emp_id: str | None, seen: frozenset = frozenset()) -> int:
        if emp_id is None or emp_id not in by_id or emp_id in seen:
            return 0
        if emp_id not in depth_cache:
            manager = by_id[emp_id].get("manager_id")
            depth_cache[emp_id] = 1 + depth(manager, seen | {emp_id})
        return depth_cache[emp_id]

    return sorted(rows, key=lambda item: depth(item[1].get("employee_id")))
