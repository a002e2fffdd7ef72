"""API tokens: scoped, stored only as a hash, revocable."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

from flask import g, request
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from recognition import ratelimit
from recognition.clock import utcnow
from recognition.extensions import UTCDateTime, db
from recognition.inputs import record_id
from recognition.problems import problem

# events:backfill: with events:write, events may earn points however long ago
# they occurred (an admin-controlled import of history). kudos:write and
# mentorship:write: an integration acting for the person it names.
# nominations:write submits nominations for a named nominator; nominations:decide
# approves, declines and withdraws them for a named actor (whose rights still apply).
SCOPES = (
    "events:write",
    "events:backfill",
    "directory:write",
    "kudos:write",
    "mentorship:write",
    "nominations:write",
    "nominations:decide",
    "read",
    "admin",
)
TOKEN_PREFIX = "lrl_"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    # The first characters of the token, to tell tokens apart in listings.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a plain digest is enough; no slow KDF needed.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(source: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; choose from {', '.join(SCOPES)}")
    if not scopes:
        raise ValueError("a token needs at least one scope")
    if not source or len(source) > 64:
        raise ValueError("source must be 1 to 64 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        source=source,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(secret),
        scopes=" ".join(sorted(set(scopes))),
    )
    db.session.add(row)
    db.session.commit()
    return row, secret


def revoke_token(prefix_or_id: str) -> ApiToken | None:
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if token_id := record_id(prefix_or_id):
        query = query.where(ApiToken.id == token_id)
    else:
        query = query.where(ApiToken.prefix == prefix_or_id)
    token = db.session.scalar(query)
    if token is not None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def authenticate(header: str | None) -> ApiToken | None:
    """The live token an `Authorization: Bearer <token>` header names, or None.

    The scheme is case-insensitive (RFC 9110, section 11.1): `bearer` works too.
    """
    scheme, _, secret = (header or "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None
    return db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None)
        )
    )


def require_scope(scope: str):
    """View decorator: 401 without a valid token, 403 when it lacks `scope`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            address = request.remote_addr or "unknown"
            # An address that keeps sending bad tokens is refused before any lookup.
            ratelimit.check("bad-token", address, hit=False)
            token = authenticate(request.headers.get("Authorization"))
            if token is None:
                ratelimit.count_only("bad-token", address)
                response = problem(
                    401, "Unauthorized", "Send a valid API token: Authorization: Bearer <token>."
                )
                response.headers["WWW-Authenticate"] = 'Bearer realm="laurel"'
                return response
            ratelimit.check("api", str(token.id))
            if scope not in token.scope_set and "admin" not in token.scope_set:
                return problem(403, "Forbidden", f"This token lacks the scope {scope!r}.")
            g.api_token = token
            return view(*args, **kwargs)

        # Read by the OpenAPI test: the document must name the scope the view asks for.
        wrapped.required_scope = scope
        return wrapped

    return decorator
