"""patronage.allocation: RULES §4 steps 1–7 and 9, worked by hand and as properties.

Every figure below is worked out in the comment beside it from the rules, not read back from
the code.
"""

import ast
import math
import random
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patronage.allocation import (
    Inputs,
    MemberIn,
    PaymentIn,
    Policy,
    canonical_json,
    distribute,
    inputs_hash,
    interest_terms,
    nl365_days,
    uncovered_losses,
    validate_policy,
)

Y = 2025
START, END = date(Y, 1, 1), date(Y, 12, 31)

POLICY = Policy(capital_interest_bp=300, interest_cap_bp=5000, reserves_bp=3000,
                commons_bp=1000, patronage_bp=6000, cash_bp=3000,
                class_shares_bp={"workers": 5000, "users": 3000, "contributors": 2000})


def inputs(*, surplus, members, payments=(), contributions=None, losses=0, policy=POLICY,
           start=START, end=END):
    return Inputs(period_start=start, period_end=end, surplus_minor=surplus,
                  uncovered_losses_minor=losses, policy=policy, members=tuple(members),
                  payments=tuple(payments), contributions=contributions or {})


# The full example, S = 1,000,000 minor units (10,000.00 EUR), policy above:
FULL_MEMBERS = [
    MemberIn(1, "workers", date(2024, 3, 1)),
    MemberIn(2, "workers", date(2025, 7, 1)),
    MemberIn(3, "users", date(2024, 1, 10), exited_on=date(2025, 6, 30)),
    MemberIn(4, "users", date(2025, 2, 1)),
    MemberIn(5, "contributors", date(2024, 5, 5)),
]
FULL_PAYMENTS = [
    PaymentIn(1, 100_000, date(2024, 3, 1)),
    PaymentIn(2, 50_000, date(2025, 7, 1)),
    PaymentIn(3, 20_000, date(2024, 1, 10)),
    PaymentIn(4, 20_000, date(2025, 2, 1)),
    PaymentIn(4, 10_000, date(2025, 5, 1), reversed=True),
    PaymentIn(5, 5_000, date(2026, 1, 15)),  # after the period: no interest this year
]
FULL_CONTRIBUTIONS = {1: Decimal("120.5"), 2: Decimal("60.25"), 3: Decimal("40"),
                      4: Decimal("80.0000")}


def full_result():
    return distribute(inputs(surplus=1_000_000, members=FULL_MEMBERS, payments=FULL_PAYMENTS,
                             contributions=FULL_CONTRIBUTIONS))


def test_full_example_step_2_interest():
    r = full_result()
    by = {line.member_number: line for line in r.lines}
    # 1: 100,000 paid before the period: a full year, 365 days → exactly 3 % = 3000.
    assert by[1].interest_exact == 3000
    # 2: 50,000 from 1 Jul: 184 days → 50,000 · 0.03 · 184/365 = 276000/365 ≈ 756.16.
    assert by[2].interest_exact == Fraction(276000, 365)
    # 3 exited on 30 Jun: not active on 31 Dec, no interest.
    assert by[3].interest_exact == 0
    # 4: 20,000 from 1 Feb, 334 days (the reversed 10,000 counts for nothing) → 200400/365.
    assert by[4].interest_exact == Fraction(200400, 365)
    # Σ = 3000 + 756.16 + 549.04 = 4305.2 → floor 4305; cap floor(1e6 · 50 %) = 500,000.
    assert (r.interest_wanted_minor, r.interest_cap_minor, r.interest_minor) == (
        4305, 500_000, 4305)
    # alloc(4305, ...): floors 3000 + 756 + 549 = 4305, nothing left over.
    assert [by[n].interest_minor for n in (1, 2, 3, 4)] == [3000, 756, 0, 549]
    assert 5 in by and by[5].interest_minor == 0


def test_full_example_step_3_pools():
    r = full_result()
    # R = 995,695; reserves floor(298,708.5) = 298,708, commons floor(99,569.5) = 99,569,
    # patronage floor(597,417) = 597,417; one unit left over → reserves.
    assert (r.reserves_policy_minor, r.commons_minor, r.patronage_pool_minor) == (
        298_708, 99_569, 597_417)
    assert r.reserves_leftover_minor == 1


