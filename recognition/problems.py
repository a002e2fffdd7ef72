"""Errors: RFC 9457 problem details for the API, Laurel's own pages for people."""

from __future__ import annotations

import logging

import redis
from flask import Flask, jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from recognition.extensions import db

PROBLEM_TYPE = "about:blank"
# Seconds a client is asked to wait when Redis (boards, queue) is unreachable.
RETRY_AFTER_SECONDS = 10

log = logging.getLogger(__name__)

# What a person reads for the errors they may meet; others show the error's own words.
PAGE_TEXTS = {
    403: (
        "This page isn't open to you",
        "Your role in Laurel does not include this page. If you think it should, "
        "ask your advocacy program admin.",
    ),
    404: (
        "We couldn't find that page",
        "The address may be mistyped, or what it pointed to is no longer here.",
    ),
    500: (
        "Something went wrong on our side",
        "Laurel could not finish that request. Nothing you had already saved is lost; "
        "try again in a moment.",
    ),
}


def problem(status: int, title: str, detail: str | None = None, **extra):
    body = {"type": extra.pop("type", PROBLEM_TYPE), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _wants_problem() -> bool:
    return request.path.startswith("/api/")


def error_page(exc: HTTPException):
    """An error as a page in Laurel's layout, with a way back."""
    status = exc.code or 500
    heading, detail = PAGE_TEXTS.get(status, (exc.name, exc.description))
    # A message given to abort() says more than the stock text; keep it.
    if exc.description and exc.description != type(exc).description and status != 500:
        detail = exc.description
    body = render_template("errors/error.html", status=status, heading=heading, detail=detail)
    response = exc.get_response()
    response.set_data(body)
    response.mimetype = "text/html"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def validation_failed(exc: ValidationError):
        return problem(
            422,
            "Unprocessable Content",
            "The request body did not validate.",
            errors=exc.normalized_messages(),
        )

    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def store_unavailable(exc: redis.RedisError):
        # Redis holds derived data only (boards, the job queue): nothing is lost,
        # and events are still accepted (they wait in the outbox).
        log.warning("Redis unavailable for %s %s: %s", request.method, request.path, exc)
        if _wants_problem():
            response = problem(
                503,
                "Service Unavailable",
                "Leaderboards and jobs are unavailable for a moment; try again shortly.",
            )
        else:
            response = app.make_response((render_template("unavailable.html"), 503))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc  # redirects Werkzeug raises (a missing trailing slash)
        if exc.code >= 500:
            # The request's transaction may be broken; the page must not reuse it.
            db.session.rollback()
        if _wants_problem():
            response = problem(exc.code, exc.name, exc.description)
        else:
            response = error_page(exc)
        # What the error itself says in headers: Retry-After (429), Allow (405), ...
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
