"""The surplus distribution of RULES.md §4, exact and pure (no Django).

A dividend run is a function of its frozen inputs: the period, its surplus, the losses of
earlier periods not yet covered, the allocation policy in force on the period's last day, the
members (class, number, activation and exit), their share payments and their contribution
totals. `distribute(inputs)` applies steps 1–7 and returns every pool and every member's line;
`inputs_hash(inputs)` is the SHA-256 of their canonical JSON (step 9). The Celery task reads the
inputs with a few set-based queries, calls these and writes the result; the member statement
calls `interest_terms` to explain one member's interest.

Arithmetic is `int` and `fractions.Fraction` only: nothing is rounded before the floors the
rules name, and the splits are `coop.alloc` (largest remainder, ties to the lower member number
or the class slug first in code-point order).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from coop.alloc import alloc

__all__ = [
    "Inputs", "MemberIn", "PaymentIn", "Policy", "Result", "MemberLine", "InterestTerm",
    "distribute", "inputs_hash", "canonical_json", "interest_terms", "nl365_days",
    "uncovered_losses", "validate_policy",
]

BP = 10000
DAYS_IN_YEAR = 365
INTEREST_DENOMINATOR = BP * DAYS_IN_YEAR  # i = amount · rate_bp · days / (10000 · 365)


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """The allocation policy's figures (basis points; `class_shares_bp` by class slug)."""

    capital_interest_bp: int
    interest_cap_bp: int
    reserves_bp: int
    commons_bp: int
    patronage_bp: int
    cash_bp: int
    class_shares_bp: Mapping[str, int]


@dataclass(frozen=True)
class MemberIn:
    """A member as the run sees it. `activated_on`/`exited_on` as the register has them when the
    run is computed; `expelled` members neither earn interest nor keep a retained part."""

    member_number: int
    class_slug: str
    activated_on: date | None
    exited_on: date | None = None
    expelled: bool = False

    def active_on(self, day: date) -> bool:
        """Active on `day` (RULES §4 step 2: "active at the period's end" = on its last day)."""
        if self.activated_on is None or self.activated_on > day:
            return False
        if self.exited_on is not None:
            return self.exited_on > day
        return not self.expelled  # an expulsion without a date: not active

    @property
    def has_exited(self) -> bool:
        """Exited before the run is computed (step 6: paid everything in cash)."""
        return self.exited_on is not None or self.expelled


@dataclass(frozen=True)
class PaymentIn:
    """A share payment. `reversed` is true when a reversal of it exists: a payment returned by
    the bank or recorded by mistake never carried capital, so it earns no interest."""

    member_number: int
    amount_minor: int
    paid_on: date
    reversed: bool = False


@dataclass(frozen=True)
class Inputs:
    period_start: date
    period_end: date
    surplus_minor: int  # the period's surplus (revenue − expenses), negative for a loss
    uncovered_losses_minor: int  # losses of earlier periods not yet covered (≥ 0)
    policy: Policy
    members: tuple[MemberIn, ...]
    payments: tuple[PaymentIn, ...]
    contributions: Mapping[int, Decimal]  # member number → total quantity in the period


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterestTerm:
    """One payment's part of a member's interest: `amount · rate · days / 365`, exact."""

    amount_minor: int
    paid_on: date
    days: int
    exact: Fraction


@dataclass(frozen=True)
class MemberLine:
    member_number: int
    class_slug: str
    contribution: Decimal
    interest_exact: Fraction  # i_m before the cap and the split
    interest_minor: int
    patronage_minor: int
    cash_minor: int  # the patronage cash part; interest is paid in cash besides
    retained_minor: int
    exited: bool


