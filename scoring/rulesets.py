"""Stored rulesets and the live ledger generation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Text, cast, func, select
from sqlalchemy.exc import IntegrityError

from recognition.extensions import begin_write, db
from recognition.inputs import unsafe_strings
from scoring.models import LedgerGeneration, RulesetVersion
from scoring.rules import Ruleset, RulesetError, load_default_document

__all__ = [
    "LiveScoring",
    "RulesetError",
    "live_generation",
    "live_scoring",
    "ruleset",
    "save_ruleset",
]


@dataclass(frozen=True)
class LiveScoring:
    generation: int
    ruleset: Ruleset


# The stored JSON as text, not the decoded column: a page asks for the live
# ruleset several times, and each ask is then one small read and a cache hit
# instead of a JSON decode, a re-encode for the cache key and a parse.
_DOCUMENT_TEXT = cast(RulesetVersion.document, Text)


@lru_cache(maxsize=32)
def _parsed(version: int, document_text: str) -> Ruleset:
    return Ruleset.from_document(json.loads(document_text), version)


def ruleset(version: int) -> Ruleset:
    text = db.session.scalar(select(_DOCUMENT_TEXT).where(RulesetVersion.version == version))
    if text is None:
        raise LookupError(f"no ruleset version {version}")
    return _parsed(version, text)


def ensure_scoring_setup() -> None:
    """Load the default ruleset as version 1 and open generation 1, once.

    Always ends its transaction, so a writer can begin a fresh one after it.
    """
    ready = db.session.scalar(select(func.count()).select_from(LedgerGeneration))
    db.session.commit()
    if ready:
        return
    begin_write(db.session)
    try:
        if not db.session.scalar(select(func.count()).select_from(LedgerGeneration)):
            if db.session.get(RulesetVersion, 1) is None:
                db.session.add(
                    RulesetVersion(version=1, document=load_default_document(), note="default")
                )
                db.session.flush()
            db.session.add(LedgerGeneration(ruleset_version=1, state="live"))
        db.session.commit()
    except IntegrityError:
        # Another process set it up at the same moment; theirs is as good as ours.
        db.session.rollback()


def live_scoring() -> LiveScoring:
    """The live generation and its ruleset, set up on first use."""
    row = db.session.execute(
        select(LedgerGeneration.id, LedgerGeneration.ruleset_version, _DOCUMENT_TEXT)
        .join(RulesetVersion, RulesetVersion.version == LedgerGeneration.ruleset_version)
        .where(LedgerGeneration.state == "live")
    ).first()
    if row is None:
        ensure_scoring_setup()
        return live_scoring()
    generation, version, text = row
    return LiveScoring(generation, _parsed(version, text))


def live_generation() -> int | None:
    """Only the live generation's id: the cheap check that it did not switch."""
    return db.session.scalar(select(LedgerGeneration.id).where(LedgerGeneration.state == "live"))


def save_ruleset(document: dict, note: str | None = None, by: str | None = None) -> int:
    """Validate and store a ruleset document as the next version; returns it."""
    if not isinstance(document, dict):
        raise RulesetError({"_schema": ["a ruleset is a JSON object"]})
    if unsafe := unsafe_strings(document):
        raise RulesetError(unsafe)
    ensure_scoring_setup()
    begin_write(db.session)
    version = (db.session.scalar(select(func.max(RulesetVersion.version))) or 0) + 1
    Ruleset.from_document(document, version)  # raises RulesetError naming each field
    db.session.add(RulesetVersion(version=version, document=document, note=note, created_by=by))
    db.session.commit()
    return version
