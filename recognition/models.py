"""Imports every model module so the metadata (and Alembic) sees all tables."""

from recognition.people import Employee, Team
from recognition.tokens import ApiToken
from scoring.models import (
    DailyTotal,
    EmployeeScore,
    Event,
    LedgerGeneration,
    PointAward,
    RulesetVersion,
)

__all__ = [
    "ApiToken",
    "DailyTotal",
    "Employee",
    "EmployeeScore",
    "Event",
    "LedgerGeneration",
    "PointAward",
    "RulesetVersion",
    "Team",
]
