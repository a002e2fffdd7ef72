"""Rate limits, counted in Redis: API requests per token, sign-ins and failed token
checks per client address. Over a limit the answer is 429 with Retry-After.

Each limit is a number of requests per minute (`LAUREL_RATE_LIMIT_*`, 0 turns it
off), counted in a fixed one-minute window that starts with the first request.
A Redis that cannot be reached counts nothing: requests go through (the limit
fails open), the failure is logged, and the process leaves Redis alone for ten
seconds, so an outage turns into neither errors nor slow answers.

A small counter rather than Flask-Limiter: its Redis storage (the `limits`
package) requires redis-py below 8, which Laurel already runs, and the three
limits sit inside the token check and the sign-in, not on routes.
"""

from __future__ import annotations

import logging
import time

import redis
from flask import current_app
from werkzeug.exceptions import TooManyRequests

from recognition.extensions import redis_connection

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# After Redis fails, this process stops asking it for this long.
PAUSE_SECONDS = 10
_paused_until = 0.0
SETTINGS = {
    "api": "LAUREL_RATE_LIMIT_API",
    "sign-in": "LAUREL_RATE_LIMIT_SIGN_IN",
    "bad-token": "LAUREL_RATE_LIMIT_BAD_TOKENS",
}
MESSAGES = {
    "api": "This token sent more than {limit} requests in a minute.",
    "sign-in": "More than {limit} sign-ins from this address in a minute.",
    "bad-token": "More than {limit} requests with an invalid token from this address in a minute.",
}

# The count so far (after this hit, when ARGV[2] is 1) and the seconds the window has left.
_HIT = """
local count
if ARGV[2] == '1' then
  count = redis.call('INCR', KEYS[1])
else
  count = tonumber(redis.call('GET', KEYS[1]) or '0')
end
local ttl = redis.call('TTL', KEYS[1])
if count > 0 and ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


def _key(name: str, who: str) -> str:
    return f"rl:{{{current_app.config['LAUREL_ORG']}}}:{name}:{who}"


def _count(name: str, who: str, hit: bool) -> tuple[int, int] | None:
    global _paused_until
    limit = current_app.config[SETTINGS[name]]
    if not limit or time.monotonic() < _paused_until:
        return None
    try:
        count, ttl = redis_connection().eval(
            _HIT, 1, _key(name, who), WINDOW_SECONDS, "1" if hit else "0"
        )
    except redis.RedisError as exc:
        # Each request would otherwise wait out the client's retries on its own.
        _paused_until = time.monotonic() + PAUSE_SECONDS
        log.warning(
            "rate limits off for %ss, Redis unavailable (requests go through): %s",
            PAUSE_SECONDS,
            exc,
        )
        return None
    # A hit is refused when it makes one too many; a look, once the limit is used up.
    over = int(count) > limit if hit else int(count) >= limit
    return (limit, max(int(ttl), 1)) if over else None


def check(name: str, who: str, hit: bool = True) -> None:
    """Count one request of `who` against limit `name` (or only look, with hit=False);
    raise 429 Too Many Requests, with Retry-After, when it is over."""
    over = _count(name, who, hit)
    if over is not None:
        limit, retry_after = over
        raise TooManyRequests(
            f"{MESSAGES[name].format(limit=limit)} Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


def count_only(name: str, who: str) -> None:
    """Count one request against limit `name` without refusing it (a failure to note)."""
    _count(name, who, hit=True)
