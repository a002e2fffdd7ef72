"""Admin pages: rules, API tokens, program analytics."""

from flask import Blueprint

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")


@bp.get("/")
def analytics():
    return "admin"