@dataclass(frozen=True)
class Result:
    surplus_minor: int  # the period's surplus
    uncovered_losses_minor: int
    distributable_minor: int  # S when positive, else 0
    loss_carried_minor: int  # −S when S < 0, else 0 (RULES §4 step 1)
    interest_wanted_minor: int  # floor(Σ i_m)
    interest_cap_minor: int  # floor(S · interest_cap_bp / 10000)
    interest_minor: int  # I
    reserves_minor: int  # floors, leftovers and forfeited class parts
    reserves_policy_minor: int  # floor(R · reserves_bp / 10000)
    reserves_leftover_minor: int  # what the three floors left of R
    reserves_forfeited_minor: int  # class parts with no contribution
    commons_minor: int
    patronage_pool_minor: int  # floor(R · patronage_bp / 10000), before forfeits
    patronage_minor: int  # what members actually receive
    class_pools: dict[str, int] = field(default_factory=dict)  # after forfeits: 0 if forfeited
    class_contributions: dict[str, Decimal] = field(default_factory=dict)
    forfeited_classes: tuple[str, ...] = ()
    lines: tuple[MemberLine, ...] = ()

    def check(self) -> None:
        """Step 7's identity, and the lines summing to the pools; raises if either fails."""
        total = (self.interest_minor + self.reserves_minor + self.commons_minor
                 + self.patronage_minor)
        if total != self.distributable_minor:
            raise AssertionError(f"pools sum to {total}, not {self.distributable_minor}")
        if sum(line.interest_minor for line in self.lines) != self.interest_minor:
            raise AssertionError("member interest does not sum to I")
        if sum(line.patronage_minor for line in self.lines) != self.patronage_minor:
            raise AssertionError("member patronage does not sum to the patronage pool")


# --- the policy's own rules -----------------------------------------------------------------


