"""Fuzzing every route: no input makes Laurel answer 5xx, and the API always answers
problem+json when it refuses.

Routes are enumerated from `app.url_map`; each has an entry in `ROUTES` naming
the inputs it reads (path arguments with valid values, query parameters, form
fields, a valid JSON body). A new endpoint without an entry fails
`test_every_route_has_a_fuzz_strategy`, so the fuzzing grows with the app.

Per route, two passes:
- a sweep: every input slot (each path argument, query parameter, form field
  and top-level JSON key) gets each of a few known-bad values (NUL, a lone
  surrogate, a non-ASCII digit, a huge number, CR/LF) while the rest of the
  request stays valid, plus bodies that are not objects or nest too deep;
- hypothesis: hostile strings, numbers (huge, negative, non-finite), wrong
  types, deep nesting, invalid UTF-8 and invalid JSON, mostly as one mutation
  of an otherwise valid request so the checks deep inside a view are reached.

`LAUREL_FUZZ_EXAMPLES` sets hypothesis examples per route (default 25); the
number of requests sent is printed at the end of the run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recognition.admin import _sections
from recognition.extensions import db
from recognition.kudos import service as kudos_service
from recognition.mentorship import service as mentorship
from recognition.nominations import service as nominations
from recognition.tokens import create_token
from scoring import badges
from scoring.rules import load_default_document
from scoring.rulesets import ensure_scoring_setup
from tests.helpers import FUZZ_REQUESTS, add_person, event, sign_in

NOW = "2026-11-20T12:00:00+00:00"
EXAMPLES = int(os.environ.get("LAUREL_FUZZ_EXAMPLES", "25"))

# --- hostile values ------------------------------------------------------------------

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "\u00b2",
    "\u0661\u0662",
    "\U0001d7d9",
    "\r\nX-Injected: 1",
    "/\t/evil.example",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "../../etc/passwd",
    "%00",
    "%FF",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "NaN",
    "Infinity",
    "-1",
    "0",
    "1e400",
    "9" * 30,
    str(2**70),
    "x" * 5000,
    "2026-11-20T12:00:00+23:59",
    "0001-01-01T00:00:00+01:00",
    "null",
    "true",
    "[]",
    "{}",
]
# NUL and lone surrogates are what databases refuse; they come up most often.
SPECIAL_CHARS = ["\x00", "\x00", "\ud800", "\udc00", "\r\n", "\t", "\\", "%", "\u00b2", "\x7f"]

# A plausible value with one hostile character somewhere in it.
spiked_text = st.builds(
    lambda before, char, after: before + char + after,
    st.sampled_from(["", "E1", "sales", "week", "2026-11", "/leaderboard", "share"]),
    st.sampled_from(SPECIAL_CHARS),
    st.text(max_size=4),
)
nasty_text = st.one_of(
    spiked_text, spiked_text, st.sampled_from(NASTY_STRINGS), st.text(max_size=20)
)
nasty_number = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**31, 2**63, 2**70, -(2**63), 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalar = st.one_of(st.none(), st.booleans(), nasty_number, nasty_text)
json_value = st.recursive(
    scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(nasty_text, children, max_size=4)
    ),
    max_leaves=12,
)
# A value put where a valid one was: text most often (listed twice: one_of picks
# its branches evenly), else a number, a wrong type, or a whole JSON structure.
hostile = st.one_of(nasty_text, nasty_text, nasty_number, scalar, json_value)
# Bodies that are not JSON a view can read: deep nesting, not JSON, not UTF-8.
raw_body = st.one_of(
    st.integers(30, 6000).map(lambda n: ("[" * n + "]" * n).encode()),
    st.integers(30, 6000).map(lambda n: ('{"a":' * n + "1" + "}" * n).encode()),
    st.sampled_from([b"", b"{", b'{"a": NaN}', b"[1, Infinity]", b"1e400", b"\xff\xfe", b"\x00"]),
    st.binary(max_size=40),
)


def mutated(template: Any, depth: int = 3) -> st.SearchStrategy:
    """The template with one part replaced by a hostile value (most often), parts left
    out, or a hostile value instead of the whole."""
    if isinstance(template, dict) and depth > 0:
        keys = sorted(template)
        nested = [k for k in keys if isinstance(template[k], dict | list) and template[k]]
        options = [
            st.sampled_from([*keys, "extra"]).flatmap(
                lambda key: hostile.map(lambda value: {**template, key: value})
            )
        ] * 3
        if nested:
            options.append(
                st.sampled_from(nested).flatmap(
                    lambda key: mutated(template[key], depth - 1).map(
                        lambda value: {**template, key: value}
                    )
                )
            )
        options.append(st.fixed_dictionaries({}, optional={k: st.just(template[k]) for k in keys}))
        options.append(json_value)
        return st.one_of(options)
    if isinstance(template, list) and template and depth > 0:
        item = st.sampled_from(template).flatmap(
            lambda t: st.one_of(st.just(t), mutated(t, depth - 1))
        )
        return st.one_of(st.lists(item, min_size=1, max_size=4), json_value)
    return st.one_of(st.just(template), hostile)


# --- what each route reads --------------------------------------------------------------


@dataclass(frozen=True)
class Fuzz:
    """The inputs of one route. `path` maps each argument to valid values; `json` is a
    valid body; `batch` also sends it inside {"events": [...]}."""

    path: dict[str, tuple[str, ...]] = field(default_factory=dict)
    query: tuple[str, ...] = ()
    form: tuple[str, ...] | None = None  # a form post, with these fields
    json: Any = None
    batch: bool = False

    def body(self) -> st.SearchStrategy:
        if not self.batch:
            return mutated(self.json)
        items = st.lists(st.one_of(st.just(self.json), mutated(self.json)), max_size=5)
        return st.one_of(mutated(self.json), items.map(lambda events: {"events": events}))


EVENT = event("E1", NOW, id="fuzz-1", content_id="post-1", count=2)
EMPLOYEE = {
    "email": "e2@example.com",
    "name": "Grace",
    "team": "sales",
    "manager_id": "E1",
    "role": "employee",
    "active": True,
}
RULES_FIELDS = tuple(
    item.name
    for _, _, groups in _sections(load_default_document())
    for group in groups
    for item in group.fields
)
PERSON = {"employee_id": ("E1", "E2", "NOPE")}
# "ASSERTION" stands for the id of a badge the world fixture awards.
ASSERTION = {"assertion_id": ("ASSERTION", "no-such-assertion")}
VERSION = {"version_id": ("1", "2")}
KUDOS = {"kudos_id": ("1", "2")}
GIVE = {
    "giver_id": "E1",
    "receiver_ids": ["E2"],
    "message": "Thanks for the launch post!",
    "value": "teamwork",
    "points": 5,
    "event": {"source": "fuzz", "id": "fuzz-1"},
}

NOMINATION = {"nomination_id": ("1", "2")}
NOMINATE = {
    "nominator_id": "E1",
    "nominee_id": "E3",
    "category": "advocate",
    "period": "2026-11",
    "reason": "Shared every launch post and coached two new advocates.",
}

ROUTES: dict[str, Fuzz] = {
    # JSON API
    "scoring_api.post_events": Fuzz(json=EVENT, batch=True),
    "scoring_api.get_leaderboard": Fuzz(query=("period", "team", "limit", "around")),
    "people_api.put_employee": Fuzz(path=PERSON, json=EMPLOYEE),
    "people_api.get_employee": Fuzz(path=PERSON),
    "badges_api.employee_badges": Fuzz(path=PERSON),
    "badges_api.employee_notifications": Fuzz(path=PERSON, query=("unread",)),
    "badges_api.badge_assertion": Fuzz(path=ASSERTION),
    "badges_api.admin_award_badge": Fuzz(
        json={"employee_id": "E2", "badge": "recognised-advocate"}
    ),
    "badges_api.admin_revoke_badge": Fuzz(path=ASSERTION, json={"reason": "posted by mistake"}),
    "badges_api.admin_save_ruleset": Fuzz(query=("note",), json=load_default_document()),
    "badges_api.admin_rescore": Fuzz(json={"ruleset": 1}),
    "badges_api.admin_job": Fuzz(path={"job_id": ("no-such-job",)}),
    "kudos_api.give_kudos": Fuzz(json=GIVE),
    "kudos_api.list_kudos": Fuzz(query=("employee_id", "direction", "team", "limit", "cursor")),
    "kudos_api.add_reaction": Fuzz(path=KUDOS, json={"employee_id": "E2"}),
    "kudos_api.remove_reaction": Fuzz(path=KUDOS, json={"employee_id": "E2"}),
    "kudos_api.add_comment": Fuzz(path=KUDOS, json={"employee_id": "E2", "message": "So true!"}),
    "kudos_api.list_comments": Fuzz(path=KUDOS),
    "kudos_api.get_allowance": Fuzz(path=PERSON),
    "kudos_api.reverse_kudos": Fuzz(path=KUDOS, json={"reason": "traded points"}),
    "kudos_api.get_flags": Fuzz(),
    "nominations_api.create_nomination": Fuzz(json=NOMINATE),
    "nominations_api.list_nominations": Fuzz(
        query=("status", "category", "period", "nominee_id", "limit")
    ),
    "nominations_api.get_nomination": Fuzz(path=NOMINATION),
    "nominations_api.approve_nomination": Fuzz(path=NOMINATION, json={"actor_id": "E1", "step": 1}),
    "nominations_api.decline_nomination": Fuzz(
        path=NOMINATION, json={"actor_id": "E1", "reason": "Not this time.", "step": 1}
    ),
    "nominations_api.withdraw_nomination": Fuzz(path=NOMINATION, json={"actor_id": "E3"}),
    "nominations_api.recognition_wall": Fuzz(query=("period",)),
    "scoring_api.get_dead_letters": Fuzz(),
    "scoring_api.retry_dead_letter": Fuzz(path={"dead_letter_id": ("1", "2")}),
    "mentorship_api.put_content": Fuzz(
        path={"content_id": ("post-1", "x" * 201)},
        json={"title": "A video", "url": "https://example.com/v", "topics": ["Video"]},
    ),
    "mentorship_api.get_profile": Fuzz(query=("employee_id",)),
    "mentorship_api.put_profile": Fuzz(
        query=("employee_id",),
        json={
            "offer": {"topics": ["Video"], "capacity": 2, "open": True},
            "ask": {"topics": ["Video"], "goal": "grow", "bookmarks": ["E1"]},
        },
    ),
    "mentorship_api.start_run": Fuzz(json={"mode": "best_fit"}),
    "mentorship_api.get_run": Fuzz(path={"run_id": ("1", "2")}),
    "mentorship_api.publish_run": Fuzz(path={"run_id": ("1", "2")}),
    "mentorship_api.list_pairs": Fuzz(query=("employee_id", "state")),
    "mentorship_api.act_on_pair": Fuzz(
        path={"pair_id": ("1", "2"), "action": ("accept", "cancel")}, json={"employee_id": "E1"}
    ),
    "openapi.document": Fuzz(),
    "openapi.docs_page": Fuzz(),
    # pages
    "me_pages.me": Fuzz(query=("known",)),
    "me_pages.profile": Fuzz(path=PERSON),
    "me_pages.achievement": Fuzz(
        path={"slug": ("sharer", "first-share", "nope"), "level": ("1", "2")}
    ),
    "me_pages.favicon": Fuzz(),
    "me_pages.settings": Fuzz(),
    "me_pages.save_settings": Fuzz(form=("leaderboard_opt_out",)),
    "me_pages.notifications": Fuzz(),
    "me_pages.bell": Fuzz(query=("known",)),
    "me_pages.mark_read": Fuzz(form=("id", "all")),
    "kudos_pages.give_page": Fuzz(query=("to", "q", "event")),
    "kudos_pages.colleagues": Fuzz(query=("q", "receivers")),
    "kudos_pages.give": Fuzz(
        form=("form_token", "receivers", "q", "message", "value", "points", "event", "compact")
    ),
    "kudos_pages.feed": Fuzz(query=("team", "before")),
    "kudos_pages.react": Fuzz(path=KUDOS, form=("undo",)),
    "kudos_pages.add_comment": Fuzz(path=KUDOS, form=("message",)),
    "kudos_pages.admin_review": Fuzz(),
    "kudos_pages.admin_reverse": Fuzz(path=KUDOS, form=("reason",)),
    "kudos_pages.admin_settings": Fuzz(),
    "kudos_pages.save_admin_settings": Fuzz(
        form=(
            "allowance",
            "manager_bonus_per_report",
            "pair_cap",
            "min_message_length",
            "fairness_share",
            "fairness_min_points",
            "trade_threshold",
            "values",
            "value_required",
            "role_allowances",
            "team_allowances",
            "note",
        )
    ),
    "scoring_pages.leaderboard": Fuzz(query=("period", "team", "shown", "q")),
    "admin_pages.analytics": Fuzz(query=("month",)),
    "admin_pages.analytics_csv": Fuzz(query=("month",)),
    "admin_pages.rules": Fuzz(),
    "admin_pages.save_rules": Fuzz(form=("base_version", "note", *RULES_FIELDS)),
    "admin_pages.rules_version": Fuzz(path=VERSION),
    "admin_pages.rescore": Fuzz(path=VERSION, form=()),
    "admin_pages.job": Fuzz(path={"job_id": ("no-such-job",)}, query=("reload",)),
    "admin_pages.tokens": Fuzz(),
    "admin_pages.dead_letters": Fuzz(),
    "admin_pages.retry_dead_letter": Fuzz(path={"dead_letter_id": ("1", "2")}, form=()),
    "admin_pages.create_api_token": Fuzz(form=("source", "scopes")),
    "admin_pages.revoke_api_token": Fuzz(path={"token_id": ("1", "2")}, form=("confirmed",)),
    "mentorship_pages.index": Fuzz(query=("topic",)),
    "mentorship_pages.save_offer": Fuzz(form=("topics", "capacity", "paused", "withdraw")),
    "mentorship_pages.save_ask": Fuzz(form=("topics", "goal", "prefers_other_team", "withdraw")),
    "mentorship_pages.bookmark": Fuzz(form=("mentor_id", "topic")),
    "mentorship_pages.act": Fuzz(
        path={"pair_id": ("1", "2"), "action": ("accept", "decline")}, form=()
    ),
    "mentorship_pages.admin": Fuzz(),
    "mentorship_pages.add_topic": Fuzz(form=("name",)),
    "mentorship_pages.remove_topic": Fuzz(path={"topic_id": ("1", "2")}, form=()),
    "mentorship_pages.save_settings": Fuzz(
        form=("mode", "schedule", "min_tier", "auto_publish", "offered", "tier_gap", "bookmark")
    ),
    "mentorship_pages.start_run": Fuzz(form=("mode",)),
    "mentorship_pages.run": Fuzz(path={"run_id": ("1", "2")}, query=("poll",)),
    "mentorship_pages.drop_pair": Fuzz(path={"run_id": ("1", "2"), "pair_id": ("1", "2")}, form=()),
    "mentorship_pages.publish": Fuzz(path={"run_id": ("1", "2")}, form=()),
    "nominations_pages.index": Fuzz(),
    "nominations_pages.nominate_page": Fuzz(query=("nominee", "category", "period", "q")),
    "nominations_pages.people": Fuzz(query=("q", "nominee")),
    "nominations_pages.evidence_preview": Fuzz(query=("nominee", "category", "period")),
    "nominations_pages.nominate": Fuzz(
        form=("form_token", "nominee", "category", "period", "q", "reason", "search")
    ),
    "nominations_pages.nomination": Fuzz(path=NOMINATION),
    "nominations_pages.approve": Fuzz(path=NOMINATION, form=("step", "where")),
    "nominations_pages.decline": Fuzz(path=NOMINATION, form=("step", "where", "reason")),
    "nominations_pages.withdraw": Fuzz(path=NOMINATION, form=("where",)),
    "nominations_pages.wall": Fuzz(query=("period",)),
    "nominations_pages.save_wall_setting": Fuzz(form=("show_nomination_reasons",)),
    "nominations_pages.admin": Fuzz(query=("category",)),
    "nominations_pages.save_category": Fuzz(
        form=(
            "slug",
            "name",
            "description",
            "period",
            "badge",
            "bonus_points",
            "who_may_nominate",
            "step1_decider",
            "step1_group",
            "step2_decider",
            "step2_group",
            "step3_decider",
            "active",
            "note",
        )
    ),
    "team_pages.team": Fuzz(query=("manager", "sort")),
    "team_pages.team_csv": Fuzz(query=("manager", "sort")),
    "auth.sign_in_page": Fuzz(query=("next",)),
    "auth.demo_sign_in": Fuzz(query=("next", "q", "role")),
    "auth.demo_sign_in_post": Fuzz(form=("employee_id", "next")),
    "auth.sign_out": Fuzz(form=()),
    "static": Fuzz(path={"filename": ("laurel.css", "htmx.min.js")}),
}

# The sweep's values: each went wrong somewhere once (issue 9).
SWEEP = ["a\x00b", "a\ud800b", "\u00b2", "9" * 30, "/\r\nX: 1", "%FF"]
SWEEP_JSON = [*SWEEP, 2**70, -1, 1.5, True, None, [], {}]
SWEEP_BODIES = [b"[1]", b'"x"', b"null", b"[" * 5000 + b"]" * 5000, b'{"a": Infinity}', b"\xff"]


# --- building requests ------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    data: bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


PLACEHOLDER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def _quoted(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _segment(arg: str, value: str) -> str:
    quoted = _quoted(value)
    # A static file name may hold slashes; every other argument is one segment.
    return quoted.replace("%2F", "/") if arg == "filename" else quoted


def _pairs(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in pairs)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


class Route:
    """One route and how to call it: valid by default, any part replaceable."""

    def __init__(self, rule, fuzz: Fuzz, csrf: str, token: str):
        self.rule, self.fuzz, self.csrf, self.token = rule, fuzz, csrf, token
        self.method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        self.api = rule.rule.startswith("/api/")

    def call(
        self,
        path: dict[str, str] | None = None,
        query: list[tuple[str, str]] = (),
        form: list[tuple[str, str]] = (),
        data: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        csrf: bool = True,
    ) -> Call:
        values = {a: self.fuzz.path.get(a, ("x",))[0] for a in self.rule.arguments}
        values.update(path or {})
        url = PLACEHOLDER.sub(lambda m: _segment(m.group(1), values[m.group(1)]), self.rule.rule)
        if query:
            url += "?" + _pairs(list(query))
        if headers is None:
            headers = {"Authorization": f"Bearer {self.token}"} if self.api else {}
        if self.fuzz.form is not None and data is None:
            fields = [*form, *([("csrf_token", self.csrf)] if csrf else [])]
            data = _pairs(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        elif self.fuzz.json is not None and data is None:
            data, content_type = _json(self.fuzz.json), "application/json"
        return Call(self.method, url, data, content_type or None, headers)

    def sweep(self) -> list[Call]:
        """Each input slot, one at a time, holding each known-bad value."""
        calls = []
        for arg in self.rule.arguments:
            calls += [self.call(path={arg: value}) for value in SWEEP]
        for name in self.fuzz.query:
            calls += [self.call(query=[(name, value)]) for value in SWEEP]
        for name in self.fuzz.form or ():
            calls += [self.call(form=[(name, value)]) for value in SWEEP]
        if isinstance(self.fuzz.json, dict):
            for key in [*self.fuzz.json, "extra"]:
                for value in SWEEP_JSON:
                    body = {**self.fuzz.json, key: value}
                    calls.append(
                        self.call(data=_json({"events": [body]} if self.fuzz.batch else body))
                    )
            calls += [self.call(data=raw, content_type="application/json") for raw in SWEEP_BODIES]
        return calls

    def hostile(self) -> st.SearchStrategy:
        """Requests with hostile parts anywhere, mostly one mutation of a valid request."""
        fuzz = self.fuzz

        @st.composite
        def build(draw):
            path = {
                a: draw(one_of_or_hostile(*fuzz.path.get(a, ("x",)))) for a in self.rule.arguments
            }
            query = draw(_params(fuzz.query))
            headers = {"HX-Request": "true"} if draw(st.booleans()) else {}
            if self.api:
                # Mostly a token that passes, so the input reaches the view.
                headers["Authorization"] = draw(
                    st.sampled_from(
                        [f"Bearer {self.token}"] * 9
                        + [f"bEaReR {self.token}", "Bearer lrl_wrong", "Basic eDp5", ""]
                    )
                )
            data = content_type = None
            if fuzz.json is not None:
                kind = draw(st.sampled_from(["json"] * 6 + ["raw", "plain"]))
                data = draw(raw_body) if kind == "raw" else _json(draw(fuzz.body()))
                content_type = "text/plain" if kind == "plain" else "application/json"
                return self.call(path, query, data=data, content_type=content_type, headers=headers)
            if fuzz.form is not None:
                form = draw(_params(fuzz.form))
                kind = draw(st.sampled_from(["form"] * 6 + ["no-csrf", "bad-utf8"]))
                call = self.call(path, query, form, headers=headers, csrf=kind != "no-csrf")
                if kind == "bad-utf8":
                    call = dataclasses.replace(call, data=call.data + b"&x=%FF")
                return call
            return self.call(path, query, headers=headers)

        return build()


def one_of_or_hostile(*good: str) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(good), nasty_text)


def _params(names: tuple[str, ...]) -> st.SearchStrategy:
    """(name, value) pairs: any of the route's own names, and now and then another name."""
    value = st.one_of(nasty_text, nasty_number.map(str))
    own = st.fixed_dictionaries({}, optional={name: value for name in names})
    return st.tuples(own, st.lists(st.tuples(nasty_text, value), max_size=1)).map(
        lambda parts: [*parts[0].items(), *parts[1]]
    )


