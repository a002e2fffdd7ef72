"""Extensions created once and attached to the app in `create_app`."""

from __future__ import annotations

import datetime as dt

import redis
from flask import Flask, current_app
from flask_htmx import HTMX
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from recognition import embedded_redis

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
htmx = HTMX()

# SQLite only aliases INTEGER PRIMARY KEY to the rowid; BIGINT would not autoincrement.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Take over transaction control so BEGIN IMMEDIATE is possible (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # First, so that even the pragmas below wait for a busy writer.
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        # A writer that starts with a plain BEGIN and upgrades later can fail with
        # SQLITE_BUSY at once; writers ask for the write lock up front instead.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def begin_write(session) -> None:
    """Start the session's transaction as a writer.

    On SQLite this takes the database write lock up front (BEGIN IMMEDIATE), so
    concurrent writers queue on busy_timeout instead of failing; on PostgreSQL it
    is a plain transaction and row locks do the serialising. A read-only
    transaction still open (say, from checking the API token) is ended first.
    """
    session = session() if hasattr(session, "registry") else session
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() with unflushed changes pending")
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def redis_connection(app: Flask | None = None) -> redis.Redis:
    app = app or current_app
    return app.extensions["laurel_redis"]


# redis-py retries a lost connection 10 times (about 5 s) before it gives up.
# A web request would hang that long before its 503; a job just fails and is
# retried by RQ. A few quick retries ride out a blip and then answer.
REDIS_RETRY = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.2), retries=3)


def connect_redis(url: str | None, instance_path: str) -> redis.Redis:
    """A Redis client for REDIS_URL, or for the instance folder's embedded server
    when unset (one per folder, shared by every process: see embedded_redis)."""
    return redis.Redis.from_url(
        url or embedded_redis.attach(instance_path), retry=REDIS_RETRY, socket_connect_timeout=5
    )
