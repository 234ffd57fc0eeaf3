"""Tests of governance/tally.py, the pure tally of RULES.md §2. No database, no Django."""

import hashlib
import json
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.tally import (
    METHODS,
    TALLY_MODES,
    Ballot,
    TallyError,
    decimal_string,
    parse_threshold,
    quorum_reached,
    tally,
    threshold_at_least,
    tie_order,
    validate_ballot,
)


def choices(voter_class: str = "members", **counts: int) -> list[Ballot]:
    """choices("workers", yes=2, no=1) -> three yes_no ballots from the workers class."""
    return [Ballot(voter_class, choice=choice) for choice, n in counts.items() for _ in range(n)]


def rankings(*groups: tuple[int, tuple[int, ...]], voter_class: str = "members") -> list[Ballot]:
    """rankings((4, (1, 2)), (2, ())) -> four ballots ranking 1 then 2, and two abstentions."""
    return [Ballot(voter_class, ranking=tuple(order)) for n, order in groups for _ in range(n)]


def approvals(*groups: tuple[int, tuple[int, ...]], voter_class: str = "members") -> list[Ballot]:
    return [Ballot(voter_class, approvals=tuple(ids)) for n, ids in groups for _ in range(n)]


def run(ballots, *, method="yes_no", electorate=None, quorum_percent=0, class_weights=None, **kw):
    """tally() with an electorate of exactly the voters unless one is given."""
    if electorate is None:
        electorate = dict(Counter(ballot.voter_class for ballot in ballots)) or {"members": 1}
    return tally(
        method=method,
        quorum_percent=quorum_percent,
        electorate_by_class=electorate,
        class_weights=class_weights or {},
        ballots=ballots,
        **kw,
    )


def figures(stage: dict, key: str = "counts") -> list[str]:
    """A stage's figures in option order (the order published count sheets print them in)."""
    return list(stage[key].values())


def lots_order(seed: bytes, ids) -> list[int]:
    """The lots written out independently of tally.tie_order: SHA-256(seed ‖ id), ascending."""
    return sorted(ids, key=lambda option: hashlib.sha256(seed + str(option).encode()).digest())


# ================================================================== thresholds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("majority", None),
        ("1/2", Fraction(1, 2)),
        ("2/4", Fraction(1, 2)),
        ("2/3", Fraction(2, 3)),
        ("3/4", Fraction(3, 4)),
        ("1/1", Fraction(1)),
    ],
)
def test_parse_threshold_accepts_majority_and_fractions_from_one_half_to_one(text, expected):
    assert parse_threshold(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3/2", "between 1/2 and 1"),
        ("1/3", "between 1/2 and 1"),
        ("0/1", "between 1/2 and 1"),
        ("0/0", "divides by zero"),
        ("1/0", "divides by zero"),
        ("abc", '"majority" or a fraction'),
        ("", '"majority" or a fraction'),
        ("Majority", '"majority" or a fraction'),
        ("2/3 ", '"majority" or a fraction'),
        ("-1/2", '"majority" or a fraction'),
        ("0.5", '"majority" or a fraction'),
        ("\u0662/\u0663", '"majority" or a fraction'),  # Arabic-Indic digits are not p/q
        (None, '"majority" or a fraction'),
    ],
)
def test_parse_threshold_refuses_anything_else_with_a_clear_message(text, message):
    with pytest.raises(TallyError, match=message):
        parse_threshold(text)


@pytest.mark.parametrize(
    ("text", "minimum", "expected"),
    [
        ("majority", "majority", True),
        ("majority", "1/2", True),  # majority (yes > no) is stricter than 1/2 (yes >= no)
        ("1/2", "majority", False),
        ("2/3", "majority", True),  # any fraction above one half is stricter than majority
        ("majority", "2/3", False),
        ("3/4", "2/3", True),
        ("2/3", "3/4", False),
        ("2/3", "2/3", True),
        ("1/2", "1/2", True),
        ("1/1", "2/3", True),
    ],
)
def test_threshold_at_least_orders_one_half_then_majority_then_larger_fractions(
    text, minimum, expected
):
    assert threshold_at_least(text, minimum) is expected


def test_threshold_at_least_refuses_bad_thresholds():
    with pytest.raises(TallyError):
        threshold_at_least("3/2", "majority")
    with pytest.raises(TallyError):
        threshold_at_least("majority", "1/3")


# ================================================================== quorum


def test_quorum_exactly_at_the_limit_is_met_and_one_below_is_not():
    # 10 % of 50 electors: 5 ballots make 500 >= 500; abstentions count as cast.
    at_limit = run(choices(yes=1, abstain=4), electorate={"members": 50}, quorum_percent=10)
    assert at_limit.quorum_met
    assert at_limit.outcome == "passed"
    assert at_limit.turnout == Fraction(1, 10)

    below = run(choices(yes=4), electorate={"members": 50}, quorum_percent=10)
    assert not below.quorum_met
    assert below.outcome == "no_quorum"  # whatever the votes: 4 yes, 0 no


def test_quorum_with_a_fractional_percentage_is_exact():
    # 12.5 % of 40 electors is exactly 5 ballots.
    assert run(choices(no=5), electorate={"members": 40}, quorum_percent=Fraction(25, 2)).quorum_met
    assert not run(
        choices(no=4), electorate={"members": 40}, quorum_percent=Fraction(25, 2)
    ).quorum_met
    assert quorum_reached(5, 40, Fraction(25, 2))
    assert not quorum_reached(4, 40, Fraction(25, 2))
    # a DecimalField's value is exact too, and is accepted; a float is not (see bad input)
    assert run(choices(no=5), electorate={"members": 40}, quorum_percent=Decimal("12.5")).quorum_met


