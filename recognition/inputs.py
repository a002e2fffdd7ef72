"""Input hygiene in one place: what may come in as text, numbers, times and JSON.

Each kind of hostile input has one mechanism here, used everywhere it applies:
- text: `Text` and `Email` (marshmallow fields every schema uses) refuse NUL
  characters, which PostgreSQL cannot store, and lone surrogates, which no
  database can encode; `unsafe_text` finds them anywhere in a JSON document;
- query strings, form bodies and URL paths: `guard_request`, run before every
  request, answers 400 for invalid UTF-8 or a NUL character;
- whole numbers from a query or form: `whole_number`, ASCII digits in a range
  (`"²".isdigit()` is true, `int("²")` fails);
- whole numbers in a URL: the `int` converter stays within a 32-bit id;
- times: `Moment`, an aware timestamp with a real-world offset and a year in range;
- JSON bodies: `SafeJSONProvider` answers 400 for documents nested too deeply,
  `NaN`/`Infinity` (not JSON) and numbers too large for a float.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import ValidationError, fields
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# Ids are PostgreSQL `integer` columns; a larger number can name nothing.
MAX_ID = 2**31 - 1
# An event batch is 3 levels deep and a ruleset document 5; nothing needs more.
MAX_JSON_DEPTH = 32
# Real-world UTC offsets run from -12:00 to +14:00 (PostgreSQL refuses beyond ±15:59).
MAX_UTC_OFFSET = dt.timedelta(hours=14)
EARLIEST_MOMENT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DIGITS = re.compile(r"[0-9]{1,18}")


def unsafe_text(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain lone surrogates (invalid Unicode)"
    return None


def unsafe_strings(document: Any, path: str = "") -> dict[str, list[str]]:
    """{path: [problem]} for every key or string in a JSON document that is unsafe text."""
    problems: dict[str, list[str]] = {}
    stack = [(path, document)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            if problem := unsafe_text(node):
                problems[where or "_schema"] = [problem]
        elif isinstance(node, dict):
            for key, child in node.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and (problem := unsafe_text(key)):
                    problems[where or "_schema"] = [f"keys {problem}"]
                    continue
                stack.append((name, child))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(node))
    return problems


class Text(fields.String):
    """A string that can be stored: no NUL characters, no lone surrogates."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if problem := unsafe_text(text):
            raise ValidationError(problem)
        return text


class Email(Text, fields.Email):
    """An email address that can be stored."""


class Moment(fields.AwareDateTime):
    """An ISO 8601 time with a UTC offset a real clock uses, from 1970 on."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        offset = moment.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError("the UTC offset must be between -14:00 and +14:00")
        try:
            in_utc = moment.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError("must be between 1970 and 9999") from None
        if in_utc < EARLIEST_MOMENT:
            raise ValidationError("must not be before 1970-01-01T00:00:00Z")
        return moment


def whole_number(raw: str | None, low: int = 0, high: int = MAX_ID) -> int:
    """A whole number in ASCII digits from `low` to `high`; ValueError saying so otherwise."""
    text = (raw or "").strip()
    if _DIGITS.fullmatch(text) and low <= int(text) <= high:
        return int(text)
    raise ValueError(f"must be a whole number from {low} to {high}")


def record_id(raw: str | None) -> int | None:
    """A database id from a form or query (1 to MAX_ID), or None when it cannot be one."""
    try:
        return whole_number(raw, 1, MAX_ID)
    except ValueError:
        return None


class IdConverter(IntegerConverter):
    """`<int:...>` in ASCII digits and no larger than an id column holds."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _no_constant(name: str):
    raise BadRequest(f"The body is not valid JSON: {name} is not a JSON number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise BadRequest(f"The body holds the number {text[:40]}, too large to represent.")
    return number


def _too_deep(document: Any, limit: int) -> bool:
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing with a 400 what would otherwise crash a view."""

    sort_keys = False  # keep documented key order in API answers

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_constant", _no_constant)
        kwargs.setdefault("parse_float", _finite_float)
        try:
            document = json.loads(s, **kwargs)
        except RecursionError:
            document = None
            deep = True
        else:
            deep = isinstance(document, dict | list) and _too_deep(document, MAX_JSON_DEPTH)
        if deep:
            raise BadRequest(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
        return document


def json_object() -> dict:
    """The request's JSON body when it is an object; a 400 naming the problem otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object (Content-Type: application/json).")
    return body


# --- the request guard ------------------------------------------------------------------


def _pairs(raw: bytes) -> Iterator[tuple[str, str]]:
    """Decoded (name, value) pairs of a query string or urlencoded form, strictly UTF-8."""
    for part in raw.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            yield (
                unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8"),
                unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8"),
            )


def _check_pairs(raw: bytes, where: str) -> None:
    try:
        pairs = list(_pairs(raw))
    except UnicodeDecodeError:
        raise BadRequest(f"The {where} is not valid UTF-8.") from None
    for name, value in pairs:
        if problem := unsafe_text(name):
            raise BadRequest(f"A {where} parameter name {problem}.")
        if problem := unsafe_text(value):
            raise BadRequest(f"The {where} parameter {name!r} {problem}.")


def guard_request() -> None:
    """Refuse a path, query string or form that is not valid UTF-8 or holds a NUL."""
    raw_path = request.environ.get("PATH_INFO", "")
    try:
        path = raw_path.encode("latin-1").decode("utf-8")
    except UnicodeEncodeError:
        path = raw_path  # a server that already decoded the path
    except UnicodeDecodeError:
        raise BadRequest("The URL path is not valid UTF-8.") from None
    if problem := unsafe_text(path):
        raise BadRequest(f"The URL path {problem}.")
    _check_pairs(request.query_string, "query string")
    if request.mimetype == "application/x-www-form-urlencoded":
        _check_pairs(request.get_data(cache=True), "form")
    elif request.mimetype == "multipart/form-data":
        for name, value in request.form.items(multi=True):
            if problem := unsafe_text(name) or unsafe_text(value):
                raise BadRequest(f"The form field {name!r} {problem}.")


def init_app(app: Flask) -> None:
    """Install the JSON provider and URL converter (before any blueprint) and the guard."""
    app.json = SafeJSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    app.before_request(guard_request)
