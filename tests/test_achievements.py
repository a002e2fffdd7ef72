"""Badges and tiers: pure decisions, no app, no database."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.achievements import (
    BadgeDefinition,
    BadgeProgress,
    Fact,
    Stats,
    TierMetrics,
    TierState,
    current_streak,
    demotion_day,
    earned_levels,
    longest_streak,
    new_awards,
    observe,
    parse_badges,
    parse_tiers,
    progress,
    qualifying_tier,
    step_tier,
    tier_progress,
)
from scoring.rules import load_default_document

MONDAY = dt.date(2026, 3, 2)  # ISO week 2026-10
WEEK = dt.timedelta(days=7)
STATIC = Path(__file__).resolve().parent.parent / "static"


def parsed(document: dict | None = None):
    document = document or load_default_document()
    errors: dict[str, list[str]] = {}
    badges = parse_badges(document.get("badges"), errors)
    tiers = parse_tiers(document.get("tiers"), errors)
    assert errors == {}
    return badges, tiers


BADGES, TIERS = parsed()


def badge(slug: str) -> BadgeDefinition:
    return next(b for b in BADGES if b.slug == slug)


def share(day: dt.date = MONDAY, network: str = "linkedin") -> Fact:
    return Fact("event", "share", network, 1, day, 10)


def engagement(kind: str, count: int, day: dt.date = MONDAY) -> Fact:
    return Fact("event", kind, "linkedin", count, day, count)


def kudos(kind: str, day: dt.date = MONDAY) -> Fact:
    return Fact(kind, None, None, 1, day, 0)


def fold(facts, stats: Stats | None = None) -> Stats:
    stats = stats or Stats()
    for fact in facts:
        stats = observe(stats, fact)
    return stats


def awards_for(stats: Stats, week_points: int = 0, held=frozenset()) -> list[tuple[str, int]]:
    return new_awards(BADGES, stats, week_points, set(held))


def weeks(*offsets: int) -> frozenset[dt.date]:
    return frozenset(MONDAY + n * WEEK for n in offsets)


# --- the default ruleset --------------------------------------------------------


def test_default_ruleset_parses_cleanly():
    assert [b.slug for b in BADGES] == [
        "first-share",
        "sharer",
        "weekly-streak",
        "networker",
        "conversation-starter",
        "centurion",
        "first-kudos",
        "kudos-magnet",
        "generous-colleague",
        "recognised-advocate",
        "mentor",
    ]
    sharer = badge("sharer")
    assert [(lv.level, lv.label, lv.target) for lv in sharer.levels] == [
        (1, "Bronze", 10),
        (2, "Silver", 50),
        (3, "Gold", 250),
        (4, "Platinum", 1000),
    ]
    assert [(t.slug, t.min_points_90d, t.min_engagement_per_share) for t in TIERS] == [
        ("contributor", 0, 0.0),
        ("advocate", 150, 1.0),
        ("influencer", 600, 3.0),
        ("thought-leader", 1500, 6.0),
    ]


def test_every_default_badge_image_exists_with_an_accessible_title():
    for b in BADGES:
        assert b.image == f"/static/badges/{b.slug}.svg"
        svg = (STATIC / "badges" / f"{b.slug}.svg").read_text()
        assert f'<title id="t-{b.slug}">{b.name} badge</title>' in svg
        assert 'role="img"' in svg


@pytest.mark.parametrize(
    ("slug", "level", "text"),
    [
        ("first-share", 1, "Share for the first time"),
        ("sharer", 1, "Share 10 times"),
        ("sharer", 4, "Share 1,000 times"),
        ("weekly-streak", 1, "Share in 4 consecutive ISO weeks"),
        ("networker", 1, "Share on 3 different networks"),
        ("conversation-starter", 1, "Earn 25 comments on your shares"),
        ("centurion", 1, "Earn 100 points in one week"),
        ("first-kudos", 1, "Give your first kudos"),
        ("kudos-magnet", 2, "Receive 25 kudos"),
        ("generous-colleague", 1, "Give 10 kudos"),
        ("recognised-advocate", 1, "Awarded by the recognition team"),
    ],
)
def test_criteria_text_reads_as_a_sentence(slug, level, text):
    b = badge(slug)
    assert b.criteria_text(b.level(level)) == text


# --- counters -----------------------------------------------------------------


def test_observe_counts_each_kind_of_fact():
    stats = fold(
        [
            share(MONDAY, "linkedin"),
            Fact("event", "share", "x", 5, MONDAY + WEEK, 10),  # a share's count is ignored
            engagement("comment", 3),
            engagement("like", 4),
            engagement("reshare", 2),
            engagement("click", 1),
            kudos("kudos_given"),
            kudos("kudos_received"),
            kudos("kudos_received"),
        ]
    )
    assert stats == Stats(
        shares=2,
        comments_earned=3,
        engagements_earned=10,
        networks=frozenset({"linkedin", "x"}),
        share_weeks=weeks(0, 1),
        kudos_given=1,
        kudos_received=2,
    )


def test_share_weeks_are_iso_mondays():
    sunday = MONDAY + dt.timedelta(days=6)
    assert fold([share(sunday), share(MONDAY + dt.timedelta(days=2))]).share_weeks == weeks(0)


def test_unknown_fact_is_refused():
    with pytest.raises(ValueError, match="fact kind"):
        observe(Stats(), Fact("poke", None, None, 1, MONDAY, 0))
    with pytest.raises(ValueError, match="event type"):
        observe(Stats(), Fact("event", "wave", "x", 1, MONDAY, 0))


def test_stats_json_round_trip():
    stats = Stats(
        shares=3,
        comments_earned=2,
        engagements_earned=9,
        networks=frozenset({"x", "linkedin"}),
        share_weeks=weeks(2, 0),
        kudos_given=1,
        kudos_received=4,
    )
    data = stats.to_json()
    assert data["networks"] == ["linkedin", "x"]
    assert data["share_weeks"] == ["2026-03-02", "2026-03-16"]
    assert Stats.from_json(json.loads(json.dumps(data))) == stats
    assert Stats.from_json(None) == Stats() == Stats.from_json({})


# --- earning badges ---------------------------------------------------------------


def test_first_share_awards_on_the_first_share():
    assert ("first-share", 1) not in awards_for(Stats())
    assert ("first-share", 1) in awards_for(fold([share()]))


def test_count_levels_award_at_the_exact_threshold_and_not_before():
    sharer = badge("sharer")
    assert earned_levels(sharer, Stats(shares=9), 0) == set()
    assert earned_levels(sharer, Stats(shares=10), 0) == {1}
    assert earned_levels(sharer, Stats(shares=49), 0) == {1}
    assert earned_levels(sharer, Stats(shares=50), 0) == {1, 2}
    assert earned_levels(sharer, Stats(shares=1000), 0) == {1, 2, 3, 4}


def test_a_jump_over_two_thresholds_awards_both_lower_first():
    assert awards_for(Stats(shares=60), held={("first-share", 1)}) == [("sharer", 1), ("sharer", 2)]


def test_held_levels_are_not_awarded_again():
    held = {("first-share", 1), ("sharer", 1)}
    assert awards_for(Stats(shares=60), held=held) == [("sharer", 2)]
    held.add(("sharer", 2))
    assert awards_for(Stats(shares=60), held=held) == []


def test_a_lower_level_added_later_is_awarded_without_repeating_the_held_one():
    # A ruleset edit put a new lowest level under one the person already holds.
    document = load_default_document()
    document["badges"][1]["levels"] = [
        {"label": "Starter", "target": 5},
        {"label": "Bronze", "target": 10},
        {"label": "Silver", "target": 50},
    ]
    badges, _ = parsed(document)
    held = {("first-share", 1), ("sharer", 2)}
    assert new_awards(badges, Stats(shares=60), 0, held) == [("sharer", 1), ("sharer", 3)]


def test_levels_stop_at_the_first_one_not_earned():
    held = {("first-share", 1)}
    assert awards_for(Stats(shares=49), held=held) == [("sharer", 1)]


def test_period_points_award_at_exactly_the_weekly_target():
    centurion = badge("centurion")
    assert earned_levels(centurion, Stats(), 99) == set()
    assert earned_levels(centurion, Stats(), 100) == {1}
    assert ("centurion", 1) in awards_for(Stats(), week_points=100)


def test_streak_needs_four_consecutive_weeks():
    streak = badge("weekly-streak")
    assert earned_levels(streak, Stats(share_weeks=weeks(0, 1, 2)), 0) == set()
    assert earned_levels(streak, Stats(share_weeks=weeks(0, 1, 2, 3)), 0) == {1}


def test_a_gap_breaks_the_streak():
    streak = badge("weekly-streak")
    gapped = Stats(share_weeks=weeks(0, 1, 3, 4, 5))
    assert longest_streak(gapped.share_weeks) == 3
    assert earned_levels(streak, gapped, 0) == set()


def test_a_late_share_filling_the_gap_completes_the_streak():
    stats = fold([share(MONDAY + n * WEEK) for n in (0, 1, 3)])
    assert ("weekly-streak", 1) not in awards_for(stats)
    late = share(MONDAY + 2 * WEEK + dt.timedelta(days=4))  # arrives last, happened in week 2
    assert ("weekly-streak", 1) in awards_for(observe(stats, late))


def test_streak_crosses_the_iso_year_boundary():
    # 2026 has 53 ISO weeks: 2026-W52, 2026-W53, 2027-W01, 2027-W02.
    mondays = [dt.date(2026, 12, 21) + n * WEEK for n in range(4)]
    assert longest_streak(mondays) == 4


def test_breadth_counts_distinct_networks():
    networker = badge("networker")
    two = fold([share(network="linkedin"), share(network="x"), share(network="x")])
    assert earned_levels(networker, two, 0) == set()
    assert earned_levels(networker, observe(two, share(network="facebook")), 0) == {1}


def test_comments_earned_counts_comment_engagements_only():
    conversation = badge("conversation-starter")
    stats = fold([engagement("comment", 24), engagement("like", 50), engagement("reshare", 9)])
    assert stats.comments_earned == 24
    assert earned_levels(conversation, stats, 0) == set()
    assert earned_levels(conversation, observe(stats, engagement("comment", 1)), 0) == {1}


def test_kudos_given_badges():
    assert awards_for(Stats()) == []
    assert awards_for(fold([kudos("kudos_given")])) == [("first-kudos", 1)]
    nine = fold([kudos("kudos_given")] * 9)
    assert ("generous-colleague", 1) not in awards_for(nine)
    assert ("generous-colleague", 1) in awards_for(observe(nine, kudos("kudos_given")))


def test_kudos_received_levels():
    magnet = badge("kudos-magnet")
    assert earned_levels(magnet, Stats(kudos_received=4), 0) == set()
    assert earned_levels(magnet, Stats(kudos_received=5), 0) == {1}
    assert earned_levels(magnet, Stats(kudos_received=25), 0) == {1, 2}
    assert earned_levels(magnet, Stats(kudos_received=99), 0) == {1, 2}
    assert earned_levels(magnet, Stats(kudos_received=100), 0) == {1, 2, 3}


def test_the_mentor_badge_counts_completed_mentorships():
    mentor = badge("mentor")
    assert earned_levels(mentor, Stats(), 0) == set()
    completed = observe(Stats(shares=3), Fact("mentorships_completed", None, None, 1, MONDAY, 0))
    assert completed.mentorships_completed == 1 and completed.shares == 3
    assert earned_levels(mentor, completed, 0) == {1}
    # An event after it keeps the count.
    after = observe(completed, Fact("event", "share", "linkedin", 1, MONDAY, 10))
    assert after.mentorships_completed == 1
    assert Stats.from_json(after.to_json()) == after


def test_manual_badges_are_never_awarded_automatically():
    everything = Stats(
        shares=10**6,
        comments_earned=10**6,
        engagements_earned=10**6,
        networks=frozenset({"linkedin", "x", "facebook", "instagram", "other"}),
        share_weeks=weeks(*range(200)),
        kudos_given=10**6,
        kudos_received=10**6,
        mentorships_completed=10**6,
    )
    assert earned_levels(badge("recognised-advocate"), everything, 10**6) == set()
    awarded = {slug for slug, _ in awards_for(everything, week_points=10**6)}
    assert awarded == {b.slug for b in BADGES} - {"recognised-advocate"}


# --- progress -----------------------------------------------------------------------


def by_slug(rows: list[BadgeProgress]) -> dict[str, BadgeProgress]:
    return {row.slug: row for row in rows}


def test_progress_shows_the_lowest_unheld_level():
    stats = Stats(shares=7, networks=frozenset({"x", "linkedin"}), kudos_received=6)
    held = {("first-share", 1), ("kudos-magnet", 1)}
    rows = by_slug(progress(BADGES, stats, 40, held, MONDAY))
    assert rows["sharer"] == BadgeProgress("sharer", "Sharer", 1, "Bronze", 7, 10)
    assert rows["kudos-magnet"] == BadgeProgress("kudos-magnet", "Kudos Magnet", 2, "Silver", 6, 25)
    assert (rows["networker"].current, rows["networker"].target) == (2, 3)
    assert (rows["centurion"].current, rows["centurion"].target) == (40, 100)
    assert "first-share" not in rows
    assert "recognised-advocate" not in rows


def test_progress_omits_fully_held_badges():
    held = {("sharer", n) for n in (1, 2, 3, 4)}
    rows = by_slug(progress(BADGES, Stats(shares=1200), 0, held, MONDAY))
    assert "sharer" not in rows
    assert "kudos-magnet" in rows


def test_streak_progress_is_the_live_run():
    today = MONDAY + 10 * WEEK + dt.timedelta(days=2)
    this_week = Stats(share_weeks=weeks(0, 1, 2, 3, 4, 8, 9, 10))
    assert by_slug(progress(BADGES, this_week, 0, set(), today))["weekly-streak"].current == 3
    # No share yet this week: last week's run still stands.
    last_week = Stats(share_weeks=weeks(8, 9))
    assert current_streak(last_week.share_weeks, today) == 2
    # Neither this week nor last: the run is over.
    assert current_streak(weeks(7, 8), today) == 0
    assert current_streak(frozenset(), today) == 0


# --- parsing errors ------------------------------------------------------------------


def badge_errors(change) -> dict[str, list[str]]:
    document = copy.deepcopy(load_default_document())
    change(document["badges"])
    errors: dict[str, list[str]] = {}
    parse_badges(document["badges"], errors)
    return errors


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda b: b[1]["levels"][2].update(target=50), "badges[1].levels[2].target"),
        (lambda b: b[1]["levels"][0].update(target=0), "badges[1].levels[0].target"),
        (lambda b: b[1]["levels"][1].update(target="fifty"), "badges[1].levels[1].target"),
        (lambda b: b[1]["levels"][1].update(label=""), "badges[1].levels[1].label"),
        (lambda b: b[1]["levels"][0].update(colour="red"), "badges[1].levels[0].colour"),
        (lambda b: b[2].update(slug="Weekly Streak"), "badges[2].slug"),
        (lambda b: b[2].update(slug="weekly--streak"), "badges[2].slug"),
        (lambda b: b[3].update(slug="first-share"), "badges[3].slug"),
        (lambda b: b[3].update(kind="bragging"), "badges[3].kind"),
        (lambda b: b[3].update(metric="shares"), "badges[3].metric"),
        (lambda b: b[4].update(metric="likes"), "badges[4].metric"),
        (lambda b: b[5].update(period="month"), "badges[5].period"),
        (lambda b: b[5].update(metric="shares"), "badges[5].metric"),
        (lambda b: b[0].update(target=2), "badges[0].target"),
        (lambda b: b[0].update(levels=[{"target": 1}]), "badges[0]"),
        (lambda b: b[2].pop("target"), "badges[2]"),
        (lambda b: b[9].update(target=1), "badges[9].target"),
        (lambda b: b[6].update(image="javascript:alert(1)"), "badges[6].image"),
        (lambda b: b[6].update(image="//evil.example/x.svg"), "badges[6].image"),
        (lambda b: b[7].pop("name"), "badges[7].name"),
        (lambda b: b[7].update(descripton="typo"), "badges[7].descripton"),
        (lambda b: b[8].update(levels=[]) or b[8].pop("target"), "badges[8].levels"),
        (lambda b: b.append("sharer"), f"badges[{len(BADGES)}]"),
    ],
)
def test_invalid_badge_names_the_path(change, path):
    assert path in badge_errors(change)


def test_badges_must_be_a_list_but_may_be_absent():
    errors: dict[str, list[str]] = {}
    assert parse_badges(None, errors) == ()
    assert errors == {}
    parse_badges({"sharer": {}}, errors)
    assert "badges" in errors


def tier_errors(change) -> dict[str, list[str]]:
    document = copy.deepcopy(load_default_document())
    change(document["tiers"])
    errors: dict[str, list[str]] = {}
    parse_tiers(document["tiers"], errors)
    return errors


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda t: t[0].update(min_points_90d=10), "tiers[0].min_points_90d"),
        (lambda t: t[0].update(min_engagement_per_share=0.5), "tiers[0].min_engagement_per_share"),
        (lambda t: t[2].update(min_points_90d=100), "tiers[2].min_points_90d"),
        (lambda t: t[3].update(min_engagement_per_share=2.5), "tiers[3].min_engagement_per_share"),
        (lambda t: t[1].update(min_points_90d=-1), "tiers[1].min_points_90d"),
        (
            lambda t: t[1].update(min_engagement_per_share="lots"),
            "tiers[1].min_engagement_per_share",
        ),
        (
            lambda t: t[1].update(min_engagement_per_share=float("nan")),
            "tiers[1].min_engagement_per_share",
        ),
        (lambda t: t[2].update(slug="advocate"), "tiers[2].slug"),
        (lambda t: t[2].update(min_points_90d=150, min_engagement_per_share=1.0), "tiers[2]"),
        (lambda t: t.clear(), "tiers"),
    ],
)
def test_invalid_tier_names_the_path(change, path):
    assert path in tier_errors(change)


def test_tiers_are_required():
    errors: dict[str, list[str]] = {}
    assert parse_tiers(None, errors) == ()
    assert "tiers" in errors


# --- tiers -----------------------------------------------------------------------------


def metrics(points: int, shares: int = 10, engagements: int = 0) -> TierMetrics:
    return TierMetrics(points, shares, engagements)


def test_engagement_per_share_is_zero_without_shares():
    assert TierMetrics(500, 0, 40).engagement_per_share == 0.0
    assert TierMetrics(500, 4, 10).engagement_per_share == 2.5


def test_tier_needs_both_thresholds():
    heavy_sharer = metrics(points=5000, shares=400, engagements=0)
    assert qualifying_tier(TIERS, heavy_sharer).slug == "contributor"
    engaging_but_quiet = metrics(points=100, shares=2, engagements=40)
    assert qualifying_tier(TIERS, engaging_but_quiet).slug == "contributor"
    assert qualifying_tier(TIERS, metrics(150, 10, 10)).slug == "advocate"
    assert qualifying_tier(TIERS, metrics(149, 10, 10)).slug == "contributor"
    assert qualifying_tier(TIERS, metrics(600, 10, 29)).slug == "advocate"
    assert qualifying_tier(TIERS, metrics(600, 10, 30)).slug == "influencer"
    assert qualifying_tier(TIERS, metrics(1500, 10, 60)).slug == "thought-leader"


def test_a_new_person_starts_at_the_qualifying_tier():
    assert step_tier(TIERS, None, metrics(0), MONDAY) == TierState("contributor")
    assert step_tier(TIERS, None, metrics(700, 10, 40), MONDAY) == TierState("influencer")


def test_promotion_is_immediate_and_clears_below_since():
    state = TierState("advocate", below_since=MONDAY)
    assert step_tier(TIERS, state, metrics(600, 10, 30), MONDAY + dt.timedelta(days=1)) == (
        TierState("influencer")
    )


@pytest.mark.parametrize(
    ("below_since", "demote_on"),
    [
        (MONDAY, MONDAY + 2 * WEEK),  # the week it starts counts in full
        (MONDAY + dt.timedelta(days=2), MONDAY + 3 * WEEK),  # a part week does not count
        (MONDAY + dt.timedelta(days=6), MONDAY + 3 * WEEK),  # nor does a lone Sunday
    ],
)
def test_demotion_only_after_two_full_iso_weeks_below(below_since, demote_on):
    assert demotion_day(below_since) == demote_on
    low = metrics(100, 10, 10)  # contributor only
    state = step_tier(TIERS, TierState("influencer"), low, below_since)
    assert state == TierState("influencer", below_since)
    day_before = demote_on - dt.timedelta(days=1)
    assert step_tier(TIERS, state, low, day_before) == TierState("influencer", below_since)
    assert step_tier(TIERS, state, low, demote_on) == TierState("contributor")


def test_demotion_goes_to_the_qualifying_tier_not_one_step():
    state = TierState("thought-leader", below_since=MONDAY)
    assert step_tier(TIERS, state, metrics(200, 10, 20), MONDAY + 2 * WEEK) == TierState("advocate")


def test_going_back_above_clears_below_since():
    low, ok = metrics(100, 10, 10), metrics(700, 10, 40)
    state = step_tier(TIERS, TierState("influencer"), low, MONDAY)
    state = step_tier(TIERS, state, ok, MONDAY + WEEK)
    assert state == TierState("influencer")
    # Dropping again starts a fresh two-week wait.
    again = MONDAY + 2 * WEEK
    state = step_tier(TIERS, state, low, again)
    assert state == TierState("influencer", again)
    assert (
        step_tier(TIERS, state, low, again + 2 * WEEK - dt.timedelta(days=1)).tier == "influencer"
    )


def test_below_since_keeps_the_earliest_day():
    low = metrics(100, 10, 10)
    state = TierState("influencer", below_since=MONDAY + WEEK)
    # A late fact judged on an earlier day moves the start back, never forward.
    earlier = step_tier(TIERS, state, low, MONDAY)
    assert earlier == TierState("influencer", MONDAY)
    later = step_tier(TIERS, earlier, low, MONDAY + dt.timedelta(days=3))
    assert later == TierState("influencer", MONDAY)


def test_a_tier_removed_from_the_ruleset_restarts_at_the_qualifying_tier():
    assert step_tier(TIERS, TierState("legend"), metrics(200, 10, 20), MONDAY) == (
        TierState("advocate")
    )


def test_tier_progress_names_both_components_of_the_next_tier():
    p = tier_progress(TIERS, TierState("advocate"), metrics(320, 10, 25))
    assert (p.current, p.next) == ("advocate", "influencer")
    assert p.components == [
        {"name": "points_90d", "current": 320, "needed": 600},
        {"name": "engagement_per_share", "current": 2.5, "needed": 3.0},
    ]


def test_tier_progress_at_the_top_has_no_next():
    p = tier_progress(TIERS, TierState("thought-leader"), metrics(2000, 10, 80))
    assert (p.current, p.next, p.components) == ("thought-leader", None, [])


# --- properties --------------------------------------------------------------------------

days = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))
facts = st.one_of(
    st.builds(
        Fact,
        kind=st.just("event"),
        event_type=st.sampled_from(["share", "reshare", "comment", "like", "click"]),
        network=st.sampled_from(["linkedin", "x", "facebook", "instagram", "other"]),
        count=st.integers(1, 50),
        local_day=days,
        points=st.integers(0, 100),
    ),
    st.builds(
        Fact,
        kind=st.sampled_from(["kudos_given", "kudos_received", "mentorships_completed"]),
        event_type=st.none(),
        network=st.none(),
        count=st.just(1),
        local_day=days,
        points=st.integers(0, 20),
    ),
)


@given(st.lists(facts, max_size=40), st.randoms(use_true_random=False))
def test_folding_facts_in_any_order_gives_the_same_stats(fact_list, rnd):
    shuffled = list(fact_list)
    rnd.shuffle(shuffled)
    assert fold(shuffled) == fold(fact_list)
    assert Stats.from_json(fold(fact_list).to_json()) == fold(fact_list)


@given(st.lists(facts, max_size=60), st.integers(0, 300), st.data())
def test_awards_never_repeat_and_only_grow_with_more_facts(fact_list, week_points, data):
    split = data.draw(st.integers(0, len(fact_list)))
    before = fold(fact_list[:split])
    after = fold(fact_list[split:], before)
    held = set(awards_for(before, week_points))
    assert not set(awards_for(before, week_points, held))
    later = awards_for(after, week_points, held)
    assert not held & set(later)
    # Everything earned earlier is still earned: counters only grow.
    for b in BADGES:
        assert earned_levels(b, before, week_points) <= earned_levels(b, after, week_points)
    # Levels come in order within each badge, with no gaps.
    for slug in {s for s, _ in later}:
        levels = sorted({n for s, n in held | set(later) if s == slug})
        assert levels == list(range(1, len(levels) + 1))


@given(
    st.lists(
        st.tuples(st.integers(0, 3000), st.integers(0, 200), st.integers(0, 1500)),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.integers(0, 9), min_size=30, max_size=30),
)
def test_tier_steps_never_skip_the_two_week_grace(figures, gaps):
    state, today = None, MONDAY
    for (points, shares, engagements), gap in zip(figures, gaps, strict=False):
        today += dt.timedelta(days=gap)
        m = TierMetrics(points, shares, engagements)
        new = step_tier(TIERS, state, m, today)
        order = [t.slug for t in TIERS]
        qualifying = qualifying_tier(TIERS, m).slug
        if state is not None and order.index(new.tier) < order.index(state.tier):
            assert new.tier == qualifying
            assert state.below_since is not None
            assert today >= demotion_day(min(state.below_since, today))
        assert order.index(new.tier) >= order.index(qualifying)
        assert (new.below_since is None) == (new.tier == qualifying)
        state = new


def test_stats_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Stats().shares = 1  # type: ignore[misc]