def test_blocks_count_as_cast_for_the_quorum():
    result = run(
        choices(agree=1, block=2), method="consent", electorate={"members": 10}, quorum_percent=30
    )
    assert result.quorum_met
    assert result.outcome == "rejected"


def test_class_quorum_must_be_met_in_every_class_that_has_electors():
    # given 20 % class quorum: workers 2/10 is exactly 20 %, users 5/30 is below it,
    # although the overall quorum of 10 % (7/40) is met.
    electorate = {"workers": 10, "users": 30, "founders": 0}
    ballots = choices("workers", yes=2) + choices("users", yes=5)

    result = run(ballots, electorate=electorate, quorum_percent=10, class_quorum_percent=20)

    assert result.outcome == "no_quorum"
    assert not result.quorum_met
    assert result.by_class["workers"]["quorum_met"] is True
    assert result.by_class["users"]["quorum_met"] is False
    assert result.by_class["founders"]["quorum_met"] is None  # no electors: not counted

    # when one more user votes, 6/30 = 20 %, every class with electors has its quorum
    ballots += choices("users", abstain=1)
    result = run(ballots, electorate=electorate, quorum_percent=10, class_quorum_percent=20)
    assert result.quorum_met
    assert result.outcome == "passed"


def test_no_quorum_elects_nobody():
    approval = run(
        approvals((3, (1,))),
        method="approval",
        options=[1, 2],
        electorate={"members": 10},
        quorum_percent=50,
    )
    ranked = run(
        rankings((3, (1,))),
        method="ranked",
        options=[1, 2],
        electorate={"members": 10},
        quorum_percent=50,
    )
    for result in (approval, ranked):
        assert result.outcome == "no_quorum"
        assert result.winners == []
        assert result.rounds == []
        assert result.totals == {"1": 3, "2": 0}


# ================================================================== yes_no, member mode


@pytest.mark.parametrize(
    ("yes", "no", "threshold", "outcome"),
    [
        (3, 2, "majority", "passed"),
        (2, 2, "majority", "rejected"),  # a tie does not pass "majority"...
        (2, 2, "1/2", "passed"),  # ...but passes "1/2"
        (0, 0, "majority", "rejected"),
        (0, 0, "1/2", "rejected"),  # a fraction needs yes + no > 0
        (6, 3, "2/3", "passed"),  # 6 >= 2/3 · 9
        (5, 3, "2/3", "rejected"),  # 5 < 2/3 · 8
        (4, 0, "1/1", "passed"),
        (4, 1, "1/1", "rejected"),
    ],
)
def test_yes_no_in_member_mode(yes, no, threshold, outcome):
    result = run(choices(yes=yes, no=no, abstain=3), threshold=threshold)
    assert result.outcome == outcome
    assert result.totals == {"yes": yes, "no": no, "abstain": 3}
    assert result.weighted_yes is None
    assert result.winners == []


# ================================================================== consent


@pytest.mark.parametrize(
    ("counts", "threshold", "outcome"),
    [
        ({"agree": 3, "disagree": 1}, "majority", "passed"),
        ({"agree": 3, "disagree": 1, "block": 1}, "majority", "rejected"),  # one block suffices
        ({"agree": 2, "disagree": 2}, "majority", "rejected"),
        ({"agree": 2, "disagree": 2}, "1/2", "passed"),
        ({"agree": 2, "disagree": 1}, "2/3", "passed"),
        ({"agree": 9, "disagree": 0, "block": 1}, "1/2", "rejected"),
    ],
)
def test_consent_in_member_mode(counts, threshold, outcome):
    result = run(choices(abstain=2, **counts), method="consent", threshold=threshold)
    assert result.outcome == outcome
    assert result.totals == {
        "agree": counts.get("agree", 0),
        "abstain": 2,
        "disagree": counts.get("disagree", 0),
        "block": counts.get("block", 0),
    }


@pytest.mark.parametrize("mode", ["class_weighted", "concurrent"])
def test_a_block_anywhere_fails_consent_in_every_mode(mode):
    ballots = choices("workers", agree=5) + choices("users", agree=5, block=1)
    result = run(
        ballots, method="consent", tally_mode=mode, class_weights={"workers": 1, "users": 1}
    )
    assert result.outcome == "rejected"
    assert result.by_class["users"]["totals"]["block"] == 1


# ================================================================== class_weighted mode


WEIGHTS = {"workers": 3, "users": 1, "contributors": 2}


def test_class_weighted_renormalises_over_the_classes_that_voted_yes_or_no():
    # given workers (weight 3) split 2 yes / 2 no -> share 1/2; users (weight 1) 3 yes / 1 no
    # -> share 3/4; contributors (weight 2) only abstain, so they are left out and
    # W = 3 + 1 = 4: weighted_yes = (3 · 1/2 + 1 · 3/4) / 4 = 9/16.
    # (Without renormalising, W = 6 would give 3/8 and the proposal would fail.)
    ballots = (
        choices("workers", yes=2, no=2, abstain=1)
        + choices("users", yes=3, no=1)
        + choices("contributors", abstain=2)
    )

    result = run(ballots, tally_mode="class_weighted", class_weights=WEIGHTS)

    assert result.weighted_yes == Fraction(9, 16)
    assert result.outcome == "passed"  # 9/16 > 1/2
    assert result.as_dict()["weighted_yes"] == "0.562500"
    assert result.as_dict()["weighted_yes_exact"] == "9/16"
    assert result.by_class["workers"]["share"] == Fraction(1, 2)
    assert result.by_class["contributors"]["share"] is None
    assert result.as_dict()["by_class"]["users"]["share"] == "0.750000"
    rejected = run(ballots, tally_mode="class_weighted", class_weights=WEIGHTS, threshold="2/3")
    assert rejected.outcome == "rejected"  # 9/16 < 2/3


