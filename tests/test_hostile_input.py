"""Hostile input gets a 4xx naming the problem, never a 5xx; a batch keeps its good items.

Each case here once answered 500 (issue 9). The mechanisms live in
`recognition.inputs`: storable text in every schema, a guard on paths, query
strings and forms, whole numbers in ASCII digits, bounded URL ids, JSON that
refuses excessive nesting and non-finite numbers. Cases that need the app loop
inside one test (a fresh database per case would cost more than the case).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from recognition.extensions import db
from recognition.inputs import MAX_ID, Moment, unsafe_strings, unsafe_text, whole_number
from recognition.people import Employee
from scoring.jobs import queue
from scoring.models import Event, RulesetVersion
from scoring.rules import load_default_document
from tests.helpers import add_person, event, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"
NUL, SURROGATE = "\x00", "\ud800"
# Digits that str.isdigit() accepts and int() does not (or should not) take.
SUPERSCRIPT_TWO, ARABIC_ONE, DOUBLE_STRUCK_ONE = "\u00b2", "\u0661", "\U0001d7d9"


def is_problem(resp, status: int) -> bool:
    return resp.status_code == status and resp.mimetype == "application/problem+json"


def stored_events() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def latest_version() -> int | None:
    return db.session.scalar(select(func.max(RulesetVersion.version)))


# --- the pure pieces ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [SUPERSCRIPT_TWO, ARABIC_ONE * 2, DOUBLE_STRUCK_ONE, "1e2", "-1", "0x10", "", None, "9" * 30],
)
def test_whole_numbers_are_ascii_digits_in_range(raw):
    with pytest.raises(ValueError, match="whole number from 1 to 100"):
        whole_number(raw, 1, 100)


def test_whole_number_takes_plain_digits():
    assert whole_number("42", 1, 100) == 42
    assert whole_number(str(MAX_ID)) == MAX_ID


@pytest.mark.parametrize(
    ("text", "problem"),
    [("a\x00b", "NUL"), ("\ud800", "surrogate"), ("x\udfffy", "surrogate"), ("ok ✓", None)],
)
def test_unsafe_text_names_nul_and_lone_surrogates(text, problem):
    found = unsafe_text(text)
    assert (found is None) if problem is None else (problem in found)


def test_unsafe_strings_name_the_path_in_a_document():
    document = {"name": "ok", "badges": [{"name": "x\x00"}, {"slug": "\ud800"}], "k\x00": 1}
    assert set(unsafe_strings(document)) == {"badges[0].name", "badges[1].slug", "_schema"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0001-01-01T00:00:00+01:00", "between 1970 and 9999"),
        ("9999-12-31T23:00:00-05:00", "between 1970 and 9999"),
        ("2026-11-20T00:00:00+23:59", "between -14:00 and +14:00"),
        ("2026-11-20T00:00:00-15:00", "between -14:00 and +14:00"),
        ("1969-12-31T23:59:59+00:00", "before 1970"),
    ],
)
def test_moments_outside_what_a_clock_says_are_refused(value, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        Moment().deserialize(value)


def test_moments_with_real_offsets_are_kept():
    moment = Moment().deserialize("2026-11-20T09:30:00+14:00")
    assert moment.utcoffset() == dt.timedelta(hours=14)


# --- events: one bad item never costs the good ones -----------------------------------


def test_a_batch_with_nul_surrogates_and_odd_times_keeps_its_valid_items(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    bad = [
        (event("E1", NOW, id="a\x00b"), "id"),
        (event("E1", NOW, id="a\ud800b"), "id"),
        (event("E1\x00", NOW), "employee_id"),
        (event("E1", NOW, content_id="post\ud800"), "content_id"),
        (event("E1", NOW, source="sync\x00"), "source"),
        (event("E1", NOW, network="linkedin\x00"), "network"),
        (event("E1", "0001-01-01T00:00:00+01:00"), "occurred_at"),
        (event("E1", "2026-11-20T00:00:00+23:59"), "occurred_at"),
    ]
    good = [event("E1", NOW, id="good-1"), event("E1", NOW, id="good-2")]
    items = [good[0], *(item for item, _ in bad), good[1]]
    resp = client.post("/api/v1/events", json={"events": items}, headers=token())
    assert resp.status_code == 202
    body = resp.json
    assert body["accepted"] == 2 and body["rejected"] == len(bad)
    for result, (_, field) in zip(body["results"][1:-1], bad, strict=True):
        assert result["status"] == "rejected" and field in result["errors"], result
    assert stored_events() == 2


NOT_READABLE = [
    ("[" * 5000 + "]" * 5000, "nested more than"),
    ('{"events": ' + "[" * 40 + "]" * 40 + "}", "nested more than"),
    ('{"id": "x", "count": Infinity}', "Infinity is not a JSON number"),
    ('{"id": "x", "count": NaN}', "NaN is not a JSON number"),
    ('{"id": "x", "count": 1e400}', "too large"),
]


def test_json_too_deep_or_not_finite_is_a_400_naming_it(client, freeze_time):
    freeze_time(NOW)
    headers = {**token(), "Content-Type": "application/json"}
    for raw, detail in NOT_READABLE:
        resp = client.post("/api/v1/events", data=raw, headers=headers)
        assert is_problem(resp, 400) and detail in resp.json["detail"], (raw[:40], resp.json)
    assert stored_events() == 0


def test_a_json_body_is_still_read_as_before(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    body = json.dumps({"events": [event("E1", NOW, id="n-1", count=1)]})
    resp = client.post(
        "/api/v1/events", data=body, headers={**token(), "Content-Type": "application/json"}
    )
    assert resp.status_code == 202 and resp.json["accepted"] == 1
    # Answers keep their documented key order.
    assert list(resp.json) == ["accepted", "duplicates", "held", "conflicts", "rejected", "results"]


# --- the directory ----------------------------------------------------------------------


def test_employee_fields_with_nul_or_surrogates_are_422(client, freeze_time):
    freeze_time(NOW)
    headers = token("directory:write")
    for field in ["name", "team", "manager_id", "email"]:
        for bad in [NUL, SURROGATE]:
            body = {"email": "ada@example.com", "name": "Ada", "team": "sales"}
            body[field] = f"{body.get(field, 'x')}{bad}"
            resp = client.put("/api/v1/employees/E1", json=body, headers=headers)
            assert is_problem(resp, 422) and field in resp.json["errors"], (field, resp.json)
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 0


# --- paths and query strings -------------------------------------------------------------

GUARDED_URLS = [
    "/api/v1/employees/E%00",
    "/api/v1/employees/E1/badges?x=%00",
    "/api/v1/leaderboard?team=%00",
    "/api/v1/leaderboard?around=E1%00",
    "/api/v1/leaderboard?%00=1",
    "/api/v1/leaderboard?team=%FF",
    "/api/v1/admin/jobs/a%00b",
    "/api/v1/badges/assertions/a%00b",
]


def test_nul_or_invalid_utf8_in_path_or_query_is_a_400_problem(client, freeze_time):
    freeze_time(NOW)
    admin = token("admin")
    for url in GUARDED_URLS:
        resp = client.get(url, headers=admin)
        assert is_problem(resp, 400), (url, resp.status_code)
        assert "NUL" in resp.json["detail"] or "UTF-8" in resp.json["detail"], url
    put = client.put(
        "/api/v1/employees/E%00",
        json={"email": "e@example.com", "name": "E"},
        headers=token("directory:write"),
    )
    assert is_problem(put, 400)


def test_invalid_utf8_in_a_path_is_a_400(client, freeze_time):
    # A real server hands the path's raw bytes over (Werkzeug's test client would
    # already have replaced them), hence the environ override.
    freeze_time(NOW)
    resp = client.get(
        "/api/v1/admin/jobs/x",
        headers=token("admin"),
        environ_overrides={"PATH_INFO": "/api/v1/admin/jobs/a\xffb"},
    )
    assert is_problem(resp, 400) and "UTF-8" in resp.json["detail"]


def test_a_job_id_rq_would_refuse_is_a_404(client, freeze_time):
    freeze_time(NOW)
    admin = token("admin")
    for job_id in ["a%EF%BF%BDb", "a.b", "a%0A", "x" * 65]:
        resp = client.get(f"/api/v1/admin/jobs/{job_id}", headers=admin)
        assert is_problem(resp, 404), job_id


def test_leaderboard_limit_must_be_ascii_digits_in_range(client, freeze_time):
    freeze_time(NOW)
    read = token("read")
    for limit in ["%C2%B2", "%D9%A1", "%F0%9D%9F%99", "1e2", "0", "101", "9" * 40]:
        resp = client.get(f"/api/v1/leaderboard?limit={limit}", headers=read)
        assert is_problem(resp, 422) and "limit" in resp.json["errors"], limit


# --- admin bodies ------------------------------------------------------------------------

ADMIN_POSTS = [
    "/api/v1/admin/badges/award",
    "/api/v1/admin/badges/assertions/abc/revoke",
    "/api/v1/admin/rescore",
    "/api/v1/admin/rulesets",
]


def test_admin_bodies_that_are_not_objects_are_a_400(client, freeze_time):
    freeze_time(NOW)
    headers = {**token("admin"), "Content-Type": "application/json"}
    for url in ADMIN_POSTS:
        for raw in ["[1]", '"x"', "3", "null", "true", "not json"]:
            resp = client.post(url, data=raw, headers=headers)
            assert is_problem(resp, 400) and "JSON object" in resp.json["detail"], (url, raw)


def test_rescore_needs_a_whole_ruleset_number(client, freeze_time):
    freeze_time(NOW)
    headers = {**token("admin"), "Content-Type": "application/json"}
    for value in ["true", "1.0", '"1"', str(2**70), "-1", "null"]:
        body = f'{{"ruleset": {value}}}'
        resp = client.post("/api/v1/admin/rescore", data=body, headers=headers)
        assert is_problem(resp, 422) and "ruleset" in resp.json["errors"], value
    for value in ["Infinity", "-Infinity", "1e400"]:
        body = f'{{"ruleset": {value}}}'
        resp = client.post("/api/v1/admin/rescore", data=body, headers=headers)
        assert is_problem(resp, 400), value
    assert queue().count == 0


def test_award_and_revoke_refuse_unsafe_text(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    admin = token("admin")
    award = client.post(
        "/api/v1/admin/badges/award", json={"employee_id": "E1\ud800", "badge": "x"}, headers=admin
    )
    assert is_problem(award, 422) and "employee_id" in award.json["errors"]
    revoke = client.post(
        "/api/v1/admin/badges/assertions/abc/revoke", json={"reason": "r\x00"}, headers=admin
    )
    assert is_problem(revoke, 422) and "reason" in revoke.json["errors"]


def test_rulesets_with_unsafe_text_are_refused_naming_the_place(client, freeze_time):
    freeze_time(NOW)
    admin = token("admin")
    for bad in [NUL, SURROGATE]:
        document = load_default_document()
        document["name"] = f"Spring{bad}"
        document["badges"][0]["description"] += bad
        resp = client.post("/api/v1/admin/rulesets", json=document, headers=admin)
        assert is_problem(resp, 422)
        assert {"name", "badges[0].description"} <= set(resp.json["errors"])
    assert latest_version() in (None, 1)
    note = client.post(
        "/api/v1/admin/rulesets?note=a%00b", json=load_default_document(), headers=admin
    )
    assert is_problem(note, 400) and "'note'" in note.json["detail"]


# --- pages and forms -----------------------------------------------------------------------


@pytest.fixture
def admin_csrf(client, freeze_time):
    freeze_time(NOW)
    return sign_in(client, add_person("A1", role="admin"))


def test_pages_refuse_nul_in_path_or_query_with_a_message(client, admin_csrf):
    for url in ["/leaderboard?team=%00", "/people/E%00", "/admin/?month=%00", "/?known=%00"]:
        resp = client.get(url)
        assert resp.status_code == 400 and "NUL" in resp.get_data(as_text=True), url


def test_a_form_field_with_nul_is_a_400_and_nothing_is_saved(client, admin_csrf):
    form = {"csrf_token": admin_csrf, "points.share": "12", "note": "spring\x00"}
    resp = client.post("/admin/rules", data=form)
    assert resp.status_code == 400 and "&#39;note&#39; must not" in resp.get_data(as_text=True)
    assert latest_version() in (None, 1)
    source = client.post("/admin/tokens", data={"csrf_token": admin_csrf, "source": "a\x00"})
    assert source.status_code == 400


def test_a_notification_id_that_is_no_number_is_a_422(client, admin_csrf):
    for value in [SUPERSCRIPT_TWO, ARABIC_ONE, "9" * 40]:
        resp = client.post("/notifications/read", data={"csrf_token": admin_csrf, "id": value})
        assert resp.status_code == 422, value
        assert "Pick a notification" in resp.get_data(as_text=True)


def test_ids_beyond_any_column_are_404_not_500(client, admin_csrf):
    huge = "9" * 25
    assert client.get(f"/admin/rules/versions/{huge}").status_code == 404
    assert client.get("/admin/rules/versions/%C2%B2").status_code == 404
    revoke = client.post(f"/admin/tokens/{huge}/revoke", data={"csrf_token": admin_csrf})
    assert revoke.status_code == 404
    # A base version no id can hold falls back to the newest version.
    saved = client.post(
        "/admin/rules",
        data={"csrf_token": admin_csrf, "base_version": huge, "points.share": "12"},
    )
    assert saved.status_code == 303 and latest_version() == 2


def test_rules_form_numbers_no_int_can_take_are_refused_on_the_form(client, admin_csrf):
    for value in ["9" * 5000, ARABIC_ONE * 2, "1" + "0" * 30]:
        resp = client.post("/admin/rules", data={"csrf_token": admin_csrf, "points.share": value})
        assert resp.status_code == 422, value
        assert "whole number" in resp.get_data(as_text=True)
