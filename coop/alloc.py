"""The largest-remainder split of RULES.md §4, exact and pure.

Standard library only (no Django): the ledger's dividend run calls it with the exact interest
weights (`Fraction`s) and the contribution totals, and an import-linter contract keeps this
module free of the framework, so it can be reasoned about and property-tested on its own.

    >>> alloc(100, {"a": 1, "b": 1, "c": 1})
    {'a': 34, 'b': 33, 'c': 33}

Every part gets `floor(total · w / Σw)`; the units left over go one each to the parts with
the largest fractional remainders; equal remainders go to the lower tie key (by default the
key itself: the lower member number, or the class slug first in code-point order, which is how
Python orders `str`). The answer never depends on the order in which the parts are given.
"""

import math
from collections.abc import Callable, Hashable, Mapping
from fractions import Fraction
from typing import Any

__all__ = ["alloc"]


def _identity(key: Any) -> Any:
    return key


def alloc[K: Hashable](
    total: int,
    weights: Mapping[K, int | Fraction],
    *,
    tie_key: Callable[[K], Any] = _identity,
) -> dict[K, int]:
    """Split `total` (a whole number of minor units, ≥ 0) among `weights`' keys in proportion
    to their weights: the parts are whole numbers, sum to `total` exactly, and each is the
    floor of its exact share or one more.

    `weights` are ints or `Fraction`s, each ≥ 0, with a positive sum (a caller whose weights sum
    to 0 sends the total elsewhere, e.g. to the reserves: RULES §4). Parts with weight 0 get 0.
    `tie_key(key)` orders parts whose remainders are equal (lower first); the values it gives
    must be distinct and comparable. Floats and bools are refused: a weight is exact or absent.

    Returns a new dict with the same keys, in the order given.
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError(f"total must be an int, not {type(total).__name__}")
    if total < 0:
        raise ValueError(f"total must be ≥ 0, not {total}")
    exact: dict[K, Fraction | int] = {}
    for key, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int | Fraction):
            raise TypeError(f"weight of {key!r} must be an int or a Fraction, "
                            f"not {type(weight).__name__}")
        if weight < 0:
            raise ValueError(f"weight of {key!r} is negative ({weight})")
        exact[key] = weight
    # Exact integer arithmetic throughout: scale every weight by the least common multiple of
    # their denominators, so each share is total·W/ΣW with whole W, its floor and remainder are
    # integer division, and remainders compare as integers (the same order as the fractions).
    # This is what lets a dividend run split among 100,000 members in well under a second.
    scale = 1
    for weight in exact.values():
        if isinstance(weight, Fraction) and weight.denominator != 1:
            scale = math.lcm(scale, weight.denominator)
    whole = {key: int(weight * scale) for key, weight in exact.items()}
    weight_sum = sum(whole.values())
    if weight_sum <= 0:
        raise ValueError("the weights must sum to more than 0")

    parts: dict[K, int] = {}
    remainders: dict[K, int] = {}
    for key, weight in whole.items():
        parts[key], remainders[key] = divmod(total * weight, weight_sum)
    leftover = total - sum(parts.values())  # 0 ≤ leftover < the number of positive remainders

    ties = {key: tie_key(key) for key in exact}
    if len(set(ties.values())) != len(ties):
        raise ValueError("tie_key must give every part a different value")
    ranked = sorted(exact, key=lambda key: (-remainders[key], ties[key]))
    for key in ranked[:leftover]:
        parts[key] += 1
    return parts