def test_class_weighted_exactly_one_half_passes_one_half_but_not_majority():
    # workers 1 yes -> share 1; users 3 no -> share 0; equal weights: weighted_yes = 1/2.
    # In member mode the same ballots are 1 yes against 3 no.
    ballots = choices("workers", yes=1) + choices("users", no=3)
    weights = {"workers": 1, "users": 1}

    majority = run(ballots, tally_mode="class_weighted", class_weights=weights)
    half = run(ballots, tally_mode="class_weighted", class_weights=weights, threshold="1/2")

    assert majority.weighted_yes == half.weighted_yes == Fraction(1, 2)
    assert majority.outcome == "rejected"
    assert half.outcome == "passed"
    assert run(ballots, threshold="1/2").outcome == "rejected"  # member mode: 1 against 3


def test_class_weighted_without_any_yes_or_no_is_rejected_with_a_null_weighted_yes():
    ballots = choices("workers", abstain=3) + choices("users", abstain=1)
    result = run(ballots, tally_mode="class_weighted", class_weights=WEIGHTS)
    assert result.outcome == "rejected"
    assert result.weighted_yes is None
    assert result.as_dict()["weighted_yes"] is None


def test_class_weighted_needs_a_positive_weight_for_every_class():
    ballots = choices("workers", yes=1) + choices("users", no=1)
    with pytest.raises(TallyError, match="'users' needs a positive integer vote weight"):
        run(ballots, tally_mode="class_weighted", class_weights={"workers": 1})
    with pytest.raises(TallyError, match="positive integer vote weight"):
        run(ballots, tally_mode="class_weighted", class_weights={"workers": 1, "users": 0})


# ================================================================== concurrent mode


def test_concurrent_fails_when_a_class_with_electors_has_no_yes_or_no_votes():
    electorate = {"workers": 5, "users": 5, "contributors": 3, "founders": 0}
    ballots = (
        choices("workers", yes=3, no=1)
        + choices("users", yes=2, no=1)
        + choices("contributors", abstain=2)
    )

    result = run(ballots, electorate=electorate, tally_mode="concurrent")

    assert result.outcome == "rejected"
    assert result.by_class["workers"]["passed"] is True
    assert result.by_class["users"]["passed"] is True
    assert result.by_class["contributors"]["passed"] is False
    assert result.by_class["founders"]["passed"] is None  # no electors: not asked

    ballots += choices("contributors", yes=1)
    assert run(ballots, electorate=electorate, tally_mode="concurrent").outcome == "passed"


def test_concurrent_applies_the_threshold_inside_each_class():
    ballots = choices("workers", yes=2, no=1) + choices("users", yes=3, no=2)
    result = run(ballots, tally_mode="concurrent", threshold="2/3")
    assert result.by_class["workers"]["passed"] is True  # 2 >= 2/3 · 3
    assert result.by_class["users"]["passed"] is False  # 3 < 2/3 · 5
    assert result.outcome == "rejected"
    # while member mode sees 5 yes / 3 no, short of 2/3 as well, and majority passes both
    assert run(ballots, tally_mode="concurrent").outcome == "passed"


# ================================================================== approval


def test_approval_elects_the_seats_options_with_the_most_approvals():
    ballots = approvals((1, (1, 2)), (1, (1,)), (1, (2, 3)), (1, (1, 3)), (1, (2,)), (1, ()))

    result = run(ballots, method="approval", options=[1, 2, 3, 4], seats=2)

    assert result.totals == {"1": 3, "2": 3, "3": 2, "4": 0}
    assert result.winners == [1, 2]  # 1 and 2 tie but both win: no seat is decided by the tie
    assert result.outcome == "passed"
    assert not result.tie_break_used
    assert result.ballots_cast == 6  # the empty set is an abstention, cast all the same
    assert result.rounds[0]["counts"] == {"1": "3", "2": "3", "3": "2", "4": "0"}
    assert result.rounds[0]["elected"] == [1, 2]


def test_an_option_without_approvals_never_wins_even_with_seats_left():
    ballots = approvals((2, (1,)), (1, ()))
    result = run(ballots, method="approval", options=[1, 2, 3], seats=2)
    assert result.winners == [1]
    assert result.outcome == "passed"

    nobody = run(approvals((3, ())), method="approval", options=[1, 2, 3], seats=2)
    assert nobody.winners == []
    assert nobody.outcome == "rejected"


def test_a_tie_for_the_last_approval_seat_is_decided_by_lots():
    seed = b"approval-seed"
    ballots = approvals((2, (1,)), (1, (2,)), (1, (3,)), (1, (4,)))

    result = run(ballots, method="approval", options=[1, 2, 3, 4], seats=2, tie_seed=seed)

    order = lots_order(seed, [2, 3, 4])
    assert result.winners == [1, order[-1]]  # the last in the lots order wins
    assert result.tie_break_used
    assert result.rounds[0]["tie_break"] == {
        "among": [2, 3, 4],
        "decided_by": "lots",
        "lots_order": order,
    }


