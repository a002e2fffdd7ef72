"""Open Badges 3.0 credentials: pure rendering, checked against the spec's required fields."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.openbadges import build_credential, hashed_email

# Required properties (multiplicity [1] or [1..*]) per class, from the Open Badges 3.0
# data model (appendix B.1). `name` is optional on the credential; we always send it.
REQUIRED: dict[str, set[str]] = {
    "OpenBadgeCredential": {"@context", "id", "type", "issuer", "validFrom", "credentialSubject"},
    "AchievementSubject": {"type", "achievement"},
    "Achievement": {"id", "type", "name", "description", "criteria"},
    "IdentityObject": {"type", "hashed", "identityHash", "identityType"},
    "Profile": {"id", "type"},
    "Image": {"id", "type"},
}
# These two classes are not extensible in the spec: no properties beyond their own.
CLOSED: dict[str, set[str]] = {
    "IdentityObject": REQUIRED["IdentityObject"] | {"salt"},
    "Image": {"id", "type", "caption"},
}
Z_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
EARNED = dt.datetime(2025, 3, 4, 15, 6, 7, 891011, tzinfo=dt.UTC)


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("type", [])
    return {value} if isinstance(value, str) else set(value)


def spec_problems(node: Any, path: str = "$") -> list[str]:
    """Every missing required or disallowed property, found by walking the JSON tree."""
    problems: list[str] = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            problems += spec_problems(item, f"{path}[{index}]")
        return problems
    if not isinstance(node, dict):
        return problems
    for type_name in _types(node) & REQUIRED.keys():
        problems += [
            f"{path}: {type_name} lacks {key}" for key in REQUIRED[type_name] - node.keys()
        ]
        if type_name in CLOSED:
            problems += [
                f"{path}: {type_name} has {key}" for key in node.keys() - CLOSED[type_name]
            ]
    if "AchievementSubject" in _types(node) and not (node.get("id") or node.get("identifier")):
        problems.append(f"{path}: AchievementSubject needs id or an identifier")
    for key, value in node.items():
        problems += spec_problems(value, f"{path}.{key}")
    return problems


def make(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "assertion_url": "https://laurel.example/badges/assertions/42",
        "achievement_url": "https://laurel.example/badges/sharer/gold",
        "issuer_url": "https://laurel.example/issuer",
        "issuer_name": "Acme Advocacy",
        "badge_name": "Sharer",
        "level_label": "Gold",
        "description": "Shares the company story widely.",
        "criteria": "Share **50** company posts.",
        "image_url": "https://laurel.example/static/badges/sharer-gold.svg",
        "email": "Ada.Lovelace@Example.com",
        "salt": "5f2c9e",
        "earned_at": EARNED,
    }
    return build_credential(**(fields | overrides))


def test_credential_has_every_property_the_spec_requires():
    assert spec_problems(make()) == []


def test_checker_notices_a_missing_required_property():
    credential = make()
    del credential["credentialSubject"]["achievement"]["criteria"]
    del credential["credentialSubject"]["identifier"][0]["identityType"]

    assert spec_problems(credential) == [
        "$.credentialSubject.identifier[0]: IdentityObject lacks identityType",
        "$.credentialSubject.achievement: Achievement lacks criteria",
    ]


def test_context_is_vc_first_then_open_badges():
    assert make()["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]


def test_each_object_carries_its_required_type():
    credential = make()
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]

    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(credential["type"])
    assert "Profile" in credential["issuer"]["type"]
    assert "AchievementSubject" in subject["type"]
    assert "Achievement" in achievement["type"]
    assert subject["identifier"][0]["type"] == "IdentityObject"
    assert achievement["image"] == {
        "id": "https://laurel.example/static/badges/sharer-gold.svg",
        "type": "Image",
    }


def test_credential_points_at_its_urls_and_names_the_level():
    credential = make()
    achievement = credential["credentialSubject"]["achievement"]

    assert credential["id"] == "https://laurel.example/badges/assertions/42"
    assert credential["issuer"] == {
        "id": "https://laurel.example/issuer",
        "type": ["Profile"],
        "name": "Acme Advocacy",
    }
    assert credential["name"] == achievement["name"] == "Sharer (Gold)"
    assert achievement["id"] == "https://laurel.example/badges/sharer/gold"
    assert achievement["criteria"] == {"narrative": "Share **50** company posts."}
    assert achievement["description"] == "Shares the company story widely."


def test_badge_without_levels_is_named_plainly():
    assert make(level_label=None)["name"] == "Sharer"
    assert make(level_label="")["credentialSubject"]["achievement"]["name"] == "Sharer"


def test_recipient_is_a_salted_email_hash():
    identity = make()["credentialSubject"]["identifier"][0]
    expected = hashlib.sha256(b"ada.lovelace@example.com5f2c9e").hexdigest()

    assert identity == {
        "type": "IdentityObject",
        "identityHash": "sha256$" + expected,
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "5f2c9e",
    }


def test_hash_matches_the_spec_worked_example():
    # The spec's IdentityHash example: 'a@example.com' salted with 'Kosher'.
    assert hashed_email("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


def test_hash_ignores_email_case_and_surrounding_space():
    assert hashed_email("  A@Example.COM\n", "Kosher") == hashed_email("a@example.com", "Kosher")
    assert hashed_email("a@example.com", "Kosher") != hashed_email("a@example.com", "kosher")


@given(
    email=st.emails(),
    salt=st.text(alphabet="0123456789abcdef", min_size=1, max_size=32),
)
def test_email_never_appears_in_clear(email, salt):
    credential = make(email=email, salt=salt)
    identity = credential["credentialSubject"]["identifier"][0]

    assert email.lower() not in json.dumps(credential).lower()
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    assert identity["identityHash"] == "sha256$" + digest


def test_empty_salt_is_refused():
    with pytest.raises(ValueError, match="salt"):
        make(salt="")


def test_valid_from_is_utc_with_z():
    assert make()["validFrom"] == "2025-03-04T15:06:07Z"


def test_valid_from_converts_other_zones_to_utc():
    paris = dt.timezone(dt.timedelta(hours=1))
    earned = dt.datetime(2025, 3, 4, 16, 6, 7, tzinfo=paris)

    assert make(earned_at=earned)["validFrom"] == "2025-03-04T15:06:07Z"


def test_valid_from_reads_naive_time_as_utc():
    earned = dt.datetime(2025, 3, 4, 15, 6, 7)

    valid_from = make(earned_at=earned)["validFrom"]

    assert valid_from == "2025-03-04T15:06:07Z"
    assert Z_TIMESTAMP.match(valid_from)


def test_credential_round_trips_through_json():
    credential = make()

    assert json.loads(json.dumps(credential)) == credential
