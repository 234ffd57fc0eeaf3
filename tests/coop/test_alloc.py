"""coop.alloc: the largest-remainder split of RULES §4 (worked examples and properties)."""

import ast
import math
import random
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.alloc import alloc

# --- worked examples ------------------------------------------------------------------------


def test_three_equal_parts_the_leftover_goes_to_the_lowest_key():
    # 100/3 = 33 r 1 each: one unit left, all remainders equal → the lowest key takes it.
    assert alloc(100, {3: 1, 1: 1, 2: 1}) == {3: 33, 1: 34, 2: 33}


def test_largest_remainder_wins_before_the_tie_rule():
    # shares 10·5/8 = 6.25, 10·3/8 = 3.75: floors 6 + 3, the one leftover goes to 3.75.
    assert alloc(10, {1: 5, 2: 3}) == {1: 6, 2: 4}


def test_class_slugs_tie_in_code_point_order():
    # Uppercase sorts before lowercase in code points; "clients" < "photographers" < "staff".
    shares = alloc(2, {"staff": 1, "photographers": 1, "clients": 1})
    assert shares == {"staff": 0, "photographers": 1, "clients": 1}
    assert alloc(1, {"b": 1, "B": 1}) == {"b": 0, "B": 1}


def test_policy_split_of_a_patronage_pool():
    # A 10 000 bp class split of 1 001 units: 5000/3000/2000 → 500.5, 300.3, 200.2.
    assert alloc(1001, {"photographers": 5000, "clients": 3000, "staff": 2000}) == {
        "photographers": 501, "clients": 300, "staff": 200}


def test_fraction_weights_as_interest_gives_them():
    # Interest weights stay exact: 1/3 and 2/3 of 10 → 3.33 and 6.67 → 3 and 7.
    assert alloc(10, {7: Fraction(1, 3), 9: Fraction(2, 3)}) == {7: 3, 9: 7}


def test_zero_weight_gets_zero_even_with_leftovers():
    assert alloc(5, {1: 0, 2: 1, 3: 1}) == {1: 0, 2: 3, 3: 2}


def test_zero_total():
    assert alloc(0, {1: 2, 2: 3}) == {1: 0, 2: 0}


def test_explicit_tie_key_for_keys_that_are_not_ordered_by_themselves():
    members = {"ann": 12, "bob": 3}  # name → member number: the lower number wins a tie
    assert alloc(1, {"ann": 1, "bob": 1}, tie_key=members.__getitem__) == {"ann": 0, "bob": 1}


@pytest.mark.parametrize(("total", "weights", "error"), [
    (10, {}, ValueError),
    (10, {1: 0, 2: 0}, ValueError),
    (10, {1: -1, 2: 3}, ValueError),
    (-1, {1: 1}, ValueError),
    (10, {1: 0.5}, TypeError),
    (10, {1: True}, TypeError),
    (10.0, {1: 1}, TypeError),
])
def test_refused_inputs(total, weights, error):
    with pytest.raises(error):
        alloc(total, weights)


def test_tie_keys_must_be_distinct():
    with pytest.raises(ValueError, match="tie_key"):
        alloc(1, {"a": 1, "b": 1}, tie_key=lambda key: 0)


def test_the_module_imports_only_the_standard_library():
    # The import-linter contract says the same; this keeps the promise where the module is.
    tree = ast.parse(Path("coop/alloc.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"collections", "fractions", "math", "typing"}


# --- properties -----------------------------------------------------------------------------

weight = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.fractions(min_value=0, max_value=1000, max_denominator=10**4),
)
weight_maps = st.dictionaries(st.integers(min_value=1, max_value=10**6), weight,
                              min_size=1, max_size=30).filter(lambda w: sum(w.values()) > 0)
totals = st.integers(min_value=0, max_value=10**12)


@given(totals, weight_maps)
def test_parts_sum_to_the_total(total, weights):
    assert sum(alloc(total, weights).values()) == total


@given(totals, weight_maps)
def test_each_part_is_its_exact_share_floored_or_one_more(total, weights):
    weight_sum = sum(Fraction(w) for w in weights.values())
    for key, part in alloc(total, weights).items():
        floor = math.floor(Fraction(total) * Fraction(weights[key]) / weight_sum)
        assert part in (floor, floor + 1)


@given(totals, weight_maps, st.randoms(use_true_random=False))
def test_the_order_of_the_parts_does_not_matter(total, weights, rnd: random.Random):
    items = list(weights.items())
    rnd.shuffle(items)
    assert alloc(total, dict(items)) == alloc(total, weights)


@given(totals, weight_maps)
def test_zero_weight_gets_zero(total, weights):
    shares = alloc(total, weights)
    assert all(shares[key] == 0 for key, w in weights.items() if w == 0)


@given(totals, weight_maps)
def test_a_larger_remainder_never_loses_to_a_smaller_one(total, weights):
    weight_sum = sum(Fraction(w) for w in weights.values())
    shares = alloc(total, weights)
    exact = {k: Fraction(total) * Fraction(w) / weight_sum for k, w in weights.items()}
    rounded_up = [k for k in weights if shares[k] > math.floor(exact[k])]
    left_down = [k for k in weights if shares[k] == math.floor(exact[k])]
    for up in rounded_up:
        for down in left_down:
            rem_up, rem_down = exact[up] % 1, exact[down] % 1
            assert rem_up > rem_down or (rem_up == rem_down and up < down)