@pytest.mark.parametrize(("method", "make"), [("approval", approvals), ("ranked", rankings)])
def test_approval_and_ranked_are_one_member_one_vote_whatever_the_tally_mode(method, make):
    ballots = make((1, (1,)), voter_class="workers") + make((2, (2,)), voter_class="users")
    weights = {"workers": 100, "users": 1}
    results = [
        run(ballots, method=method, options=[1, 2], tally_mode=mode, class_weights=weights)
        for mode in TALLY_MODES
    ]
    assert all(result.winners == [2] for result in results)
    assert results[0].as_dict() == results[1].as_dict() == results[2].as_dict()
    assert results[1].by_class["workers"]["totals"] == {"1": 1, "2": 0}


# ================================================================== ranked: instant-runoff


def test_instant_runoff_worked_example_tennessee():
    # Wikipedia, "Instant-runoff voting", the Tennessee capital example: 100 voters, 42 % Memphis,
    # 26 % Nashville, 15 % Chattanooga, 17 % Knoxville; Chattanooga then Nashville are eliminated
    # and Knoxville wins with 58 % (https://en.wikipedia.org/wiki/Instant-runoff_voting).
    memphis, nashville, chattanooga, knoxville = 1, 2, 3, 4
    ballots = rankings(
        (42, (memphis, nashville, chattanooga, knoxville)),
        (26, (nashville, chattanooga, knoxville, memphis)),
        (15, (chattanooga, knoxville, nashville, memphis)),
        (17, (knoxville, chattanooga, nashville, memphis)),
    )

    result = run(ballots, method="ranked", options=[1, 2, 3, 4])

    assert result.winners == [knoxville]
    assert result.outcome == "passed"
    assert result.totals == {"1": 42, "2": 26, "3": 15, "4": 17}
    assert [stage["counts"] for stage in result.rounds] == [
        {"1": "42", "2": "26", "3": "15", "4": "17"},
        {"1": "42", "2": "26", "3": "0", "4": "32"},
        {"1": "42", "2": "0", "3": "0", "4": "58"},
    ]
    assert [stage["eliminated"] for stage in result.rounds] == [[], [chattanooga], [nashville]]
    assert [stage["elected"] for stage in result.rounds] == [[], [], [knoxville]]
    assert result.rounds[2]["transfers"] == {"1": "0", "2": "-26", "4": "26"}
    assert result.rounds[0]["quota"] is None
    assert not result.tie_break_used


def test_instant_runoff_wins_on_a_majority_of_the_continuing_votes():
    # 1 has 4 of 9 first preferences; after 3 is excluded the 2 ballots ranking only 3 are
    # exhausted, and 4 of the 7 votes still held is a majority.
    ballots = rankings((4, (1,)), (3, (2,)), (2, (3,)))
    result = run(ballots, method="ranked", options=[1, 2, 3])
    assert result.winners == [1]
    assert result.rounds[-1]["continuing_votes"] == "7"
    assert result.rounds[-1]["non_transferable_total"] == "2"


# ================================================================== ranked: Scottish STV


def test_scottish_stv_wikipedia_food_at_a_party():
    # Wikipedia, "Single transferable vote", section "Example" (the 20-guest food election, as
    # in the article's 2010-2020 revisions; mirrored at
    # https://www.liquisearch.com/single_transferable_vote/example): 5 foods, 3 to choose, Droop
    # quota 20/(3+1) + 1 = 6. Chocolate (12) is elected and its surplus of 6 goes half to
    # Strawberries (8 ballots -> +4) and half to Sweets (4 ballots -> +2); Pears (2) are
    # excluded and Oranges reach exactly 6; Sweets (3) are excluded and Strawberries (5) fill
    # the last seat. Winners: Chocolate, Oranges, Strawberries.
    oranges, pears, chocolate, strawberries, sweets = 1, 2, 3, 4, 5
    ballots = rankings(
        (4, (oranges,)),
        (2, (pears, oranges)),
        (8, (chocolate, strawberries)),
        (4, (chocolate, sweets)),
        (1, (strawberries,)),
        (1, (sweets,)),
    )

    result = run(ballots, method="ranked", options=[1, 2, 3, 4, 5], seats=3)

    assert result.winners == [chocolate, oranges, strawberries]
    assert result.outcome == "passed"
    stages = result.rounds
    assert stages[0]["quota"] == "6.00000"
    assert figures(stages[0]) == ["4.00000", "2.00000", "12.00000", "1.00000", "1.00000"]
    assert stages[0]["elected"] == [chocolate]
    assert stages[1]["action"] == "surplus"
    assert stages[1]["transfer_values"] == {"1.00000": "0.50000"}
    moved = figures(stages[1], "transfers")  # oranges, pears, chocolate, strawberries, sweets
    assert moved == ["0.00000", "0.00000", "-6.00000", "4.00000", "2.00000"]
    assert figures(stages[1]) == ["4.00000", "2.00000", "6.00000", "5.00000", "3.00000"]
    assert stages[2]["eliminated"] == [pears]
    assert stages[2]["counts"]["1"] == "6.00000"
    assert stages[2]["elected"] == [oranges]
    assert stages[3]["eliminated"] == [sweets]
    assert stages[3]["elected"] == [strawberries]
    assert stages[3]["elected_without_quota"] == [strawberries]  # rule 52: last vacancy
    assert stages[3]["non_transferable_total"] == "3.00000"
    assert len(stages) == 4


