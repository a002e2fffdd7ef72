"""Pure point rules: no app, no database."""

from __future__ import annotations

import pytest

from scoring.rules import (
    DayState,
    Ruleset,
    RulesetError,
    ScorableEvent,
    load_default_document,
    score_event,
)


@pytest.fixture
def rules() -> Ruleset:
    return Ruleset.from_document(load_default_document(), version=1)


def run(rules: Ruleset, events: list[ScorableEvent], state: DayState | None = None):
    state = state or DayState()
    awards = []
    for event in events:
        award, state = score_event(event, state, rules)
        awards.append(award)
    return awards, state


def test_default_points_per_type_times_count(rules):
    awards, _ = run(
        rules,
        [
            ScorableEvent("share", "linkedin"),
            ScorableEvent("reshare", "x"),
            ScorableEvent("comment", "facebook", 2),
            ScorableEvent("like", "instagram", 7),
            ScorableEvent("click", "other", 3),
        ],
    )
    assert [a.points for a in awards] == [10, 4, 6, 7, 3]
    assert not any(a.capped for a in awards)


def test_sixth_share_of_a_day_scores_zero_and_says_why(rules):
    awards, state = run(rules, [ScorableEvent("share", "linkedin")] * 6)
    assert [a.points for a in awards] == [10] * 5 + [0]
    assert awards[-1].capped and "5 scoring shares" in awards[-1].reason
    assert state.scoring_shares == 5 and state.points == 50


def test_engagement_cap_grants_the_remainder_then_zero(rules):
    awards, state = run(
        rules,
        [
            ScorableEvent("like", "linkedin", 95),
            ScorableEvent("comment", "linkedin", 3),  # 9 points, only 5 fit
            ScorableEvent("click", "linkedin"),
        ],
    )
    assert [a.points for a in awards] == [95, 5, 0]
    assert [a.capped for a in awards] == [False, True, True]
    assert awards[1].base_points == 9 and "5 of 9" in awards[1].reason
    assert state.engagement_points == 100


def test_shares_do_not_use_the_engagement_cap(rules):
    _, state = run(rules, [ScorableEvent("like", "x", 100), ScorableEvent("share", "x")])
    assert state.share_points == 10 and state.engagement_points == 100


def test_network_multiplier_rounds_half_up():
    doc = load_default_document()
    doc["network_multipliers"]["x"] = 1.5
    rules = Ruleset.from_document(doc, version=2)
    awards, _ = run(rules, [ScorableEvent("like", "x"), ScorableEvent("share", "x")])
    assert [a.points for a in awards] == [2, 15]


def test_null_cap_means_no_cap():
    doc = load_default_document()
    doc["daily_caps"] = {"scoring_shares": None, "engagement_points": None}
    rules = Ruleset.from_document(doc, version=2)
    awards, _ = run(rules, [ScorableEvent("share", "x")] * 8 + [ScorableEvent("like", "x", 500)])
    assert sum(a.points for a in awards) == 80 + 500


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["points"].update(share=-1), "points.share"),
        (lambda d: d["points"].update(share="ten"), "points.share"),
        (lambda d: d["points"].update(poke=1), "points.poke"),
        (lambda d: d["network_multipliers"].update(x=11), "network_multipliers.x"),
        (lambda d: d["network_multipliers"].update(x="NaN"), "network_multipliers.x"),
        (lambda d: d["network_multipliers"].update(x="Infinity"), "network_multipliers.x"),
        (lambda d: d["daily_caps"].update(scoring_shares=1.5), "daily_caps.scoring_shares"),
    ],
)
def test_invalid_ruleset_names_the_field(change, field):
    doc = load_default_document()
    change(doc)
    with pytest.raises(RulesetError) as info:
        Ruleset.from_document(doc, version=2)
    assert field in info.value.errors


def test_an_event_arriving_after_the_window_earns_nothing_and_leaves_the_caps(rules):
    import datetime as dt

    day = dt.timedelta(days=1)
    late = ScorableEvent("share", "linkedin", delay=30 * day + dt.timedelta(seconds=1))
    award, state = score_event(late, DayState(), rules)
    assert (award.rule, award.points, award.base_points, award.capped) == ("late", 0, 10, False)
    assert "arrived 30 days after it happened" in award.reason
    assert "within 30 days" in award.reason
    assert state == DayState()  # the day's caps are untouched
    on_time = ScorableEvent("share", "linkedin", delay=30 * day)
    assert score_event(on_time, DayState(), rules)[0].points == 10
    backfill = ScorableEvent("share", "linkedin", delay=400 * day, backfill=True)
    assert score_event(backfill, DayState(), rules)[0].points == 10


def test_the_arrival_window_is_a_ruleset_setting():
    document = load_default_document()
    assert Ruleset.from_document(document, 1).max_event_age_days == 30
    del document["max_event_age_days"]
    assert Ruleset.from_document(document, 1).max_event_age_days == 30  # older documents
    document["max_event_age_days"] = None
    unlimited = Ruleset.from_document(document, 1)
    assert unlimited.max_event_age_days is None
    import datetime as dt

    ancient = ScorableEvent("share", "x", delay=dt.timedelta(days=5000))
    assert score_event(ancient, DayState(), unlimited)[0].points == 10
    for bad in (0, -1, 3651, 2.5, "30", True):
        document["max_event_age_days"] = bad
        with pytest.raises(RulesetError) as caught:
            Ruleset.from_document(document, 1)
        assert list(caught.value.errors) == ["max_event_age_days"], bad
