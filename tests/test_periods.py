"""Period windows in the organisation's time zone: pure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from scoring.periods import local_day, window_for, windows_touched

BERLIN = ZoneInfo("Europe/Berlin")


def test_local_day_follows_the_org_time_zone():
    late_utc = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)  # Sunday 23:30 UTC
    assert local_day(late_utc, ZoneInfo("UTC")) == dt.date(2026, 11, 22)
    assert local_day(late_utc, BERLIN) == dt.date(2026, 11, 23)  # already Monday in Berlin


def test_week_is_iso_monday_to_monday():
    w = window_for("week", dt.date(2026, 11, 22))  # a Sunday
    assert (w.first, w.end) == (dt.date(2026, 11, 16), dt.date(2026, 11, 23))
    assert w.suffix == "w2026-47"
    assert window_for("week", dt.date(2026, 11, 23)).suffix == "w2026-48"


def test_iso_week_year_differs_from_calendar_year():
    assert window_for("week", dt.date(2027, 1, 1)).suffix == "w2026-53"


def test_month_window_and_december_rollover():
    w = window_for("month", dt.date(2026, 12, 31))
    assert (w.first, w.end, w.suffix) == (dt.date(2026, 12, 1), dt.date(2027, 1, 1), "m2026-12")


def test_rolling_window_is_thirty_days_ending_today():
    w = window_for("30d", dt.date(2026, 11, 25))
    assert (w.first, w.end) == (dt.date(2026, 10, 27), dt.date(2026, 11, 26))
    assert w.contains(dt.date(2026, 10, 27)) and not w.contains(dt.date(2026, 10, 26))


def test_window_bounds_are_local_midnights():
    start, end = window_for("week", dt.date(2026, 11, 25)).bounds(BERLIN)
    assert start.isoformat() == "2026-11-23T00:00:00+01:00"
    assert end.isoformat() == "2026-11-30T00:00:00+01:00"


def test_old_events_do_not_touch_todays_rolling_board():
    today = dt.date(2026, 11, 25)
    periods = lambda day: {w.period for w in windows_touched(day, today)}  # noqa: E731
    assert periods(dt.date(2026, 11, 20)) == {"all", "week", "month", "30d"}
    assert periods(dt.date(2026, 9, 1)) == {"all", "week", "month"}