# The Highland Council, election of 4 May 2017, Ward 7 Tain and Easter Ross (3 seats, 6
# candidates): the council's official "Candidate Votes Per Stage Report"
# (CandidateVotesPerStage_Report_Ward_7_-_Tain_and_Easter_Ross_05052017_153623.pdf, mirrored
# at https://docslib.org/doc/10944189) gives valid votes 3,484, quota 872 and the figures of
# stages 1-3 to five decimals; Wikipedia's "Tain and Easter Ross (ward)" gives every stage in
# whole votes: 6 stages, Robertson elected at stage 3, Louden at 4, Stone at 6.
# The sources publish the stage totals, not the preference profile, so the ballots below are a
# profile we built to reproduce every published transfer (e.g. 25 of Skinner's 139 papers go
# to Ferguson at stage 2); what is tested is the counting: quota, order of stages, inclusive
# transfers at values truncated to 5 decimals, who is elected when.
FERGUSON, LOUDEN, RHIND, ROBERTSON, SKINNER, STONE = 1, 2, 3, 4, 5, 6
TAIN_AND_EASTER_ROSS = rankings(
    (20, (SKINNER,)),
    (25, (SKINNER, FERGUSON)),
    (16, (SKINNER, LOUDEN)),
    (18, (SKINNER, RHIND)),
    (43, (SKINNER, ROBERTSON)),
    (17, (SKINNER, STONE)),
    (93, (FERGUSON,)),
    (23, (FERGUSON, LOUDEN)),
    (135, (FERGUSON, RHIND)),
    (55, (FERGUSON, ROBERTSON)),
    (97, (FERGUSON, ROBERTSON, STONE)),
    (155, (FERGUSON, STONE)),
    (120, (ROBERTSON, LOUDEN)),
    (415, (ROBERTSON, RHIND)),
    (173, (ROBERTSON, STONE)),
    (431, (LOUDEN,)),
    (50, (LOUDEN, RHIND)),
    (350, (LOUDEN, STONE)),
    (88, (RHIND,)),
    (481, (RHIND, STONE)),
    (679, (STONE,)),
)


def test_scottish_stv_reproduces_the_published_count_of_tain_and_easter_ross_2017():
    result = run(TAIN_AND_EASTER_ROSS, method="ranked", options=[1, 2, 3, 4, 5, 6], seats=3)
    stages = result.rounds

    def official(*votes: int) -> list[str]:  # the report prints every figure to 5 decimals
        return [f"{n}.00000" for n in votes]

    assert result.ballots_cast == 3484
    assert stages[0]["quota"] == "872.00000"
    # The official figures, in the report's order: Ferguson, Louden, Rhind, Robertson,
    # Skinner, Stone.
    assert figures(stages[0]) == official(558, 831, 569, 708, 139, 679)
    assert stages[1]["eliminated"] == [SKINNER]
    assert figures(stages[1], "transfers") == official(25, 16, 18, 43, -139, 17)
    assert stages[1]["non_transferable"] == "20.00000"
    assert figures(stages[1]) == official(583, 847, 587, 751, 0, 696)
    assert stages[2]["eliminated"] == [FERGUSON]
    # (Skinner, excluded, receives nothing any more)
    assert figures(stages[2], "transfers") == official(-583, 23, 135, 152, 155)
    assert figures(stages[2]) == official(0, 870, 722, 903, 0, 851)
    assert stages[2]["elected"] == [ROBERTSON]
    # Stages 4-6 in whole votes, as Wikipedia prints them: Louden 874; Rhind 736, 736;
    # Stone 860, 861, 1,342.
    whole = [{int(k): int(Fraction(v)) for k, v in stage["counts"].items()} for stage in stages]
    assert (whole[3][LOUDEN], whole[3][RHIND], whole[3][STONE]) == (874, 736, 860)
    assert (whole[4][RHIND], whole[4][STONE]) == (736, 861)
    assert whole[5][STONE] == 1342
    actions = [stage["action"] for stage in stages]
    assert actions == ["first_preferences"] + ["exclusion"] * 2 + ["surplus"] * 2 + ["exclusion"]
    assert [stage["elected"] for stage in stages] == [[], [], [ROBERTSON], [LOUDEN], [], [STONE]]
    assert result.winners == [ROBERTSON, LOUDEN, STONE]
    # Rule 48(3): Robertson's surplus of 31 over 903 votes is 0.0343300... -> 0.03433 for each
    # paper; at stage 5 Louden's papers of value 1 and of value 0.03433 get their own values.
    assert stages[3]["transfer_values"] == {"1.00000": "0.03433"}
    assert stages[3]["transfers"][str(ROBERTSON)] == "-31.00000"
    assert stages[3]["transfers"][str(LOUDEN)] == "4.11960"  # 120 papers × 0.03433
    assert stages[4]["transfer_values"] == {"1.00000": "0.00242", "0.03433": "0.00008"}
    assert not result.tie_break_used
    for stage in stages:  # no vote is created or lost: counts + non-transferable = valid votes
        held = sum(Fraction(value) for value in stage["counts"].values())
        assert held + Fraction(stage["non_transferable_total"]) == 3484


