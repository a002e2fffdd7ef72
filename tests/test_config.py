"""Settings derived from the environment at app creation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app

ROOT = Path(__file__).resolve().parents[1]


def _app(uri: str, **extra):
    # A Redis URL nobody listens on: clients connect lazily, nothing is contacted.
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": uri,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "SECRET_KEY": "x",
            **extra,
        }
    )


def test_postgresql_sessions_skip_prepared_statements_and_favour_index_probes():
    app = _app("postgresql+psycopg://nobody@127.0.0.1:1/none")
    connect = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert connect["prepare_threshold"] is None
    assert connect["options"] == "-c random_page_cost=1.1"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_postgresql_session_options_can_be_left_to_the_server():
    app = _app("postgresql+psycopg://nobody@127.0.0.1:1/none", LAUREL_PG_OPTIONS="")
    assert "options" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]


def test_sqlite_gets_no_postgresql_connect_arguments(tmp_path):
    app = _app(f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_demo_mode_refuses_a_server_database():
    with pytest.raises(RuntimeError, match="LAUREL_DEMO=1 lets anyone sign in as anyone"):
        _app("postgresql+psycopg://nobody@127.0.0.1:1/none", LAUREL_DEMO=True)


def test_demo_mode_runs_on_a_server_database_when_forced():
    app = _app(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", LAUREL_DEMO=True, LAUREL_DEMO_FORCE=True
    )
    assert app.config["LAUREL_DEMO"] is True


def test_demo_mode_runs_on_sqlite(tmp_path):
    assert _app(f"sqlite:///{tmp_path / 'x.sqlite'}", LAUREL_DEMO=True).config["LAUREL_DEMO"]


def test_demo_mode_from_the_environment_refuses_and_says_why(tmp_path):
    env = {
        **os.environ,
        "LAUREL_DEMO": "1",
        "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "SECRET_KEY": "x",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "LAUREL_INSTANCE_PATH": str(tmp_path),
    }
    start = [sys.executable, "-c", "from app import create_app; create_app()"]
    refused = subprocess.run(start, env=env, capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode != 0 and "LAUREL_DEMO_FORCE=1" in refused.stderr
