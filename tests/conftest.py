"""Fixtures: every test gets its own clean database and Redis, on each backend.

The embedded backend (SQLite file + the embedded Redis) always runs. With
TEST_DATABASE_URL and TEST_REDIS_URL set, the same tests run against
PostgreSQL and a Redis server instead.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator

import pytest
import redis
from rq import SimpleWorker
from sqlalchemy import create_engine, text

from app import create_app
from recognition import clock, embedded_redis
from recognition.extensions import db
from tests.helpers import FUZZ_REQUESTS

SERVER_DB = os.environ.get("TEST_DATABASE_URL")
SERVER_REDIS = os.environ.get("TEST_REDIS_URL")
if bool(SERVER_DB) != bool(SERVER_REDIS):
    raise pytest.UsageError("set both TEST_DATABASE_URL and TEST_REDIS_URL, or neither")
BACKEND = "server" if SERVER_DB else "embedded"


def _migrate(uri: str, redis_url: str, instance: str) -> None:
    from flask_migrate import upgrade

    app = create_app(_config(uri, redis_url, instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _config(uri: str, redis_url: str, instance: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret",
        "LAUREL_ORG": "test",
        "LAUREL_QUEUE": "laurel-test",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # Off unless a test turns one on: tests send many requests from one address.
        "LAUREL_RATE_LIMIT_API": 0,
        "LAUREL_RATE_LIMIT_SIGN_IN": 0,
        "LAUREL_RATE_LIMIT_BAD_TOKENS": 0,
    }


@pytest.fixture(scope="session")
def backend_setup(tmp_path_factory) -> Iterator[dict]:
    """Migrate once per run; each test then starts from a copy or a truncation."""
    base = tmp_path_factory.mktemp("laurel")
    if BACKEND == "server":
        engine = create_engine(SERVER_DB)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(SERVER_DB, SERVER_REDIS, str(base))
        yield {"db": SERVER_DB, "redis": SERVER_REDIS, "base": base}
        return
    # The embedded Redis the app itself would start, in this run's own folder.
    redis_url = embedded_redis.attach(base / "redis")
    template = base / "template.sqlite"
    _migrate(f"sqlite:///{template}", redis_url, str(base))
    yield {"template": template, "redis": redis_url, "base": base}
    embedded_redis.leave(base / "redis")


def pytest_configure(config):
    config.addinivalue_line("markers", "timezone(name): the organisation's LAUREL_TIMEZONE")


def pytest_terminal_summary(terminalreporter, config):
    sent = config.stash.get(FUZZ_REQUESTS, 0)
    if sent:
        terminalreporter.write_line(f"fuzz: {sent} requests sent to every route (the fuzz test)")


@pytest.fixture
def app(backend_setup, tmp_path, request):
    if BACKEND == "server":
        uri = backend_setup["db"]
        engine = create_engine(uri)
        with engine.begin() as conn:
            tables = conn.execute(
                text(
                    "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).scalar()
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    else:
        path = tmp_path / "laurel.sqlite"
        shutil.copy(backend_setup["template"], path)
        uri = f"sqlite:///{path}"
    redis.Redis.from_url(backend_setup["redis"]).flushdb()
    config = _config(uri, backend_setup["redis"], str(tmp_path))
    marker = request.node.get_closest_marker("timezone")
    if marker:
        config["LAUREL_TIMEZONE"] = marker.args[0]
    application = create_app(config)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()
    clock.freeze(None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class InProcessWorker(SimpleWorker):
    """Runs jobs like any worker, without the remote-command channel (whose thread
    takes a second to stop and is not what the tests exercise)."""

    def subscribe(self):
        pass

    def unsubscribe(self):
        pass


@pytest.fixture
def work(app):
    """Run queued jobs to completion in this process, like a worker would."""
    from recognition.extensions import redis_connection
    from scoring.jobs import queue

    def run() -> None:
        errors: list[str] = []

        def collect(job, exc_type, exc_value, tb):
            errors.append(f"{job.func_name}: {exc_type.__name__}: {exc_value}")
            return True

        worker = InProcessWorker(
            [queue()], connection=redis_connection(), exception_handlers=[collect]
        )
        worker.work(burst=True, with_scheduler=False)
        assert not errors, errors

    return run


@pytest.fixture
def freeze_time(app):
    def freeze(moment: str | dt.datetime) -> dt.datetime:
        if isinstance(moment, str):
            moment = dt.datetime.fromisoformat(moment)
        clock.freeze(moment)
        return moment

    return freeze