def test_scottish_stv_transfers_the_largest_surplus_first_with_truncated_values():
    # The example ballots of OpaVote's Scottish STV explanation (also in the VoteIT/STVPoll
    # tests): 28 Alice>Bob>Chris, 26 Bob>Alice>Chris, 3 Chris, 2 Don, 1 Eric; 3 seats. The
    # figures below are worked out by hand from rules 46-49 of the Order: quota 60/4 + 1 = 16;
    # Alice's surplus 12 (larger than Bob's 10) goes first, skipping Bob (already elected), at
    # 12/28 = 0.428571... -> 0.42857 a paper: Chris gets 28 × 0.42857 = 11.99996 and
    # 0.00004 is lost to truncation; then Bob's 10 at 10/26 -> 0.38461: 26 × 0.38461 = 9.99986,
    # which brings Chris to 24.99982, over the quota.
    alice, bob, chris, don, eric = 1, 2, 3, 4, 5
    ballots = rankings(
        (28, (alice, bob, chris)),
        (26, (bob, alice, chris)),
        (3, (chris,)),
        (2, (don,)),
        (1, (eric,)),
    )

    result = run(ballots, method="ranked", options=[1, 2, 3, 4, 5], seats=3)

    assert result.winners == [alice, bob, chris]
    first, alices, bobs = result.rounds
    assert first["elected"] == [alice, bob]
    assert (alices["option"], bobs["option"]) == (alice, bob)
    assert alices["transfer_values"] == {"1.00000": "0.42857"}
    assert alices["transfers"][str(chris)] == "11.99996"
    assert alices["non_transferable"] == "0.00004"
    assert alices["counts"][str(chris)] == "14.99996"
    assert bobs["transfer_values"] == {"1.00000": "0.38461"}
    assert bobs["counts"][str(chris)] == "24.99982"
    assert bobs["elected"] == [chris]
    assert bobs["non_transferable_total"] == "0.00018"


def test_ranked_empty_rankings_are_abstentions():
    # The food election with 5 more guests who rank nothing: cast, counted for the quorum,
    # but not valid papers, so the quota stays 6 and the result is the same.
    food = rankings((4, (1,)), (2, (2, 1)), (8, (3, 4)), (4, (3, 5)), (1, (4,)), (1, (5,)))
    abstentions = rankings((5, ()))

    result = run(food + abstentions, method="ranked", options=[1, 2, 3, 4, 5], seats=3)

    assert result.ballots_cast == 25
    assert result.rounds[0]["quota"] == "6.00000"
    assert result.winners == [3, 1, 4]
    assert sum(result.totals.values()) == 20

    nobody = run(abstentions, method="ranked", options=[1, 2], seats=1)
    assert nobody.outcome == "rejected"
    assert nobody.winners == []


def test_ranked_fills_every_seat_when_options_and_seats_are_as_many():
    result = run(rankings((3, (1,)), (1, (2,))), method="ranked", options=[1, 2, 3], seats=3)
    assert sorted(result.winners) == [1, 2, 3]
    assert result.rounds[0]["elected_without_quota"] == [2, 3]


# ================================================================== ties


def test_tie_order_orders_by_sha256_of_seed_and_option_id():
    seed = bytes.fromhex("00112233445566778899aabbccddeeff")
    assert tie_order(seed, [7, 11, 42, 3]) == lots_order(seed, [7, 11, 42, 3])
    assert tie_order(seed, [3, 42, 11, 7]) == tie_order(seed, [7, 11, 42, 3])
    # the seed decides: a fixed seed gives a fixed order, here written out
    assert tie_order(b"seed-1", [1, 2, 3]) == lots_order(b"seed-1", [1, 2, 3])


def test_an_elimination_tie_goes_to_the_latest_earlier_round_where_the_votes_differ():
    # Stage 1: A 6, B 3, C 2, D 1 -> D is excluded and its paper goes to C.
    # Stage 2: A 6, B 3, C 3 -> B and C tie for the exclusion; at stage 1 C had fewer (2 < 3),
    # so C is excluded (not decided by lots). Its papers give A 9 of 12: elected.
    a, b, c, d = 1, 2, 3, 4
    ballots = rankings((6, (a,)), (3, (b,)), (2, (c, a)), (1, (d, c, a)))

    result = run(ballots, method="ranked", options=[1, 2, 3, 4], tie_seed=b"unused")

    assert result.winners == [a]
    assert [stage["eliminated"] for stage in result.rounds] == [[], [d], [c]]
    assert result.rounds[2]["tie_break"] == {
        "among": [b, c],
        "decided_by": "earlier_round",
        "round": 1,
    }
    assert result.tie_break_used


@pytest.mark.parametrize("seed", [b"", b"seed-1", b"seed-2", b"seed-3"])
def test_a_tie_equal_at_every_round_is_decided_by_lots(seed):
    ballots = rankings((1, (1,)), (1, (2,)))

    result = run(ballots, method="ranked", options=[1, 2], tie_seed=seed)

    loser, winner = lots_order(seed, [1, 2])
    assert result.winners == [winner]
    assert result.rounds[1]["eliminated"] == [loser]
    assert result.rounds[1]["tie_break"] == {
        "among": [1, 2],
        "decided_by": "lots",
        "lots_order": [loser, winner],
    }
    assert result.tie_break_used


def test_lots_for_the_order_of_equal_surpluses_can_decide_the_last_seat():
    # 12 papers, 3 seats, quota 4: 1 and 2 both have 5 (surplus 1). Never unequal before, so
    # lots say whose surplus goes first (rule 49(3)); it makes 3 or 4 lead (2 against 1) at the
    # next stage, and after the second surplus 3 and 4 tie at 2 for the exclusion: the one that
    # was behind at the latest earlier stage is excluded.
    seed = b"surplus-order"
    ballots = rankings((5, (1, 3)), (5, (2, 4)), (1, (3,)), (1, (4,)))

    result = run(ballots, method="ranked", options=[1, 2, 3, 4], seats=3, tie_seed=seed)

    first = lots_order(seed, [1, 2])[-1]
    follower_of = {1: 3, 2: 4}
    assert result.rounds[1]["option"] == first
    assert result.rounds[1]["tie_break"] == {
        "among": [1, 2],
        "decided_by": "lots",
        "first": first,
    }
    assert result.rounds[1]["transfer_values"] == {"1.00000": "0.20000"}
    assert result.rounds[3]["tie_break"]["decided_by"] == "earlier_round"
    assert result.winners == [1, 2, follower_of[first]]


