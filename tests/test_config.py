"""Settings derived from the environment at app creation."""

from __future__ import annotations

from app import create_app


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