def test_full_example_steps_4_to_7():
    r = full_result()
    # Classes: 298,708.5 / 179,225.1 / 119,483.4 → floors sum 597,416; the .5 takes the unit.
    # contributors contributed nothing: their 119,483 go to the reserves.
    assert r.class_pools == {"contributors": 0, "users": 179_225, "workers": 298_709}
    assert r.forfeited_classes == ("contributors",)
    assert r.reserves_forfeited_minor == 119_483
    by = {line.member_number: line for line in r.lines}
    # workers: 298,709 · 120.5/180.75 = 199,139.33 and 99,569.67 → the .67 takes the unit.
    assert (by[1].patronage_minor, by[2].patronage_minor) == (199_139, 99_570)
    # users: 179,225 · 40/120 = 59,741.67 and 119,483.33 → member 3 takes the unit.
    assert (by[3].patronage_minor, by[4].patronage_minor) == (59_742, 119_483)
    # cash = ceil(30 %): 59,741.7 → 59,742; 29,871 → 29,871; 35,844.9 → 35,845.
    assert (by[1].cash_minor, by[1].retained_minor) == (59_742, 139_397)
    assert (by[2].cash_minor, by[2].retained_minor) == (29_871, 69_699)
    assert (by[4].cash_minor, by[4].retained_minor) == (35_845, 83_638)
    # 3 has exited: everything in cash, though they still earned their part.
    assert (by[3].cash_minor, by[3].retained_minor, by[3].exited) == (59_742, 0, True)
    # Step 7: 4,305 + (298,708 + 1 + 119,483) + 99,569 + 477,934 = 1,000,000.
    assert (r.interest_minor, r.reserves_minor, r.commons_minor, r.patronage_minor) == (
        4_305, 418_192, 99_569, 477_934)
    assert r.interest_minor + r.reserves_minor + r.commons_minor + r.patronage_minor == 1_000_000


def test_nl365_leaves_out_29_february():
    assert nl365_days(date(2024, 1, 1), date(2024, 12, 31)) == 365  # a leap year
    assert nl365_days(date(2023, 1, 1), date(2023, 12, 31)) == 365
    assert nl365_days(date(2024, 2, 28), date(2024, 3, 1)) == 2
    assert nl365_days(date(2024, 2, 29), date(2024, 2, 29)) == 0
    assert nl365_days(date(2025, 12, 31), date(2025, 12, 31)) == 1
    assert nl365_days(date(2026, 1, 1), date(2025, 12, 31)) == 0


def test_a_full_leap_year_pays_exactly_the_rate():
    terms = interest_terms([PaymentIn(1, 36_500, date(2023, 6, 1))], period_start=date(2024, 1, 1),
                           period_end=date(2024, 12, 31), rate_bp=1000)
    assert [(t.days, t.exact) for t in terms] == [(365, 3650)]


def test_interest_of_an_irregular_first_period_counts_its_days():
    # 18 months from 1 Jul 2024 to 31 Dec 2025: 549 days, minus no 29 Feb → 549 days.
    terms = interest_terms([PaymentIn(1, 36_500, date(2024, 1, 1))], period_start=date(2024, 7, 1),
                           period_end=date(2025, 12, 31), rate_bp=1000)
    assert terms[0].days == 549 and terms[0].exact == Fraction(36_500 * 549, 10 * 365)


def test_the_interest_cap():
    # S = 1,000; one member with 100,000 at 10 % for a full year would take 10,000;
    # the cap is floor(1,000 · 20 %) = 200; the rest 800 splits 30/10/60.
    policy = Policy(1000, 2000, 3000, 1000, 6000, 2000, {"workers": 10000})
    r = distribute(inputs(surplus=1_000, policy=policy,
                          members=[MemberIn(1, "workers", date(2020, 1, 1))],
                          payments=[PaymentIn(1, 100_000, date(2020, 1, 1))],
                          contributions={1: Decimal(1)}))
    assert (r.interest_wanted_minor, r.interest_cap_minor, r.interest_minor) == (10_000, 200, 200)
    assert (r.reserves_minor, r.commons_minor, r.patronage_minor) == (240, 80, 480)
    assert r.lines[0].interest_minor == 200
    # Cash ceil(480 · 20 %) = 96.
    assert (r.lines[0].cash_minor, r.lines[0].retained_minor) == (96, 384)


