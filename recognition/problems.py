"""RFC 9457 problem details for every API error."""

from __future__ import annotations

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "about:blank"


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


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def validation_failed(exc: ValidationError):
        return problem(
            422,
            "Unprocessable Content",
            "The request body did not validate.",
            errors=exc.normalized_messages(),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not _wants_problem():
            return exc
        response = problem(exc.code or 500, exc.name, exc.description)
        # What the error itself says in headers: Retry-After (429), Allow (405), ...
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
