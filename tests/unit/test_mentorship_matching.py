"""Mentorship matching: pure, no app and no database."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recognition.mentorship.matching import (
    Exclusion,
    Mentee,
    Mentor,
    Mode,
    Pruning,
    Reason,
    Weights,
    exclusion,
    explain,
    fit,
    fit_units,
    greedy_baseline,
    is_candidate,
    match,
)

# Only topic overlap counts: fits are easy to read off (offered 1 + demonstrated 1).
TOPICS_ONLY = Weights(
    offered=1.0,
    demonstrated=1.0,
    tier_gap=0.0,
    cross_team=0.0,
    cross_team_asked=0.0,
    bookmark=0.0,
    bookmark_after_decline=0.0,
)
TOPIC_NAMES = {k: f"Topic {chr(65 + k)}" for k in range(6)}


# ---------------------------------------------------------------------------
# Random small organisations


@st.composite
def organisations(draw, max_mentees: int = 6, max_mentors: int = 4):
    """Mentees and mentors whose ids overlap (someone may be both), with managers,
    bookmarks, declines, teams and tiers drawn from small pools so that every
    hard constraint comes up, but most mentors can take someone and most pairs
    share a topic, so that there is something to optimise."""
    n = draw(st.integers(1, max_mentees))
    m = draw(st.integers(1, max_mentors))
    mentor_ids = draw(st.lists(st.integers(0, n + m), min_size=m, max_size=m, unique=True))
    people = list(range(n + m + 1))
    topics = st.frozensets(st.integers(0, 3), max_size=3)
    mostly = st.sampled_from([True, True, True, False])
    maybe_person = st.none() | st.sampled_from(people)
    team = st.none() | st.integers(0, 2)
    mentors = [
        Mentor(
            mid,
            offers=draw(topics),
            shares=draw(
                st.dictionaries(
                    st.integers(0, 3), st.sampled_from([0.0, 0.0004, 0.25, 0.5, 1.0]), max_size=3
                )
            ),
            team=draw(team),
            manager_id=draw(maybe_person),
            tier_rank=draw(st.integers(0, 4)),
            open_slots=draw(st.sampled_from([0, 1, 1, 1, 2])),
            eligible=draw(mostly),
            open=draw(mostly),
        )
        for mid in mentor_ids
    ]
    few_mentors = st.frozensets(st.sampled_from(mentor_ids), max_size=2)
    rarely_some_mentors = st.sampled_from([frozenset()] * 3) | st.frozensets(
        st.sampled_from(mentor_ids), max_size=1
    )
    mentees = [
        Mentee(
            i,
            wants=draw(st.frozensets(st.integers(0, 3), min_size=1, max_size=3) | topics),
            team=draw(team),
            manager_id=draw(maybe_person),
            tier_rank=draw(st.integers(0, 4)),
            bookmarks=draw(st.just(frozenset()) | few_mentors),
            declined_by=draw(rarely_some_mentors),
            prefers_other_team=draw(st.booleans()),
        )
        for i in range(n)
    ]
    return mentees, mentors


def brute_force(mentees, mentors, weights):
    """Every assignment that keeps the hard constraints, the slow way: the best
    (total fit) and the best (pairs matched, then total fit), in fit units."""
    options = [
        [
            (j, fit_units(e, o, weights))
            for j, o in enumerate(mentors)
            if is_candidate(e, o, weights)
        ]
        for e in mentees
    ]
    best_total, best_most = 0, (0, 0)

    def walk(i, free, total, count):
        nonlocal best_total, best_most
        if i == len(mentees):
            best_total = max(best_total, total)
            best_most = max(best_most, (count, total))
            return
        walk(i + 1, free, total, count)
        for j, units in options[i]:
            if free[j]:
                free[j] -= 1
                walk(i + 1, free, total + units, count + 1)
                free[j] += 1

    walk(0, [o.open_slots for o in mentors], 0, 0)
    return best_total, best_most


def check_hard_constraints(result, mentees, mentors, weights):
    by_id = {o.id: o for o in mentors}
    mentee_by_id = {e.id: e for e in mentees}
    assert len({p.mentee_id for p in result.pairs}) == len(result.pairs)
    for pair in result.pairs:
        mentee, mentor = mentee_by_id[pair.mentee_id], by_id[pair.mentor_id]
        # The rules spelled out again, not through the module's own exclusion().
        assert mentee.id != mentor.id
        assert mentee.manager_id != mentor.id
        assert mentor.manager_id != mentee.id
        assert mentor.id not in mentee.declined_by
        assert mentor.eligible and mentor.open
        assert is_candidate(mentee, mentor, weights)
        assert pair.fit_units == fit_units(mentee, mentor, weights) > 0
    for load in result.load:
        assert load.assigned <= load.open_slots == by_id[load.mentor_id].open_slots
    assigned = {}
    for pair in result.pairs:
        assigned[pair.mentor_id] = assigned.get(pair.mentor_id, 0) + 1
    for mentor_id, count in assigned.items():
        assert count <= by_id[mentor_id].open_slots
    unmatched = {u.mentee_id for u in result.unmatched}
    assert not unmatched & {p.mentee_id for p in result.pairs}
    assert unmatched | {p.mentee_id for p in result.pairs} == set(mentee_by_id)


@settings(max_examples=100, deadline=None)
@given(organisations())
def test_hard_constraints_never_violated(org):
    mentees, mentors = org
    weights = Weights()
    for result in (
        match(mentees, mentors, weights, Mode.BEST_FIT),
        match(mentees, mentors, weights, Mode.MOST_MATCHED),
        greedy_baseline(mentees, mentors, weights),
    ):
        check_hard_constraints(result, mentees, mentors, weights)


@settings(max_examples=100, deadline=None)
@given(organisations(max_mentees=5, max_mentors=3))
def test_optimum_equals_brute_force_in_both_modes(org):
    mentees, mentors = org
    weights = Weights()
    best_total, (most_count, most_total) = brute_force(mentees, mentors, weights)
    best = match(mentees, mentors, weights, Mode.BEST_FIT)
    most = match(mentees, mentors, weights, Mode.MOST_MATCHED)
    assert best.total_units == best_total
    assert (len(most.pairs), most.total_units) == (most_count, most_total)


def contended_organisation(rng: random.Random):
    """More mentees than one-slot mentors, few topics each, some bookmarks after a
    decline (a large boost): the cases where the two modes part ways."""
    topics = range(4)
    mentors = [
        Mentor(
            100 + j,
            offers=rng.sample(topics, rng.randint(1, 2)),
            shares={t: rng.choice([0.25, 0.5, 1.0]) for t in rng.sample(topics, rng.randint(0, 2))},
            tier_rank=rng.randint(0, 3),
            team=rng.randint(0, 1),
        )
        for j in range(rng.randint(1, 3))
    ]
    mentees = [
        Mentee(
            i,
            wants=rng.sample(topics, rng.randint(1, 2)),
            tier_rank=rng.randint(0, 3),
            team=rng.randint(0, 1),
            manager_id=rng.choice([None, None, 100, 101]),
            bookmarks=rng.sample([m.id for m in mentors], rng.randint(0, 1)),
            declined_by=rng.choice([(), (), (103,)]),
        )
        for i in range(rng.randint(3, 6))
    ]
    return mentees, mentors


def test_optimum_equals_brute_force_when_mentors_are_scarce():
    parted = 0
    for seed in range(250):
        mentees, mentors = contended_organisation(random.Random(seed))
        best_total, (most_count, most_total) = brute_force(mentees, mentors, Weights())
        best = match(mentees, mentors, mode=Mode.BEST_FIT)
        most = match(mentees, mentors, mode=Mode.MOST_MATCHED)
        assert best.total_units == best_total, seed
        assert (len(most.pairs), most.total_units) == (most_count, most_total), seed
        parted += best_total != most_total
    assert parted >= 3  # the data really has cases where the modes disagree


@settings(max_examples=50, deadline=None)
@given(organisations())
def test_most_matched_matches_at_least_as_many_and_best_fit_has_the_most_fit(org):
    mentees, mentors = org
    best = match(mentees, mentors, mode=Mode.BEST_FIT)
    most = match(mentees, mentors, mode=Mode.MOST_MATCHED)
    greedy = greedy_baseline(mentees, mentors)
    assert len(most.pairs) >= len(best.pairs)
    assert len(most.pairs) >= len(greedy.pairs)
    assert best.total_units >= most.total_units
    assert best.total_units >= greedy.total_units


@settings(max_examples=50, deadline=None)
@given(organisations())
def test_candidates_are_exactly_the_allowed_relevant_pairs_with_a_positive_fit(org):
    mentees, mentors = org
    weights = Weights()
    expected = sum(is_candidate(e, o, weights) for e in mentees for o in mentors)
    assert match(mentees, mentors, weights).candidate_pairs == expected


@settings(max_examples=50, deadline=None)
@given(organisations(), st.randoms(use_true_random=False))
def test_same_input_same_output_in_any_order(org, rng):
    mentees, mentors = org
    first = match(mentees, mentors, mode=Mode.MOST_MATCHED)
    assert match(mentees, mentors, mode=Mode.MOST_MATCHED) == first
    shuffled_mentees, shuffled_mentors = mentees[:], mentors[:]
    rng.shuffle(shuffled_mentees)
    rng.shuffle(shuffled_mentors)
    assert match(shuffled_mentees, shuffled_mentors, mode=Mode.MOST_MATCHED) == first


def test_determinism_among_many_equal_fits():
    """Twenty identical mentees, three identical one-slot mentors: many optima, one answer."""
    mentees = [Mentee(i, wants={0}) for i in range(20)]
    mentors = [Mentor(100 + j, offers={0}, open_slots=1) for j in range(3)]
    results = set()
    for seed in range(5):
        rng = random.Random(seed)
        rng.shuffle(mentees)
        rng.shuffle(mentors)
        results.add(match(mentees, mentors).pairs)
    assert len(results) == 1
    assert len(next(iter(results))) == 3


# ---------------------------------------------------------------------------
# Known cases


def test_greedy_is_worse_than_the_solver_on_a_known_case():
    # Ann comes first and takes Max, her best; Ben can only have Max and is left out.
    # The optimum gives Ann her second best, Mia, and Ben gets Max.
    ann = Mentee("ann", wants={0})
    ben = Mentee("ben", wants={1})
    max_ = Mentor("max", offers={0, 1}, shares={0: 1.0}, open_slots=1)
    mia = Mentor("mia", offers={0}, shares={0: 0.8}, open_slots=1)
    greedy = greedy_baseline([ann, ben], [max_, mia], TOPICS_ONLY)
    best = match([ann, ben], [max_, mia], TOPICS_ONLY, Mode.BEST_FIT)
    assert [(p.mentee_id, p.mentor_id) for p in greedy.pairs] == [("ann", "max")]
    assert greedy.total_units == 2000
    assert {(p.mentee_id, p.mentor_id) for p in best.pairs} == {("ann", "mia"), ("ben", "max")}
    assert best.total_units == 1800 + 1000
    assert best.total_fit == pytest.approx(2.8)


def test_best_fit_may_leave_a_mentee_out_that_most_matched_takes():
    # Max fits Ann very well (2.0) and Ben poorly (0.5); Ben's manager is Mia, so
    # Mia may not mentor him. Best fit: Ann-Max alone (2.0). Most matched:
    # Ann-Mia (0.5) and Ben-Max (0.5).
    ann = Mentee("ann", wants={0, 1})
    ben = Mentee("ben", wants={1, 2, 3, 4}, manager_id="mia")
    max_ = Mentor("max", offers={0, 1}, shares={0: 1.0, 1: 1.0}, open_slots=1)
    mia = Mentor("mia", offers={1}, open_slots=1)
    best = match([ann, ben], [max_, mia], TOPICS_ONLY, Mode.BEST_FIT)
    most = match([ann, ben], [max_, mia], TOPICS_ONLY, "most_matched")
    assert [(p.mentee_id, p.mentor_id, p.fit_units) for p in best.pairs] == [("ann", "max", 2000)]
    assert [(u.mentee_id, u.reason) for u in best.unmatched] == [("ben", Reason.AT_CAPACITY)]
    assert [(p.mentee_id, p.mentor_id, p.fit_units) for p in most.pairs] == [
        ("ann", "mia", 500),
        ("ben", "max", 500),
    ]
    assert (best.mean_fit, most.mean_fit) == (2.0, 0.5)
    assert (best.matched_share, most.matched_share) == (0.5, 1.0)


def test_capacity_is_respected_and_reported():
    mentees = [Mentee(i, wants={0}) for i in range(5)]
    mentors = [Mentor("max", offers={0}, open_slots=2), Mentor("full", offers={0}, open_slots=0)]
    for mode in Mode:
        result = match(mentees, mentors, mode=mode)
        assert len(result.pairs) == 2
        assert {p.mentor_id for p in result.pairs} == {"max"}
        assert [(m.mentor_id, m.assigned, m.open_slots) for m in result.load] == [("max", 2, 2)]
        assert {u.reason for u in result.unmatched} == {Reason.AT_CAPACITY}
        assert {u.suitable for u in result.unmatched} == {1}


def test_declined_pairs_are_never_proposed_again():
    ann = Mentee("ann", wants={0}, declined_by={"max"})
    max_ = Mentor("max", offers={0}, shares={0: 1.0}, open_slots=3)
    mia = Mentor("mia", offers={0}, open_slots=1)
    assert exclusion(ann, max_) is Exclusion.DECLINED
    result = match([ann], [max_, mia])
    assert [(p.mentee_id, p.mentor_id) for p in result.pairs] == [("ann", "mia")]
    alone = match([ann], [max_])
    assert alone.pairs == ()
    assert [(u.mentee_id, u.reason) for u in alone.unmatched] == [("ann", Reason.RULED_OUT)]


@pytest.mark.parametrize(
    ("mentee", "mentor", "expected"),
    [
        (Mentee("a", wants={0}), Mentor("a", offers={0}), Exclusion.SELF),
        (Mentee("a", wants={0}, manager_id="b"), Mentor("b", offers={0}), Exclusion.MANAGER),
        (Mentee("a", wants={0}), Mentor("b", offers={0}, manager_id="a"), Exclusion.REPORT),
        (Mentee("a", wants={0}), Mentor("b", offers={0}, eligible=False), Exclusion.UNAVAILABLE),
        (Mentee("a", wants={0}), Mentor("b", offers={0}, open=False), Exclusion.UNAVAILABLE),
        (Mentee("a", wants={0}), Mentor("b", offers={0}, open_slots=0), Exclusion.UNAVAILABLE),
        (Mentee("a", wants={0}, manager_id="c"), Mentor("b", offers={0}, manager_id="c"), None),
    ],
)
def test_hard_constraints_one_by_one(mentee, mentor, expected):
    assert exclusion(mentee, mentor) is expected
    result = match([mentee], [mentor])
    assert len(result.pairs) == (expected is None)


@pytest.mark.parametrize(
    ("mentee", "mentors", "reason"),
    [
        (Mentee("a"), [Mentor("m", offers={0})], Reason.NO_TOPICS),
        (Mentee("a", wants={0}), [Mentor("m", offers={0}, open=False)], Reason.NO_MENTOR_OPEN),
        (Mentee("a", wants={0}), [Mentor("m", offers={1}, shares={2: 1.0})], Reason.NO_TOPIC_MATCH),
        (
            Mentee("a", wants={0}),
            [Mentor("m", offers={1}, shares={0: 0.0004})],
            Reason.NO_TOPIC_MATCH,
        ),
        (Mentee("a", wants={0}, manager_id="m"), [Mentor("m", offers={0})], Reason.RULED_OUT),
        (Mentee("a", wants={0}), [Mentor("m", offers={0}, open_slots=0)], Reason.AT_CAPACITY),
        (Mentee("a", wants=set(range(5)), tier_rank=3), [Mentor("m", offers={0})], Reason.POOR_FIT),
    ],
)
def test_why_a_mentee_stays_unmatched(mentee, mentors, reason):
    result = match([mentee], mentors)
    assert result.pairs == ()
    assert [(u.mentee_id, u.reason) for u in result.unmatched] == [("a", reason)]
    assert result.unmatched[0].message == reason.message


# ---------------------------------------------------------------------------
# Fit and explanation


def test_fit_adds_up_every_weight():
    mentee = Mentee("a", wants={0, 1}, team="x", tier_rank=1, bookmarks={"m"})
    mentor = Mentor("m", offers={0}, shares={0: 0.5, 1: 0.25}, team="y", tier_rank=2)
    # Topics: offered 1.0 x 1/2 + demonstrated 1.5 x (0.5 + 0.25)/2 = 1.0625, kept
    # in thousandths (half up): 1.063. Then tier 0.3 x 1/2, another team 0.1,
    # bookmark 0.5.
    assert fit_units(mentee, mentor, Weights()) == 1063 + 150 + 100 + 500
    assert fit(mentee, mentor) == 1.813
    asked = Mentee("a", wants={0, 1}, team="x", tier_rank=1, prefers_other_team=True)
    assert fit(asked, mentor) == pytest.approx(1.063 + 0.15 + 0.4)
    behind = Mentee("a", wants={0, 1}, tier_rank=4)
    assert fit(behind, mentor) == pytest.approx(1.063 - 0.3)


@settings(max_examples=50, deadline=None)
@given(organisations(max_mentees=4, max_mentors=4))
def test_after_a_decline_every_bookmarked_mentor_outranks_every_other(org):
    mentees, mentors = org
    for mentee in mentees:
        declined = Mentee(
            mentee.id,
            wants=mentee.wants,
            team=mentee.team,
            tier_rank=mentee.tier_rank,
            bookmarks={o.id for o in mentors[:2]},
            declined_by={"someone"},
            prefers_other_team=mentee.prefers_other_team,
        )
        marked = [fit_units(declined, o, Weights()) for o in mentors[:2]]
        others = [fit_units(declined, o, Weights()) for o in mentors[2:]]
        if marked and others:
            assert min(marked) > max(others)


def test_explanation_names_the_real_shared_topics_tier_and_team():
    names = {"video": "Video", "fintech": "Industry: fintech", "writing": "LinkedIn writing"}
    mentee = Mentee("a", wants={"video", "fintech", "writing"}, team="x", bookmarks={"m"})
    mentor = Mentor(
        "m",
        offers={"writing", "video", "design"},
        shares={"fintech": 0.9, "video": 0.4, "design": 1.0},
        team="y",
        tier_rank=3,
    )
    text = explain(mentee, mentor, names, {3: "Thought Leader"})
    assert text == (
        "shares about Industry: fintech and Video, and offers LinkedIn writing, "
        "which you want to grow in; Thought Leader; another team; you bookmarked them"
    )
    result = match([mentee], [mentor], topic_names=names, tier_names={3: "Thought Leader"})
    assert result.pairs[0].explanation == text


@settings(max_examples=50, deadline=None)
@given(organisations())
def test_explanations_name_exactly_the_topics_the_pair_shares(org):
    mentees, mentors = org
    mentee_by_id = {e.id: e for e in mentees}
    mentor_by_id = {o.id: o for o in mentors}
    for pair in match(mentees, mentors, topic_names=TOPIC_NAMES).pairs:
        mentee, mentor = mentee_by_id[pair.mentee_id], mentor_by_id[pair.mentor_id]
        shared = {t for t in mentee.wants if t in mentor.offers or mentor.shares_units(t) > 0}
        named = {t for t, name in TOPIC_NAMES.items() if name in pair.explanation}
        assert named == shared
        assert pair.explanation


# ---------------------------------------------------------------------------
# Pruning and bad input


def test_small_organisations_are_never_pruned():
    mentees = [Mentee(i, wants={i % 3}) for i in range(30)]
    mentors = [Mentor(100 + j, offers={0, 1, 2}, open_slots=1) for j in range(10)]
    result = match(mentees, mentors, pruning=Pruning(per_mentee=1, per_slot=0))
    assert not result.pruned
    assert result.candidate_pairs == result.considered_pairs == 300


def test_pruning_keeps_each_mentees_best_mentors_past_the_threshold():
    mentees = [Mentee(i, wants={0, 1}) for i in range(4)]
    # Mentor 100 fits everyone best, then 101, then 102.
    mentors = [
        Mentor(100, offers={0, 1}, shares={0: 1.0}, open_slots=4),
        Mentor(101, offers={0, 1}, open_slots=4),
        Mentor(102, offers={0}, open_slots=4),
    ]
    pruned = match(mentees, mentors, pruning=Pruning(per_mentee=1, per_slot=0, above_pairs=5))
    assert pruned.pruned
    assert (pruned.candidate_pairs, pruned.considered_pairs) == (12, 4)
    assert {p.mentor_id for p in pruned.pairs} == {100}
    assert len(pruned.pairs) == 4


def test_pruning_keeps_each_mentors_best_mentees_per_slot():
    # Everyone's best is 100 (one slot); with only the mentee side kept, 101 would
    # get no candidates and three mentees would stay out.
    mentees = [Mentee(i, wants={0}, tier_rank=i % 2) for i in range(4)]
    mentors = [
        Mentor(100, offers={0}, shares={0: 1.0}, open_slots=1),
        Mentor(101, offers={0}, open_slots=3),
    ]
    mentee_side = Pruning(per_mentee=1, per_slot=0, above_pairs=0)
    both_sides = Pruning(per_mentee=1, per_slot=1, above_pairs=0)
    assert len(match(mentees, mentors, pruning=mentee_side).pairs) == 1
    assert len(match(mentees, mentors, pruning=both_sides).pairs) == 4


@pytest.mark.parametrize(
    "make",
    [
        lambda: Weights(offered=-1),
        lambda: Weights(bookmark=float("nan")),
        lambda: Weights(demonstrated=1e9),
        lambda: Weights(tier_gap_cap=0),
        lambda: Mentor("m", open_slots=-1),
        lambda: Mentor("m", shares={0: 1.5}),
        lambda: Mentee("a", tier_rank=-1),
        lambda: Pruning(per_mentee=0),
        lambda: match([Mentee("a"), Mentee("a")], []),
        lambda: match([], [], mode="fastest"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(make):
    with pytest.raises(ValueError):
        make()


def test_nobody_at_all():
    result = match([], [])
    assert (result.pairs, result.unmatched, result.load) == ((), (), ())
    assert (result.mean_fit, result.matched_share) == (0.0, 0.0)