def test_a_loss_is_carried_forward_and_absorbed():
    # Year 1 loses 300; year 2 earns 100: S = −200, nothing distributed, 200 carried.
    assert uncovered_losses([-300]) == 300
    r = distribute(inputs(surplus=100, losses=300, members=FULL_MEMBERS))
    assert (r.distributable_minor, r.loss_carried_minor) == (0, 200)
    assert r.lines == () and r.interest_minor == r.reserves_minor == r.patronage_minor == 0
    # Year 3 earns 1,200: S = 1,200 − 200 = 1,000.
    assert uncovered_losses([-300, 100]) == 200
    r3 = distribute(inputs(surplus=1_200, losses=uncovered_losses([-300, 100]),
                           members=[MemberIn(1, "workers", date(2020, 1, 1))],
                           contributions={1: Decimal(1)}))
    assert r3.distributable_minor == 1_000
    # A surplus wipes the loss; the reserve covering part of it reduces it too.
    assert uncovered_losses([-300, 500]) == 0
    assert uncovered_losses([-300, 100], covered_minor=150) == 50
    assert uncovered_losses([-300, 100, -50]) == 250


def test_zero_surplus_distributes_nothing():
    r = distribute(inputs(surplus=0, members=FULL_MEMBERS))
    assert (r.distributable_minor, r.loss_carried_minor, r.lines) == (0, 0, ())


def test_ties_in_classes_go_to_the_slug_first_in_code_point_order():
    # Patronage pool floor(10 · 100 %) = 10 over classes of 50/25/25 %.
    policy = Policy(0, 5000, 0, 0, 10000, 10000, {"c": 2500, "b": 2500, "a": 5000})
    r = distribute(inputs(surplus=10, policy=policy, members=[
        MemberIn(1, "a", date(2020, 1, 1)), MemberIn(2, "b", date(2020, 1, 1)),
        MemberIn(3, "c", date(2020, 1, 1))], contributions={1: 1, 2: 1, 3: 1}))
    # a 5, b 2.5, c 2.5 → floors 5, 2, 2; the unit goes to "b" before "c".
    assert r.class_pools == {"a": 5, "b": 3, "c": 2}


def test_ties_among_members_go_to_the_lower_member_number():
    policy = Policy(0, 5000, 0, 0, 10000, 10000, {"workers": 10000})
    members = [MemberIn(n, "workers", date(2020, 1, 1)) for n in (9, 4, 7)]
    r = distribute(inputs(surplus=10, policy=policy, members=members,
                          contributions={9: 1, 4: 1, 7: 1}))
    # 10/3 = 3.33 each; the one unit goes to member 4.
    assert {line.member_number: line.patronage_minor for line in r.lines} == {4: 4, 7: 3, 9: 3}


def test_interest_ties_go_to_the_lower_member_number():
    # Two members with 500 at 10 % for the 146 days from 8 Aug: 20 each; S is so small that
    # the cap binds at an odd number (3), so they tie at 1.5.
    policy = Policy(1000, 3000, 10000, 0, 0, 2000, {"workers": 10000})
    members = [MemberIn(n, "workers", date(2020, 1, 1)) for n in (8, 3)]
    payments = [PaymentIn(n, 500, date(2025, 8, 8)) for n in (8, 3)]
    r = distribute(inputs(surplus=10, policy=policy, members=members, payments=payments))
    # I = min(floor(2 · 500 · 0.1 · 146/365) = 40, floor(10 · 30 %) = 3) = 3: 1.5 each → 3 wins.
    assert r.interest_minor == 3
    assert {line.member_number: line.interest_minor for line in r.lines} == {3: 2, 8: 1}
    # What interest leaves goes entirely to the reserves (reserves_bp = 10000).
    assert r.reserves_minor == 7