# ================================================================== bad input


@pytest.mark.parametrize(
    ("method", "ballot", "options", "message"),
    [
        ("yes_no", Ballot("m", choice="maybe"), (), "one of yes, no, abstain"),
        ("yes_no", Ballot("m", choice="agree"), (), "one of yes, no, abstain"),
        ("yes_no", Ballot("m"), (), "one of yes, no, abstain"),
        ("consent", Ballot("m", choice="yes"), (), "one of agree, abstain, disagree, block"),
        ("yes_no", Ballot("m", choice="yes", ranking=(1,)), (), "choice only"),
        ("ranked", Ballot("m", ranking=(1, 2, 1)), (1, 2, 3), "name an option twice: \\[1\\]"),
        ("ranked", Ballot("m", ranking=(1, 9)), (1, 2, 3), "not on the ballot: \\[9\\]"),
        ("ranked", Ballot("m", choice="yes"), (1, 2), "holds its ranking only"),
        ("approval", Ballot("m", approvals=(1, 2, 3, 4)), (1, 2, 3), "4 approvals for 3 options"),
        ("approval", Ballot("m", approvals=(2, 2)), (1, 2, 3), "name an option twice"),
        ("approval", Ballot("m", approvals=(5,)), (1, 2, 3), "not on the ballot: \\[5\\]"),
        ("approval", Ballot("m", approvals=(1,), ranking=(1,)), (1,), "holds its approvals only"),
        ("approval", Ballot("m", approvals=(True,)), (1, 2), "not on the ballot"),
        ("yes_no", Ballot("", choice="yes"), (), "stakeholder class"),
        ("plurality", Ballot("m", choice="yes"), (), "Unknown method"),
    ],
)
def test_validate_ballot_refuses_malformed_ballots(method, ballot, options, message):
    with pytest.raises(TallyError, match=message):
        validate_ballot(method, ballot, options)


def test_ballot_lists_become_tuples():
    ballot = Ballot("m", approvals=[2, 1], ranking=[])
    assert ballot.approvals == (2, 1)
    assert ballot.ranking == ()
    hash(ballot)


def test_validate_ballot_accepts_well_formed_ballots():
    validate_ballot("yes_no", Ballot("m", choice="abstain"))
    validate_ballot("consent", Ballot("m", choice="block"))
    validate_ballot("approval", Ballot("m", approvals=()), (1, 2))
    validate_ballot("approval", Ballot("m", approvals=(2, 1)), (1, 2))
    validate_ballot("ranked", Ballot("m", ranking=()), (1, 2))
    validate_ballot("ranked", Ballot("m", ranking=(2,)), (1, 2))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ballots": choices("strangers", yes=1)}, "not in the electorate"),
        ({"ballots": choices(yes=3)}, "cast 3 ballots for 2 electors"),
        ({"electorate_by_class": {"members": 0}}, "electorate is empty"),
        ({"electorate_by_class": {"members": -1}}, "integer >= 0"),
        ({"quorum_percent": 10.0}, "never a float"),
        ({"quorum_percent": 101}, "between 0 and 100"),
        ({"class_quorum_percent": 0.5}, "never a float"),
        ({"tally_mode": "weighted"}, "Unknown tally mode"),
        ({"threshold": "3/2"}, "between 1/2 and 1"),
        ({"ballots": choices(choice=1)}, "one of yes, no, abstain"),
        ({"tie_seed": "text"}, "bytes"),
    ],
)
def test_tally_refuses_invalid_inputs(overrides, message):
    arguments = {
        "method": "yes_no",
        "quorum_percent": 10,
        "electorate_by_class": {"members": 2},
        "class_weights": {},
        "ballots": choices(yes=1),
    } | overrides
    with pytest.raises(TallyError, match=message):
        tally(**arguments)


@pytest.mark.parametrize(
    ("options", "seats", "message"),
    [
        ((), 1, "needs options"),
        ((1, 1, 2), 1, "repeat"),
        ((1, "2"), 1, "integers"),
        ((1, 2), 0, "seats must be between 1 and the number of options"),
        ((1, 2), 3, "seats must be between 1 and the number of options"),
    ],
)
def test_tally_refuses_bad_options_and_seats(options, seats, message):
    with pytest.raises(TallyError, match=message):
        run(rankings((1, ())), method="ranked", options=options, seats=seats)


# ================================================================== presentation


def test_as_dict_is_json_friendly_and_truncates_to_six_decimals():
    result = run(choices(yes=2), electorate={"members": 3})
    shown = result.as_dict()
    assert shown["turnout"] == "0.666666"  # 2/3 truncated, not rounded
    assert shown["turnout_exact"] == "2/3"
    assert shown["outcome"] == "passed"
    assert shown["by_class"]["members"] == {
        "electorate": 3,
        "cast": 2,
        "totals": {"yes": 2, "no": 0, "abstain": 0},
        "quorum_met": None,
        "share": "1.000000",
        "passed": None,
    }
    json.dumps(shown)
    ranked = run(TAIN_AND_EASTER_ROSS, method="ranked", options=[1, 2, 3, 4, 5, 6], seats=3)
    assert json.loads(json.dumps(ranked.as_dict()))["rounds"][3]["transfer_values"] == {
        "1.00000": "0.03433"
    }


