"""What would close a gap on a board: computed from the ruleset and today's caps. Pure."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.rules import (
    MAX_ADVICE_DAYS,
    DayState,
    GapAdvice,
    Ruleset,
    ScorableEvent,
    closing_advice,
    load_default_document,
    score_event,
)

# The default rules: a share is 10 points, 5 scoring shares and 100 engagement points a day.
FRESH = DayState()


def rules(**changes) -> Ruleset:
    document = copy.deepcopy(load_default_document())
    for key, value in changes.items():
        document[key] = {**document[key], **value}
    return Ruleset.from_document(document, version=1)


DEFAULT = rules()


def test_a_gap_today_s_shares_cover_is_a_number_of_shares():
    assert closing_advice(30, DEFAULT, FRESH) == GapAdvice(shares=3)
    assert closing_advice(31, DEFAULT, FRESH) == GapAdvice(shares=4)  # a tie closes it
    assert closing_advice(1, DEFAULT, FRESH) == GapAdvice(shares=1)


def test_shares_already_made_today_leave_fewer():
    three_made = DayState(scoring_shares=3, share_points=30)
    assert closing_advice(20, DEFAULT, three_made) == GapAdvice(shares=2)
    # 3 shares would be needed but only 2 are left today: full days instead.
    assert closing_advice(30, DEFAULT, three_made) == GapAdvice(days=1)


def test_a_bigger_gap_is_days_of_full_activity():
    # A full day is 5 x 10 + 100 = 150 points.
    assert closing_advice(150, DEFAULT, FRESH) == GapAdvice(days=1)
    assert closing_advice(151, DEFAULT, FRESH) == GapAdvice(days=2)
    assert closing_advice(908, DEFAULT, FRESH) == GapAdvice(days=7)


def test_today_used_up_counts_days_from_tomorrow():
    spent = DayState(scoring_shares=5, share_points=50, engagement_points=100)
    assert closing_advice(100, DEFAULT, spent) == GapAdvice(days=1)
    # This week ends tomorrow night: two days are left, today's included.
    assert closing_advice(300, DEFAULT, spent, days_left=2) is None
    assert closing_advice(150, DEFAULT, spent, days_left=2) == GapAdvice(days=1)


def test_nothing_is_said_when_the_period_ends_first_or_it_is_too_far():
    assert closing_advice(600, DEFAULT, FRESH, days_left=3) is None
    assert closing_advice(450, DEFAULT, FRESH, days_left=3) == GapAdvice(days=3)
    assert closing_advice(150 * MAX_ADVICE_DAYS, DEFAULT, FRESH) == GapAdvice(days=MAX_ADVICE_DAYS)
    assert closing_advice(150 * MAX_ADVICE_DAYS + 1, DEFAULT, FRESH) is None


def test_nothing_is_said_when_shares_earn_nothing():
    assert closing_advice(10, rules(points={"share": 0}), FRESH) is None
    silent = {n: 0 for n in ("linkedin", "x", "facebook", "instagram", "other")}
    assert closing_advice(10, rules(network_multipliers=silent), FRESH) is None
    assert closing_advice(0, DEFAULT, FRESH) is None


def test_the_live_point_values_and_caps_are_used():
    richer = rules(points={"share": 25}, daily_caps={"scoring_shares": 2, "engagement_points": 10})
    assert closing_advice(50, richer, FRESH) == GapAdvice(shares=2)
    # A full day is 2 x 25 + 10 = 60.
    assert closing_advice(61, richer, FRESH) == GapAdvice(days=2)
    uncapped = rules(daily_caps={"scoring_shares": None, "engagement_points": None})
    assert closing_advice(250, uncapped, FRESH) == GapAdvice(shares=25)
    assert closing_advice(251, uncapped, FRESH) is None  # no cap, but 26 shares in a day


def test_the_best_paying_network_is_named_when_networks_differ():
    mixed = rules(network_multipliers={"x": 2.0, "other": 0.5})
    assert closing_advice(40, mixed, FRESH) == GapAdvice(shares=2, network="x")


@given(
    gap=st.integers(1, 10_000),
    made=st.integers(0, 5),
    engagement=st.integers(0, 100),
)
def test_the_advice_is_enough_when_followed(gap, made, engagement):
    """Doing what the advice says, under the same caps, earns at least the gap."""
    today = DayState(scoring_shares=made, share_points=10 * made, engagement_points=engagement)
    advice = closing_advice(gap, DEFAULT, today)
    if advice is None:
        return
    if advice.shares is not None:
        state, earned = today, 0
        for _ in range(advice.shares):
            award, state = score_event(ScorableEvent("share", "linkedin"), state, DEFAULT)
            earned += award.points
        assert earned >= gap
        return
    earned = 0
    for day in range(advice.days):
        state = today if day == 0 and (made < 5 or engagement < 100) else DayState()
        for _ in range(5):
            award, state = score_event(ScorableEvent("share", "linkedin"), state, DEFAULT)
            earned += award.points
        award, state = score_event(ScorableEvent("like", "linkedin", 100), state, DEFAULT)
        earned += award.points
    assert earned >= gap


@pytest.mark.parametrize("gap", [1, 49, 50])
def test_shares_are_only_advised_when_they_fit_today(gap):
    advice = closing_advice(gap, DEFAULT, FRESH)
    assert advice.shares is not None and advice.shares <= 5
