"""Pages for everyone signed in: Me, profiles, settings, notifications."""

from flask import Blueprint

bp = Blueprint("me_pages", __name__)


@bp.get("/")
def me():
    return "me"


@bp.get("/notifications")
def notifications():
    return "notifications"


@bp.get("/notifications/bell")
def bell():
    return "bell"


@bp.get("/settings")
def settings():
    return "settings"