def test_a_class_with_no_contributions_forfeits_to_the_reserves():
    policy = Policy(0, 5000, 0, 0, 10000, 2000, {"workers": 7000, "users": 3000})
    r = distribute(inputs(surplus=1000, policy=policy,
                          members=[MemberIn(1, "workers", date(2020, 1, 1)),
                                   MemberIn(2, "users", date(2020, 1, 1))],
                          contributions={1: Decimal("2.5")}))
    assert r.forfeited_classes == ("users",)
    assert (r.reserves_minor, r.patronage_minor) == (300, 700)
    assert [(line.member_number, line.patronage_minor) for line in r.lines] == [(1, 700), (2, 0)]


def test_exited_members_are_paid_all_in_cash_and_get_no_interest():
    policy = Policy(500, 5000, 0, 0, 10000, 2000, {"workers": 10000})
    members = [MemberIn(1, "workers", date(2020, 1, 1), exited_on=date(2026, 2, 1)),
               MemberIn(2, "workers", date(2020, 1, 1))]
    payments = [PaymentIn(1, 10_000, date(2020, 1, 1)), PaymentIn(2, 10_000, date(2020, 1, 1))]
    r = distribute(inputs(surplus=10_000, policy=policy, members=members, payments=payments,
                          contributions={1: 1, 2: 1}))
    by = {line.member_number: line for line in r.lines}
    # Member 1 exited after the period's end but before the run: active on 31 Dec, so interest
    # (500 each, a full year at 5 %), and everything in cash since they have exited.
    assert by[1].interest_minor == by[2].interest_minor == 500
    # R = 9,000 → 4,500 each; 1 all cash, 2 ceil(20 %) = 900 cash.
    assert (by[1].cash_minor, by[1].retained_minor) == (4_500, 0)
    assert (by[2].cash_minor, by[2].retained_minor) == (900, 3_600)
    # Exited inside the period: no interest, still their patronage.
    members[0] = MemberIn(1, "workers", date(2020, 1, 1), exited_on=date(2025, 12, 31))
    r = distribute(inputs(surplus=10_000, policy=policy, members=members, payments=payments,
                          contributions={1: 1, 2: 1}))
    by = {line.member_number: line for line in r.lines}
    assert by[1].interest_minor == 0 and by[2].interest_minor == 500
    assert by[1].patronage_minor == by[1].cash_minor == 4_750


def test_policy_validation():
    assert validate_policy(POLICY, ["workers", "users", "contributors"]) == {}
    bad = Policy(300, 5000, 3000, 1000, 5000, 1999, {"workers": 6000, "ghosts": 3000})
    errors = validate_policy(bad, ["workers", "users"])
    assert "9000" in errors["patronage_bp"][0]
    assert "at least 2000" in errors["cash_bp"][0]
    assert any("ghosts" in m for m in errors["class_shares_bp"])
    assert any("9000" in m for m in errors["class_shares_bp"])
    assert "class_shares_bp" in validate_policy(
        Policy(0, 0, 10000, 0, 0, 2000, {}), ["workers"])
    assert "cash_bp" in validate_policy(Policy(0, 0, 10000, 0, 0, 10001, {"w": 10000}), ["w"])


def test_canonical_json_and_hash():
    a = inputs(surplus=1_000_000, members=FULL_MEMBERS, payments=FULL_PAYMENTS,
               contributions=FULL_CONTRIBUTIONS)
    text = canonical_json(a)
    assert " " not in text and ", " not in text
    assert text.startswith('{"contributions":{"1":"120.5000"')
    # The order of the inputs and the notation of a quantity do not change the hash.
    b = inputs(surplus=1_000_000, members=list(reversed(FULL_MEMBERS)),
               payments=list(reversed(FULL_PAYMENTS)),
               contributions={**FULL_CONTRIBUTIONS, 1: Decimal("120.50")})
    assert inputs_hash(a) == inputs_hash(b)
    # Any change of an input does.
    c = inputs(surplus=1_000_001, members=FULL_MEMBERS, payments=FULL_PAYMENTS,
               contributions=FULL_CONTRIBUTIONS)
    assert inputs_hash(c) != inputs_hash(a)
    assert len(inputs_hash(a)) == 64


