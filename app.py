"""Laurel: the app factory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

BASE_DIR = Path(__file__).resolve().parent


class Config:
    """Settings from the environment, with embedded defaults (SQLite + an embedded Redis)."""

    INSTANCE_PATH = os.environ.get("LAUREL_INSTANCE_PATH", str(BASE_DIR / "instance"))
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{Path(INSTANCE_PATH) / 'laurel.sqlite'}"
    )
    REDIS_URL = os.environ.get("REDIS_URL") or None
    SECRET_KEY = os.environ.get("SECRET_KEY")
    LAUREL_TIMEZONE = os.environ.get("LAUREL_TIMEZONE", "UTC")
    # Names the board family in Redis keys (lb:{org}:...), so several Laurel
    # installations can share one Redis.
    LAUREL_ORG = os.environ.get("LAUREL_ORG", "laurel")
    LAUREL_QUEUE = os.environ.get("LAUREL_QUEUE", "laurel")
    # Names the issuer of exported Open Badges.
    # The demo sign-in page (pick any seeded person); never on in production.
    LAUREL_DEMO = os.environ.get("LAUREL_DEMO", "") == "1"
    # Lets LAUREL_DEMO run against a server database anyway (a shared demo).
    LAUREL_DEMO_FORCE = os.environ.get("LAUREL_DEMO_FORCE", "") == "1"
    # A page session unused this long is over (open pages poll, so they keep it alive).
    LAUREL_SESSION_IDLE_MINUTES = os.environ.get("LAUREL_SESSION_IDLE_MINUTES", "60")
    # Requests per minute, 0 for no limit: API requests per token, and per client
    # address demo sign-ins and requests with an invalid API token.
    LAUREL_RATE_LIMIT_API = os.environ.get("LAUREL_RATE_LIMIT_API", "1200")
    LAUREL_RATE_LIMIT_SIGN_IN = os.environ.get("LAUREL_RATE_LIMIT_SIGN_IN", "20")
    LAUREL_RATE_LIMIT_BAD_TOKENS = os.environ.get("LAUREL_RATE_LIMIT_BAD_TOKENS", "30")
    # Name of the header a trusted SSO proxy sets to the signed-in email.
    LAUREL_TRUSTED_HEADER = os.environ.get("LAUREL_TRUSTED_HEADER") or None
    # Trust X-Forwarded-* from one proxy hop (HTTPS detection, client address).
    LAUREL_PROXY_FIX = os.environ.get("LAUREL_PROXY_FIX", "") == "1"
    LAUREL_ISSUER_NAME = os.environ.get("LAUREL_ISSUER_NAME", "Laurel advocacy program")
    # PostgreSQL session settings (libpq `options`). The scoring queries probe
    # indexes with a few hundred ids at a time; at the default random_page_cost
    # (4, tuned for spinning disks) the planner prefers scanning a whole table
    # of a few hundred thousand rows instead. 1.1 is the usual value for SSDs
    # and cached data. Set LAUREL_PG_OPTIONS to "" to keep the server's settings.
    LAUREL_PG_OPTIONS = os.environ.get("LAUREL_PG_OPTIONS", "-c random_page_cost=1.1")
    # The outbox relay (run by `flask laurel scheduler`): seconds between runs,
    # and how long it leaves a new event to the score job enqueued for it. An
    # event whose job was lost is scored within about the sum of the two.
    LAUREL_RELAY_INTERVAL = int(os.environ.get("LAUREL_RELAY_INTERVAL", "30"))
    LAUREL_RELAY_AFTER = int(os.environ.get("LAUREL_RELAY_AFTER", "30"))
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    MAX_EVENTS_PER_REQUEST = 1000
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=Config.INSTANCE_PATH)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    _check_config(app)

    from recognition import inputs
    from recognition.extensions import connect_redis, db, htmx, migrate

    # First: the URL converter must be in place before any route is added, and
    # the input guard runs before every other request hook.
    inputs.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    htmx.init_app(app)
    app.extensions["laurel_redis"] = connect_redis(app.config["REDIS_URL"], app.instance_path)

    import recognition.models  # noqa: F401  (registers every model with the metadata)
    from recognition import auth, headers
    from recognition.admin import bp as admin_pages
    from recognition.api import bp as people_api
    from recognition.cli import laurel_cli
    from recognition.kudos.api import bp as kudos_api
    from recognition.kudos.views import bp as kudos_pages
    from recognition.mentorship.api import bp as mentorship_api
    from recognition.mentorship.views import bp as mentorship_pages
    from recognition.nominations.api import bp as nominations_api
    from recognition.nominations.views import bp as nominations_pages
    from recognition.openapi import bp as openapi
    from recognition.pages import bp as me_pages
    from recognition.problems import register_error_handlers
    from recognition.team.views import bp as team_pages
    from scoring.api import bp as scoring_api
    from scoring.badges_api import bp as badges_api
    from scoring.pages import bp as scoring_pages

    if app.config["LAUREL_PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    auth.init_app(app)
    headers.init_app(app)
    app.register_blueprint(me_pages)
    app.register_blueprint(admin_pages)
    app.register_blueprint(mentorship_pages)
    app.register_blueprint(nominations_pages)
    app.register_blueprint(team_pages)
    register_error_handlers(app)
    app.register_blueprint(scoring_api)
    app.register_blueprint(people_api)
    app.register_blueprint(badges_api)
    app.register_blueprint(kudos_api)
    app.register_blueprint(kudos_pages)
    app.register_blueprint(mentorship_api)
    app.register_blueprint(openapi)
    app.register_blueprint(nominations_api)
    app.register_blueprint(scoring_pages)
    app.cli.add_command(laurel_cli)
    return app


def _check_config(app: Flask) -> None:
    try:
        app.config["LAUREL_TZ"] = ZoneInfo(app.config["LAUREL_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(
            f"LAUREL_TIMEZONE={app.config['LAUREL_TIMEZONE']!r} is not an IANA time zone"
        ) from exc
    _whole_number_setting(app, "LAUREL_SESSION_IDLE_MINUTES", "minutes", least=1)
    for name in (
        "LAUREL_RATE_LIMIT_API",
        "LAUREL_RATE_LIMIT_SIGN_IN",
        "LAUREL_RATE_LIMIT_BAD_TOKENS",
    ):
        _whole_number_setting(app, name, "requests a minute (0 for no limit)", least=0)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if (
        app.config["LAUREL_DEMO"]
        and not uri.startswith("sqlite")
        and not app.config.get("LAUREL_DEMO_FORCE")
    ):
        # The demo sign-in lets anyone be anyone: on a real database, that is everyone's data.
        raise RuntimeError(
            "LAUREL_DEMO=1 lets anyone sign in as anyone, and DATABASE_URL points at a "
            f"server database ({uri.split(':', 1)[0]}): refusing to start. Unset LAUREL_DEMO, "
            "or set LAUREL_DEMO_FORCE=1 if this really is a demo database."
        )
    if uri.startswith("postgresql+psycopg"):
        # No server-side prepared statements: a prepared statement falls back to
        # a generic plan, which cannot see the ids inside `= ANY(:ids)` and then
        # compares each row with every id (or picks a plan from stale guesses).
        # A fresh plan per statement costs well under a millisecond. It also
        # keeps the app usable behind a transaction-pooling PgBouncer.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        connect = {**options.get("connect_args", {}), "prepare_threshold": None}
        if app.config["LAUREL_PG_OPTIONS"]:
            connect["options"] = app.config["LAUREL_PG_OPTIONS"]
        options["connect_args"] = connect
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        if os.environ.get("DATABASE_URL") and not app.config.get("TESTING"):
            raise RuntimeError("SECRET_KEY must be set when running against DATABASE_URL")
        app.config["SECRET_KEY"] = _embedded_secret(Path(app.instance_path))


def _whole_number_setting(app: Flask, name: str, unit: str, least: int) -> None:
    raw = str(app.config[name]).strip()
    if not raw.isascii() or not raw.isdigit() or int(raw) < least:
        raise RuntimeError(f"{name}={raw!r} must be a whole number of {unit}")
    app.config[name] = int(raw)


def _embedded_secret(instance: Path) -> str:
    """Embedded mode keeps a generated key in instance/, so sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