# --- the tests ----------------------------------------------------------------------------


def test_every_route_has_a_fuzz_strategy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES))
    assert not missing, f"add a Fuzz entry to tests/test_fuzz.py ROUTES for: {missing}"
    assert not sorted(set(ROUTES) - endpoints), "ROUTES names endpoints that no longer exist"


@pytest.fixture
def world(app, client, freeze_time):
    """A small organisation: an admin (signed in), a colleague, a badge, a token."""
    freeze_time(NOW)
    app.config["LAUREL_DEMO"] = True
    ensure_scoring_setup()
    admin = add_person("E1", role="admin")
    colleague = add_person("E2", manager_id="E1")
    mentorship.add_topic("Video")
    award = badges.award_manual(admin, "recognised-advocate", by="fuzz")
    kudos_service.give(
        kudos_service.GiveRequest(admin.id, (colleague.id,), "Thanks a lot!", points=5)
    )
    # Nomination 1 waits for step 1 (an admin's), for the admin to act on.
    nominator = add_person("E3", manager_id="E2", role="manager")
    nominations.save_category(
        {
            "name": "Advocate",
            "period": "month",
            "badge": "recognised-advocate",
            "bonus_points": 100,
            "who_may_nominate": "anyone",
            "steps": [{"decider": "admin"}],
        }
    )
    nominations.nominate(
        nominations.NominateRequest(
            nominator.id, colleague.id, "advocate", "2026-11", NOMINATE["reason"]
        )
    )
    _, secret = create_token("fuzz", ["admin"])
    return {"admin": SimpleNamespace(id=admin.id), "assertion": award.assertion_id, "token": secret}


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_no_input_makes_a_route_answer_5xx(app, client, world, endpoint, request):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    route = Route(rule, ROUTES[endpoint], sign_in(client, world["admin"]), world["token"])
    stash = request.config.stash

    def send(call: Call) -> None:
        url = call.url.replace("ASSERTION", world["assertion"])
        if endpoint == "auth.sign_out":
            sign_in(client, world["admin"])
        resp = client.open(
            url,
            method=call.method,
            data=call.data,
            content_type=call.content_type,
            headers=call.headers,
        )
        stash[FUZZ_REQUESTS] = stash.get(FUZZ_REQUESTS, 0) + 1
        db.session.remove()  # as the end of a real request would
        where = f"{call.method} {url!r} body={call.data[:200] if call.data else None!r}"
        assert resp.status_code < 500, where
        if url.startswith("/api/") and resp.status_code >= 400:
            assert resp.mimetype == "application/problem+json", (where, resp.status_code)
            assert resp.json["status"] == resp.status_code, where

    for call in route.sweep():
        send(call)

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(call=route.hostile())
    def explore(call: Call):
        send(call)

    explore()
