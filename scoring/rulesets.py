"""Stored rulesets and the live ledger generation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from recognition.extensions import begin_write, db
from scoring.models import LedgerGeneration, RulesetVersion
from scoring.rules import Ruleset, RulesetError, load_default_document

__all__ = ["LiveScoring", "RulesetError", "live_scoring", "ruleset", "save_ruleset"]


@dataclass(frozen=True)
class LiveScoring:
    generation: int
    ruleset: Ruleset


@lru_cache(maxsize=32)
def _parsed(version: int, document_json: str) -> Ruleset:
    return Ruleset.from_document(json.loads(document_json), version)


def ruleset(version: int) -> Ruleset:
    row = db.session.get(RulesetVersion, version)
    if row is None:
        raise LookupError(f"no ruleset version {version}")
    return _parsed(version, json.dumps(row.document, sort_keys=True))


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
        select(LedgerGeneration.id, LedgerGeneration.ruleset_version).where(
            LedgerGeneration.state == "live"
        )
    ).first()
    if row is None:
        ensure_scoring_setup()
        return live_scoring()
    return LiveScoring(row.id, ruleset(row.ruleset_version))


def save_ruleset(document: dict, note: str | None = None, by: str | None = None) -> int:
    """Validate and store a ruleset document as the next version; returns it."""
    if not isinstance(document, dict):
        raise RulesetError({"_schema": ["a ruleset is a JSON object"]})
    ensure_scoring_setup()
    begin_write(db.session)
    version = (db.session.scalar(select(func.max(RulesetVersion.version))) or 0) + 1
    Ruleset.from_document(document, version)  # raises RulesetError naming each field
    db.session.add(RulesetVersion(version=version, document=document, note=note, created_by=by))
    db.session.commit()
    return version
