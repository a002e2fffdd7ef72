"""Earned badges as Open Badges 3.0 credentials. Pure: no Flask, SQL or Redis.

`build_credential` renders one earned badge as an `OpenBadgeCredential`
(a W3C Verifiable Credential 2.0 in JSON-LD) that the earner can carry to
other platforms. The credential is unsigned: it is verified by fetching it
from its `id`, the public assertion URL, so that URL is the source of truth.

Revocation is not expressed inside the document. Open Badges 3.0 only knows
revocation through `credentialStatus`, which points at a separate status
service (a revocation or status list) that Laurel does not run; a home-made
flag would be a term outside the JSON-LD context. So a revoked badge keeps
this exact shape and the assertion URL answers 410 Gone instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")
HASH_PREFIX = "sha256$"


def hashed_email(email: str, salt: str) -> str:
    """The OB 3.0 `IdentityHash` of an email: "sha256$" + hex SHA-256 of email + salt.

    The email is trimmed and lower-cased first so that the same inbox always
    hashes alike, whatever case the person typed it in.
    """
    normalised = email.strip().lower()
    digest = hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()
    return HASH_PREFIX + digest


def utc_timestamp(moment: dt.datetime) -> str:
    """`moment` as an ISO 8601 UTC timestamp ending in Z, to whole seconds.

    A naive datetime is taken to be UTC already: SQLite hands back stored UTC
    timestamps without their zone.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def display_name(badge_name: str, level_label: str | None) -> str:
    """The shown name: "Sharer (Gold)" for a levelled badge, "Sharer" without levels."""
    return f"{badge_name} ({level_label})" if level_label else badge_name


def build_credential(
    *,
    assertion_url: str,
    achievement_url: str,
    issuer_url: str,
    issuer_name: str,
    badge_name: str,
    level_label: str | None,
    description: str,
    criteria: str,
    image_url: str,
    email: str,
    salt: str,
    earned_at: dt.datetime,
) -> dict[str, Any]:
    """One earned badge as an Open Badges 3.0 `OpenBadgeCredential` (JSON-LD dict).

    The earner is named only by a salted hash of their email, never in clear.
    The achievement carries the level's name and criteria, since each level
    of a badge is earned on its own terms.
    """
    if not salt:
        # An unsalted email hash can be reversed by hashing guessed addresses.
        raise ValueError("salt must be a non-empty string")
    name = display_name(badge_name, level_label)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": assertion_url,
        "type": list(CREDENTIAL_TYPES),
        "issuer": {"id": issuer_url, "type": ["Profile"], "name": issuer_name},
        "validFrom": utc_timestamp(earned_at),
        "name": name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": hashed_email(email, salt),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": build_achievement(
                achievement_url=achievement_url,
                badge_name=badge_name,
                level_label=level_label,
                description=description,
                criteria=criteria,
                image_url=image_url,
            ),
        },
    }


def build_achievement(
    *,
    achievement_url: str,
    badge_name: str,
    level_label: str | None,
    description: str,
    criteria: str,
    image_url: str,
) -> dict[str, Any]:
    """One badge level as an Open Badges 3.0 `Achievement`, as credentials embed it."""
    name = display_name(badge_name, level_label)
    return {
        "id": achievement_url,
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": name,
        "description": description,
        "criteria": {"narrative": criteria},
        "image": {"id": image_url, "type": "Image"},
    }


def achievement_document(
    *, issuer_url: str, issuer_name: str, **achievement: Any
) -> dict[str, Any]:
    """The `Achievement` on its own, as its id answers: JSON-LD with its context and
    the issuing profile as its creator."""
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        **build_achievement(**achievement),
        "creator": {"id": issuer_url, "type": ["Profile"], "name": issuer_name},
    }