def validate_policy(policy: Policy, class_slugs: Iterable[str]) -> dict[str, list[str]]:
    """What is wrong with a policy, by field (empty when it holds): the three parts sum to
    10000, cash at least 2000, every figure a whole number of basis points in range, and the
    class shares sum to 10000 over existing classes."""
    errors: dict[str, list[str]] = {}
    known = set(class_slugs)
    for name in ("capital_interest_bp", "interest_cap_bp", "reserves_bp", "commons_bp",
                 "patronage_bp", "cash_bp"):
        value = getattr(policy, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BP:
            errors.setdefault(name, []).append("A whole number of basis points from 0 to 10000.")
    if not errors:
        parts = policy.reserves_bp + policy.commons_bp + policy.patronage_bp
        if parts != BP:
            errors.setdefault("patronage_bp", []).append(
                f"Reserves, commons and patronage must sum to 10000 basis points, not {parts}.")
        if policy.cash_bp < 2000:
            errors.setdefault("cash_bp", []).append(
                f"The cash part must be at least 2000 basis points (20 %), not {policy.cash_bp}.")
    shares = policy.class_shares_bp
    if not isinstance(shares, Mapping) or not shares:
        errors.setdefault("class_shares_bp", []).append(
            "Give each stakeholder class its share in basis points.")
        return errors
    unknown = sorted(str(slug) for slug in shares if slug not in known)
    if unknown:
        errors.setdefault("class_shares_bp", []).append(
            f"Unknown stakeholder classes: {', '.join(unknown)}.")
    bad = sorted(str(slug) for slug, bp in shares.items()
                 if isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp <= BP)
    if bad:
        errors.setdefault("class_shares_bp", []).append(
            f"Shares must be whole numbers of basis points from 0 to 10000: {', '.join(bad)}.")
    elif sum(shares.values()) != BP:
        errors.setdefault("class_shares_bp", []).append(
            f"Class shares must sum to 10000 basis points, not {sum(shares.values())}.")
    return errors


# --- step 1: losses carried forward ---------------------------------------------------------


def uncovered_losses(earlier_surpluses: Iterable[int], covered_minor: int = 0) -> int:
    """Losses of earlier periods not yet covered, from their surpluses in period order: a loss
    adds to what is carried, a surplus first absorbs it (that period's run distributed only the
    rest, step 1); `covered_minor` is what the reserve has covered since (RULES §3)."""
    carried = 0
    for surplus in earlier_surpluses:
        carried = max(0, carried - surplus)
    return max(0, carried - covered_minor)


# --- step 2: interest on capital ------------------------------------------------------------


def _feb29s(first: date, last: date) -> int:
    """The number of 29 Februarys in [first, last]."""
    count = 0
    for year in range(first.year, last.year + 1):
        try:
            day = date(year, 2, 29)
        except ValueError:
            continue
        if first <= day <= last:
            count += 1
    return count


def nl365_days(first: date, last: date) -> int:
    """Days from `first` to `last`, both included, not counting 29 February (NL/365)."""
    if last < first:
        return 0
    return (last - first).days + 1 - _feb29s(first, last)


def _interest_numerators(payments: Iterable[PaymentIn], *, period_start: date,
                         period_end: date, rate_bp: int):
    """(payment, days, numerator) for each payment that earns interest, the interest being
    numerator / (10000 · 365) exactly: one common denominator keeps the sums integer."""
    for payment in payments:
        if payment.reversed or payment.paid_on > period_end or payment.amount_minor <= 0:
            continue
        days = nl365_days(max(payment.paid_on, period_start), period_end)
        yield payment, days, payment.amount_minor * rate_bp * days


def interest_terms(payments: Iterable[PaymentIn], *, period_start: date, period_end: date,
                   rate_bp: int) -> list[InterestTerm]:
    """Each payment's exact interest for the period (step 2): payments made in or before the
    period and never reversed; the days run from the payment (or the period's start, for
    earlier ones: "at most the period's length") to the period's end, both included."""
    return [InterestTerm(payment.amount_minor, payment.paid_on, days,
                         Fraction(numerator, INTEREST_DENOMINATOR))
            for payment, days, numerator in _interest_numerators(
                payments, period_start=period_start, period_end=period_end, rate_bp=rate_bp)]


def _weight(quantity: Decimal) -> int | Fraction:
    """A contribution as an alloc weight: its quantity in ten-thousandths (a whole number for
    the 4 places RULES §3 allows; exact as a Fraction otherwise)."""
    scaled = quantity * 10000
    return int(scaled) if scaled == scaled.to_integral_value() else Fraction(quantity)


# --- steps 1–7 ------------------------------------------------------------------------------


def _floor_bp(amount: int, bp: int) -> int:
    return amount * bp // BP


def _ceil_bp(amount: int, bp: int) -> int:
    return -(-amount * bp // BP)


def distribute(inputs: Inputs) -> Result:
    """RULES §4 steps 1–7 for one period."""
    policy = inputs.policy
    members = {m.member_number: m for m in inputs.members}
    if len(members) != len(inputs.members):
        raise ValueError("a member number appears twice")
    contributions = {n: Decimal(q) for n, q in inputs.contributions.items() if Decimal(q) > 0}
    unknown = set(contributions) - set(members)
    if unknown:
        raise ValueError(f"contributions of unknown members: {sorted(unknown)[:5]}")

    # Step 1: the distributable surplus.
    s = inputs.surplus_minor - inputs.uncovered_losses_minor
    base = {"surplus_minor": inputs.surplus_minor,
            "uncovered_losses_minor": inputs.uncovered_losses_minor}
    if s <= 0:
        return Result(**base, distributable_minor=0, loss_carried_minor=-s,
                      interest_wanted_minor=0, interest_cap_minor=0, interest_minor=0,
                      reserves_minor=0, reserves_policy_minor=0, reserves_leftover_minor=0,
                      reserves_forfeited_minor=0, commons_minor=0, patronage_pool_minor=0,
                      patronage_minor=0)

    # Step 2: interest on capital, for members active on the period's last day.
    end = inputs.period_end
    payments_of: dict[int, list[PaymentIn]] = {}
    for payment in inputs.payments:
        payments_of.setdefault(payment.member_number, []).append(payment)
    interest_num: dict[int, int] = {}  # i_m · INTEREST_DENOMINATOR, exact
    for number, member in members.items():
        if not member.active_on(end):
            continue
        total = sum(numerator for _, _, numerator in _interest_numerators(
            payments_of.get(number, ()), period_start=inputs.period_start, period_end=end,
            rate_bp=policy.capital_interest_bp))
        if total > 0:
            interest_num[number] = total
    interest_wanted = sum(interest_num.values()) // INTEREST_DENOMINATOR  # floor(Σ i_m)
    interest_cap = _floor_bp(s, policy.interest_cap_bp)
    interest = min(interest_wanted, interest_cap)
    # The numerators are proportional to the i_m: the same split, in whole numbers.
    interest_of = alloc(interest, interest_num) if interest_num else {}

    # Step 3: the three parts of the rest.
    r = s - interest
    reserves_policy = _floor_bp(r, policy.reserves_bp)
    commons = _floor_bp(r, policy.commons_bp)
    patronage_pool = _floor_bp(r, policy.patronage_bp)
    leftover = r - reserves_policy - commons - patronage_pool

    # Step 4: the patronage pool by class; a class that contributed nothing forfeits its part.
    class_contrib: dict[str, Decimal] = {slug: Decimal(0) for slug in policy.class_shares_bp}
    for number, quantity in contributions.items():
        slug = members[number].class_slug
        class_contrib[slug] = class_contrib.get(slug, Decimal(0)) + quantity
    weights = {slug: bp for slug, bp in policy.class_shares_bp.items()}
    class_pools = alloc(patronage_pool, weights) if sum(weights.values()) > 0 else {}
    forfeited = tuple(sorted(slug for slug, pool in class_pools.items()
                             if pool > 0 and class_contrib.get(slug, 0) == 0))
    forfeited_minor = sum(class_pools[slug] for slug in forfeited)
    if not class_pools:  # no class has a share: the whole pool goes to the reserves
        forfeited_minor = patronage_pool
    for slug in forfeited:
        class_pools[slug] = 0

    # Step 5: inside each class, by contribution (members who exited still receive theirs).
    patronage_of: dict[int, int] = {}
    for slug, pool in class_pools.items():
        weights_m = {n: _weight(q) for n, q in contributions.items()
                     if members[n].class_slug == slug}
        if pool and weights_m:
            patronage_of.update(alloc(pool, weights_m))
    # Contributions of a class the policy gives no share earn nothing (weight 0).

    # Step 6: cash and retained; members who have exited take it all in cash.
    lines = []
    for number in sorted(set(interest_num) | set(contributions) |
                         {n for n, m in members.items() if m.active_on(end)}):
        member = members[number]
        p = patronage_of.get(number, 0)
        cash = p if member.has_exited else _ceil_bp(p, policy.cash_bp)
        lines.append(MemberLine(
            member_number=number, class_slug=member.class_slug,
            contribution=contributions.get(number, Decimal(0)),
            interest_exact=Fraction(interest_num.get(number, 0), INTEREST_DENOMINATOR),
            interest_minor=interest_of.get(number, 0), patronage_minor=p,
            cash_minor=cash, retained_minor=p - cash, exited=member.has_exited,
        ))

    # Step 7: the report.
    result = Result(
        **base, distributable_minor=s, loss_carried_minor=0,
        interest_wanted_minor=interest_wanted, interest_cap_minor=interest_cap,
        interest_minor=interest,
        reserves_minor=reserves_policy + leftover + forfeited_minor,
        reserves_policy_minor=reserves_policy, reserves_leftover_minor=leftover,
        reserves_forfeited_minor=forfeited_minor, commons_minor=commons,
        patronage_pool_minor=patronage_pool, patronage_minor=patronage_pool - forfeited_minor,
        class_pools=dict(sorted(class_pools.items())),
        class_contributions=dict(sorted(class_contrib.items())),
        forfeited_classes=forfeited, lines=tuple(lines),
    )
    result.check()
    return result


# --- step 9: the inputs' fingerprint --------------------------------------------------------


def _jsonable(inputs: Inputs) -> dict:
    policy = inputs.policy
    return {
        "period": {"start": inputs.period_start.isoformat(), "end": inputs.period_end.isoformat()},
        "surplus_minor": inputs.surplus_minor,
        "uncovered_losses_minor": inputs.uncovered_losses_minor,
        "policy": {
            "capital_interest_bp": policy.capital_interest_bp,
            "interest_cap_bp": policy.interest_cap_bp,
            "reserves_bp": policy.reserves_bp, "commons_bp": policy.commons_bp,
            "patronage_bp": policy.patronage_bp, "cash_bp": policy.cash_bp,
            "class_shares_bp": dict(policy.class_shares_bp),
        },
        "members": [
            [m.member_number, m.class_slug, m.activated_on and m.activated_on.isoformat(),
             m.exited_on and m.exited_on.isoformat(), m.expelled]
            for m in sorted(inputs.members, key=lambda m: m.member_number)
        ],
        "payments": sorted(
            [p.member_number, p.paid_on.isoformat(), p.amount_minor, p.reversed]
            for p in inputs.payments
        ),
        # Quantities as normalised decimal strings (4 places), so 1.5 and 1.5000 hash alike.
        "contributions": {str(n): f"{Decimal(q):.4f}"
                          for n, q in inputs.contributions.items() if Decimal(q) != 0},
    }


def canonical_json(inputs: Inputs) -> str:
    """The inputs as canonical JSON: sorted keys, no spaces, lists in a fixed order."""
    return json.dumps(_jsonable(inputs), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def inputs_hash(inputs: Inputs) -> str:
    """SHA-256 (hex) of `canonical_json(inputs)`: two runs with the same hash had the same
    inputs, and so (the function being pure) the same lines."""
    return hashlib.sha256(canonical_json(inputs).encode()).hexdigest()
