"""Small SQL helpers that differ by backend."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from recognition.extensions import db


def upsert(table: Table):
    """INSERT ... ON CONFLICT for the session's backend (PostgreSQL or SQLite)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def lock_scoring(generation_tables: list[str]) -> None:
    """Hold off every score job for the rest of this transaction.

    Score jobs insert into these tables before they write to Redis, so an
    EXCLUSIVE table lock waits for jobs in flight and blocks new ones; on
    SQLite the transaction already holds the database write lock.
    """
    if is_postgres():
        for name in generation_tables:
            db.session.execute(db.text(f"LOCK TABLE {name} IN EXCLUSIVE MODE"))
