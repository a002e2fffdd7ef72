"""Imports every model module so the metadata (and Alembic) sees all tables."""

from recognition.kudos.models import (
    Kudos,
    KudosAllowance,
    KudosPair,
    KudosReaction,
    KudosReceipt,
    KudosSettingsVersion,
)
from recognition.mentorship.models import (
    Bookmark,
    ContentItem,
    DraftPair,
    MatchingRun,
    MatchingSettings,
    MenteeAsk,
    MentorOffer,
    Mentorship,
    Topic,
    Transition,
)
from recognition.nominations.models import (
    Nomination,
    NominationCategory,
    NominationDecision,
    NominationTransition,
)
from recognition.people import Employee, Team
from recognition.sessions import WebSession
from recognition.tokens import ApiToken
from scoring.models import (
    BadgeAward,
    DailyTotal,
    DeadLetter,
    EmployeeScore,
    Event,
    LedgerGeneration,
    Notification,
    PendingEvent,
    PersonProgress,
    PointAward,
    RulesetVersion,
)

__all__ = [
    "ApiToken",
    "BadgeAward",
    "Bookmark",
    "ContentItem",
    "DailyTotal",
    "DeadLetter",
    "DraftPair",
    "Employee",
    "EmployeeScore",
    "Event",
    "Kudos",
    "KudosAllowance",
    "KudosPair",
    "KudosReaction",
    "KudosReceipt",
    "KudosSettingsVersion",
    "LedgerGeneration",
    "MatchingRun",
    "MatchingSettings",
    "MenteeAsk",
    "MentorOffer",
    "Mentorship",
    "Nomination",
    "NominationCategory",
    "NominationDecision",
    "NominationTransition",
    "Notification",
    "PendingEvent",
    "PersonProgress",
    "PointAward",
    "RulesetVersion",
    "Team",
    "Topic",
    "Transition",
    "WebSession",
]
