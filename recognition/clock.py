"""The one place that reads the wall clock, so tests can move time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_frozen: dt.datetime | None = None


def utcnow() -> dt.datetime:
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def freeze(moment: dt.datetime | None) -> None:
    """Pin the clock at `moment` (aware), or unpin it with None. For tests and benchmarks."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = moment.astimezone(dt.UTC) if moment is not None else None


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Pin the clock at `moment` for the block, then put it back as it was (frozen
    or running). For seeding history and for tests."""
    global _frozen
    before = _frozen
    freeze(moment)
    try:
        yield
    finally:
        _frozen = before
