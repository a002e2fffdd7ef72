"""Leaderboard periods in the organisation's time zone. Pure: no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

PERIODS = ("week", "month", "30d", "all")
ROLLING_DAYS = 30


def local_day(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The organisation-local calendar day an instant falls on."""
    if moment.tzinfo is None:
        raise ValueError("local_day needs an aware datetime")
    return moment.astimezone(tz).date()


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Window:
    """A period instance: local days [first, end) and the suffix naming its board."""

    period: str
    first: dt.date | None
    end: dt.date | None
    suffix: str

    def contains(self, day: dt.date) -> bool:
        return self.first is None or self.first <= day < self.end

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The window as aware instants: local midnight of its first and end days."""
        if self.first is None:
            return None, None
        start = dt.datetime.combine(self.first, dt.time(), tzinfo=tz)
        end = dt.datetime.combine(self.end, dt.time(), tzinfo=tz)
        return start, end


@lru_cache(maxsize=4096)
def window_for(period: str, day: dt.date) -> Window:
    """The window of `period` that contains local `day` (for 30d: ending on it)."""
    if period == "week":
        first = week_start(day)
        iso = first.isocalendar()
        return Window("week", first, first + dt.timedelta(days=7), f"w{iso.year}-{iso.week:02d}")
    if period == "month":
        first = month_start(day)
        return Window("month", first, _next_month(first), f"m{first:%Y-%m}")
    if period == "30d":
        end = day + dt.timedelta(days=1)
        return Window("30d", end - dt.timedelta(days=ROLLING_DAYS), end, f"d{day:%Y-%m-%d}")
    if period == "all":
        return Window("all", None, None, "all")
    raise ValueError(f"unknown period {period!r}")


def windows_touched(day: dt.date, today: dt.date) -> list[Window]:
    """Board windows whose totals change when points land on local `day`.

    The rolling board is only kept for the current day: older 30-day windows
    are never read, and a late event beyond 30 days cannot change today's.
    """
    touched = [window_for("all", day), window_for("week", day), window_for("month", day)]
    rolling = window_for("30d", today)
    if rolling.contains(day):
        touched.append(rolling)
    return touched