def test_decimal_string_truncates_toward_zero():
    assert decimal_string(Fraction(9, 16)) == "0.562500"
    assert decimal_string(Fraction(2, 3), 5) == "0.66666"
    assert decimal_string(Fraction(-2, 3), 2) == "-0.66"
    assert decimal_string(Fraction(-1, 1000), 2) == "0.00"
    assert decimal_string(Fraction(58), 0) == "58"


# ================================================================== properties


CLASSES = ("workers", "users", "contributors")


@st.composite
def elections(draw, methods=METHODS):
    """Any valid election: method, mode, threshold, options, seats and ballots."""
    method = draw(st.sampled_from(methods))
    options = list(range(1, draw(st.integers(1, 5)) + 1))
    if method in ("yes_no", "consent"):
        allowed = (
            ("yes", "no", "abstain")
            if method == "yes_no"
            else ("agree", "abstain", "disagree", "block")
        )
        make = st.builds(Ballot, st.sampled_from(CLASSES), choice=st.sampled_from(allowed))
    else:
        picks = st.lists(st.sampled_from(options), unique=True, max_size=len(options))
        field = "approvals" if method == "approval" else "ranking"
        make = st.builds(
            lambda slug, ids: Ballot(slug, **{field: tuple(ids)}), st.sampled_from(CLASSES), picks
        )
    ballots = draw(st.lists(make, max_size=25))
    cast = Counter(ballot.voter_class for ballot in ballots)
    electorate = {slug: cast[slug] + draw(st.integers(0, 4)) for slug in CLASSES}
    if sum(electorate.values()) == 0:
        electorate["workers"] = 1
    return {
        "method": method,
        "tally_mode": draw(st.sampled_from(TALLY_MODES)),
        "threshold": draw(st.sampled_from(["majority", "1/2", "2/3", "1/1"])),
        "quorum_percent": draw(st.sampled_from([0, 10, Fraction(100, 3), 50])),
        "class_quorum_percent": draw(st.sampled_from([None, 0, 20])),
        "electorate_by_class": electorate,
        "class_weights": {slug: draw(st.integers(1, 4)) for slug in CLASSES},
        "ballots": ballots,
        "options": options,
        "seats": draw(st.integers(1, len(options))),
        "tie_seed": draw(st.binary(max_size=8)),
    }


@settings(deadline=None)
@given(election=elections(), data=st.data())
def test_the_order_of_the_ballots_never_changes_the_result(election, data):
    shuffled = data.draw(st.permutations(election["ballots"]))
    assert tally(**election).as_dict() == tally(**(election | {"ballots": shuffled})).as_dict()


@settings(deadline=None)
@given(election=elections(methods=("yes_no",)), slug=st.sampled_from(CLASSES))
def test_an_abstention_never_changes_a_yes_no_outcome_once_quorum_is_met(election, slug):
    electorate = election["electorate_by_class"] | {
        slug: election["electorate_by_class"][slug] + 1  # room for one more voter
    }
    before = tally(**(election | {"electorate_by_class": electorate}))
    after = tally(
        **(
            election
            | {
                "electorate_by_class": electorate,
                "ballots": election["ballots"] + [Ballot(slug, choice="abstain")],
            }
        )
    )
    if before.quorum_met:
        assert after.quorum_met
        assert after.outcome == before.outcome
        assert after.weighted_yes == before.weighted_yes


@settings(deadline=None)
@given(
    method=st.sampled_from(["yes_no", "consent"]),
    votes_per_class=st.integers(0, 6),
    classes=st.integers(1, 4),
    weight=st.integers(1, 5),
    threshold=st.sampled_from(["majority", "1/2", "3/5", "2/3", "1/1"]),
    data=st.data(),
)
def test_class_weighted_equals_member_mode_with_equal_weights_and_equal_votes_per_class(
    method, votes_per_class, classes, weight, threshold, data
):
    for_, against = ("yes", "no") if method == "yes_no" else ("agree", "disagree")
    slugs = [f"class-{index}" for index in range(classes)]
    ballots = []
    for slug in slugs:
        yes = data.draw(st.integers(0, votes_per_class))
        ballots += choices(slug, **{for_: yes, against: votes_per_class - yes})
        ballots += choices(slug, abstain=data.draw(st.integers(0, 3)))
    common = {
        "method": method,
        "threshold": threshold,
        "quorum_percent": 0,
        "electorate_by_class": {slug: 10 for slug in slugs},
        "class_weights": dict.fromkeys(slugs, weight),
        "ballots": ballots,
    }

    member = tally(**common, tally_mode="member")
    weighted = tally(**common, tally_mode="class_weighted")

    assert weighted.outcome == member.outcome
    in_favour = member.totals[for_]
    if votes_per_class:
        assert weighted.weighted_yes == Fraction(in_favour, votes_per_class * classes)
    else:
        assert weighted.weighted_yes is None


@settings(deadline=None)
@given(election=elections(methods=("ranked",)))
def test_a_ranked_count_conserves_votes_and_fills_the_seats(election):
    election |= {"quorum_percent": 0, "class_quorum_percent": None}
    result = tally(**election)
    valid = sum(1 for ballot in election["ballots"] if ballot.ranking)
    if not valid:
        assert result.winners == []
        return
    assert len(result.winners) == election["seats"]
    assert len(set(result.winners)) == len(result.winners)
    for stage in result.rounds:
        held = sum(Fraction(value) for value in stage["counts"].values())
        assert held + Fraction(stage["non_transferable_total"]) == valid