def test_the_module_imports_no_framework():
    tree = ast.parse(Path("patronage/allocation.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "hashlib", "json", "collections", "dataclasses",
                        "datetime", "decimal", "fractions", "coop"}


# --- properties -----------------------------------------------------------------------------

SLUGS = ["a", "b", "c"]


@st.composite
def policies(draw):
    reserves = draw(st.integers(0, 10000))
    commons = draw(st.integers(0, 10000 - reserves))
    cut = sorted(draw(st.lists(st.integers(0, 10000), min_size=2, max_size=2)))
    return Policy(
        capital_interest_bp=draw(st.integers(0, 2000)),
        interest_cap_bp=draw(st.integers(0, 10000)),
        reserves_bp=reserves, commons_bp=commons, patronage_bp=10000 - reserves - commons,
        cash_bp=draw(st.integers(2000, 10000)),
        class_shares_bp={"a": cut[0], "b": cut[1] - cut[0], "c": 10000 - cut[1]},
    )


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 12))
    numbers = draw(st.lists(st.integers(1, 500), min_size=n, max_size=n, unique=True))
    days = st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 6, 30))
    members = []
    for number in numbers:
        activated = draw(st.one_of(st.none(), days))
        exited = draw(st.one_of(st.none(), days)) if activated else None
        if exited and exited < activated:
            exited = activated
        members.append(MemberIn(number, draw(st.sampled_from(SLUGS)), activated, exited))
    payments = [PaymentIn(draw(st.sampled_from(numbers)), draw(st.integers(1, 10**7)),
                          draw(days), draw(st.booleans()))
                for _ in range(draw(st.integers(0, 15)))]
    contributions = {number: Decimal(draw(st.integers(0, 10**6))) / 10000
                     for number in draw(st.lists(st.sampled_from(numbers), unique=True))}
    return inputs(surplus=draw(st.integers(-10**6, 10**10)),
                  losses=draw(st.integers(0, 10**6)), policy=draw(policies()),
                  members=members, payments=payments, contributions=contributions)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_sums_are_exact(scenario):
    r = distribute(scenario)
    s = scenario.surplus_minor - scenario.uncovered_losses_minor
    assert r.distributable_minor == max(s, 0) and r.loss_carried_minor == max(-s, 0)
    assert r.interest_minor + r.reserves_minor + r.commons_minor + r.patronage_minor == max(s, 0)
    assert sum(line.interest_minor for line in r.lines) == r.interest_minor
    assert sum(line.patronage_minor for line in r.lines) == r.patronage_minor
    for line in r.lines:
        assert line.cash_minor + line.retained_minor == line.patronage_minor
        assert 0 <= line.retained_minor <= line.patronage_minor
        if line.exited:
            assert line.retained_minor == 0
    assert r.interest_minor <= r.interest_cap_minor


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_every_part_is_within_one_of_its_exact_share(scenario):
    r = distribute(scenario)
    if r.distributable_minor == 0:
        return
    total_interest = sum((line.interest_exact for line in r.lines), Fraction(0))
    for line in r.lines:
        if total_interest:
            exact = r.interest_minor * line.interest_exact / total_interest
            assert math.floor(exact) <= line.interest_minor <= math.floor(exact) + 1
        pool = r.class_pools.get(line.class_slug, 0)
        class_total = r.class_contributions.get(line.class_slug, 0)
        if class_total:
            exact = pool * Fraction(line.contribution) / Fraction(class_total)
            assert math.floor(exact) <= line.patronage_minor <= math.floor(exact) + 1


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_independent_of_the_order_of_the_parts(scenario, rnd: random.Random):
    members, payments = list(scenario.members), list(scenario.payments)
    contributions = list(scenario.contributions.items())
    rnd.shuffle(members)
    rnd.shuffle(payments)
    rnd.shuffle(contributions)
    shuffled = Inputs(scenario.period_start, scenario.period_end, scenario.surplus_minor,
                      scenario.uncovered_losses_minor, scenario.policy, tuple(members),
                      tuple(payments), dict(contributions))
    assert distribute(shuffled) == distribute(scenario)
    assert inputs_hash(shuffled) == inputs_hash(scenario)


@pytest.mark.parametrize("bad", [
    {"members": [MemberIn(1, "workers", None), MemberIn(1, "users", None)]},
    {"members": [], "contributions": {7: Decimal(1)}},
])
def test_inconsistent_inputs_are_refused(bad):
    with pytest.raises(ValueError):
        distribute(inputs(surplus=10, **bad))
