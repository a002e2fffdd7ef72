"""Server-side sign-in sessions: a row per signed-in browser, so a session can end.

The signed session cookie carries only a random session id; the row (keyed by
its SHA-256, so a copy of the table opens nothing) says whose it is and when
it was last used. Signing out deletes the row, so a replayed cookie opens
nothing; deactivating someone or changing their role deletes all of theirs;
a session unused for `LAUREL_SESSION_IDLE_MINUTES` is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from sqlalchemy import ForeignKey, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recognition.clock import utcnow
from recognition.extensions import UTCDateTime, begin_write, db

# Polls and clicks keep a session alive; recording that once a minute is enough.
TOUCH_EVERY = dt.timedelta(minutes=1)


class WebSession(db.Model):
    __tablename__ = "web_sessions"

    # SHA-256 of the secret id in the cookie.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    employee_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    employee = relationship("Employee", lazy="joined")


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["LAUREL_SESSION_IDLE_MINUTES"])


def start_session(employee_id: int) -> str:
    """A new session for this person; returns the secret id for the cookie.

    Also clears out sessions that went idle, so the table holds live ones only.
    """
    now = utcnow()
    secret = secrets.token_urlsafe(32)
    begin_write(db.session)
    db.session.execute(delete(WebSession).where(WebSession.last_seen_at < now - idle_limit()))
    db.session.add(
        WebSession(id=_key(secret), employee_id=employee_id, created_at=now, last_seen_at=now)
    )
    db.session.commit()
    return secret


def resume_session(secret: str | None):
    """The active person this session belongs to, or None (unknown, ended or idle)."""
    if not secret or not isinstance(secret, str):
        return None
    row = db.session.scalar(select(WebSession).where(WebSession.id == _key(secret)))
    if row is None:
        return None
    now = utcnow()
    person = row.employee
    if now - row.last_seen_at > idle_limit() or not person.active:
        end_session(secret)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        begin_write(db.session)
        db.session.execute(
            update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now)
        )
        db.session.commit()  # `person` reloads itself on next use
    return person


def end_session(secret: str | None) -> None:
    """Sign this session out (nothing happens for an unknown one)."""
    if not secret or not isinstance(secret, str):
        return
    begin_write(db.session)
    db.session.execute(delete(WebSession).where(WebSession.id == _key(secret)))
    db.session.commit()


def end_sessions_of(employee_id: int) -> None:
    """Delete every session of a person, in the caller's transaction (no commit)."""
    db.session.execute(delete(WebSession).where(WebSession.employee_id == employee_id))
