"""Tallies of closed votes, exactly as RULES.md §2 ("Proposals and voting") states them.

A pure module: the standard library only (no Django), integers and ``fractions.Fraction`` only
(never floats), so that a tally is a function of its inputs and can be recounted by anyone.

- ``yes_no`` and ``consent`` are decided by a threshold (``"majority"`` or ``"p/q"``) in one of
  three tally modes: ``member``, ``class_weighted`` and ``concurrent``.
- ``approval`` elects the ``seats`` options with the most approvals.
- ``ranked`` uses instant-runoff for one seat and, for several seats, Scottish STV: the counting
  rules 45 to 52 of Schedule 1 to the Scottish Local Government Elections Order 2007 (SSI 2007/42).

No library on PyPI counts Scottish STV to the letter of the Order: stvpoll (VoteIT, the best kept
one) does not truncate transfer values to five decimals as rule 48(3) requires (it divides with
Decimal's 28 digits; older releases rounded half-even) and breaks ties with random draws, where
RULES.md wants the earlier-stage rule and then a published seed; pyrankvote has no Scottish rules
at all. Hence the small count below, written from the text of the Order.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

METHODS = ("yes_no", "consent", "approval", "ranked")
TALLY_MODES = ("member", "class_weighted", "concurrent")
OUTCOMES = ("passed", "rejected", "no_quorum")
MAJORITY = "majority"

# Choices of the methods decided by a threshold, in display order. For consent, agree and
# disagree take the places of yes and no; a block anywhere makes the proposal fail.
CHOICES = {
    "yes_no": ("yes", "no", "abstain"),
    "consent": ("agree", "abstain", "disagree", "block"),
}
_FOR_AGAINST = {"yes_no": ("yes", "no"), "consent": ("agree", "disagree")}

STV_PLACES = 5  # rule 48(3): transfer values are calculated to five decimal places
SHOWN_PLACES = 6  # RULES.md: weighted_yes (and turnout) are shown truncated to 6 decimals

_HALF = Fraction(1, 2)
_FRACTION_TEXT = re.compile(r"([0-9]+)/([0-9]+)")


class TallyError(ValueError):
    """The inputs of a tally are invalid: a bad threshold, ballot, option list or electorate."""


# --------------------------------------------------------------------------- thresholds


def parse_threshold(text: str) -> Fraction | None:
    """``"majority"`` -> None; ``"p/q"`` with 1/2 <= p/q <= 1 -> that Fraction; else TallyError."""
    if text == MAJORITY:
        return None
    match = _FRACTION_TEXT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise TallyError(f'A threshold is "majority" or a fraction "p/q" like "2/3", not {text!r}.')
    numerator, denominator = int(match[1]), int(match[2])
    if denominator == 0:
        raise TallyError(f"The threshold {text!r} divides by zero.")
    value = Fraction(numerator, denominator)
    if not _HALF <= value <= 1:
        raise TallyError(f"The threshold {text!r} must lie between 1/2 and 1 (both included).")
    return value


def _strictness(text: str) -> tuple[Fraction, int]:
    # "majority" (yes > no) is stricter than "1/2" (yes >= no, a tie passes) and looser than any
    # fraction above one half, so it sorts just after 1/2.
    value = parse_threshold(text)
    return (_HALF, 1) if value is None else (value, 0)


def threshold_at_least(text: str, minimum: str) -> bool:
    """Whether the threshold ``text`` is as strict as ``minimum`` or stricter (both parsed)."""
    return _strictness(text) >= _strictness(minimum)


def _passes(for_: int, against: int, threshold: Fraction | None) -> bool:
    if threshold is None:
        return for_ > against
    return for_ + against > 0 and for_ >= threshold * (for_ + against)


def _weighted_passes(weighted_yes: Fraction, threshold: Fraction | None) -> bool:
    return weighted_yes > _HALF if threshold is None else weighted_yes >= threshold


# --------------------------------------------------------------------------- ballots


@dataclass(frozen=True)
class Ballot:
    """One member's current ballot, with the class the electorate froze for them."""

    voter_class: str
    choice: str | None = None  # yes_no: yes/no/abstain; consent: agree/abstain/disagree/block
    approvals: tuple[int, ...] = ()  # approval: the option ids approved (empty: abstention)
    ranking: tuple[int, ...] = ()  # ranked: option ids, most preferred first (empty: abstention)

    def __post_init__(self) -> None:
        # Lists from a form or a JSON body become tuples, so that ballots stay hashable.
        object.__setattr__(self, "approvals", tuple(self.approvals))
        object.__setattr__(self, "ranking", tuple(self.ranking))


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise TallyError(f"Unknown method {method!r}; expected one of {', '.join(METHODS)}.")


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_ballot(method: str, ballot: Ballot, options: Sequence[int] = ()) -> None:
    """Raise TallyError unless ``ballot`` is a well-formed ballot of ``method`` over ``options``.

    The rule that a block needs a reason is the service layer's: the reason is not in a Ballot.
    """
    _check_method(method)
    if not isinstance(ballot.voter_class, str) or not ballot.voter_class:
        raise TallyError("A ballot must carry the voter's stakeholder class.")
    if method in CHOICES:
        if ballot.choice not in CHOICES[method]:
            allowed = ", ".join(CHOICES[method])
            raise TallyError(f"A {method} choice is one of {allowed}; got {ballot.choice!r}.")
        if ballot.approvals or ballot.ranking:
            raise TallyError(f"A {method} ballot holds a choice only, no approvals or ranking.")
        return
    if method == "approval":
        picks, name, other = ballot.approvals, "approvals", ballot.ranking
    else:
        picks, name, other = ballot.ranking, "ranking", ballot.approvals
    if ballot.choice is not None or other:
        raise TallyError(f"A {method} ballot holds its {name} only.")
    known = set(options)
    if len(picks) > len(known):
        raise TallyError(f"The ballot has {len(picks)} {name} for {len(known)} options.")
    repeated = sorted(option for option, n in Counter(picks).items() if n > 1)
    if repeated:
        raise TallyError(f"The ballot's {name} name an option twice: {repeated}.")
    unknown = [option for option in picks if not _is_id(option) or option not in known]
    if unknown:
        raise TallyError(f"The ballot's {name} name options that are not on the ballot: {unknown}.")


# --------------------------------------------------------------------------- numbers


def decimal_string(value: Fraction | int, places: int = SHOWN_PLACES) -> str:
    """``value`` as a decimal string truncated (toward zero) to ``places`` decimals."""
    value = Fraction(value)
    scale = 10**places
    units = abs(value.numerator) * scale // value.denominator
    sign = "-" if value < 0 and units else ""
    whole, fraction = divmod(units, scale)
    return f"{sign}{whole}.{fraction:0{places}d}" if places else f"{sign}{whole}"


def yes_share(method: str, totals: Mapping[str, int]) -> Fraction | None:
    """The exact share a class's ``share`` figure shows: yes / (yes + no) (consent: agree and
    disagree); None without yes/no votes. The result stores it truncated; pages show it exactly."""
    for_key, against_key = _FOR_AGAINST[method]
    for_, against = totals.get(for_key, 0), totals.get(against_key, 0)
    return Fraction(for_, for_ + against) if for_ + against else None


def _truncate(value: Fraction, places: int) -> Fraction:
    scale = 10**places
    return Fraction(value.numerator * scale // value.denominator, scale)


def _percent(value: Fraction | int | Decimal, name: str) -> Fraction:
    # Floats are refused: 33.3 is not what a cooperative means by a third.
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise TallyError(f"{name} must be an int or a Fraction (never a float), not {value!r}.")
    percent = Fraction(value)
    if not 0 <= percent <= 100:
        raise TallyError(f"{name} must lie between 0 and 100, not {value}.")
    return percent


def quorum_reached(ballots_cast: int, electorate: int, quorum_percent: Fraction | int) -> bool:
    """RULES.md: quorum is met iff ballots_cast · 100 >= quorum_percent · electorate."""
    return ballots_cast * 100 >= Fraction(quorum_percent) * electorate


# --------------------------------------------------------------------------- lots


def _lot(seed: bytes, option_id: int) -> bytes:
    return hashlib.sha256(seed + str(option_id).encode()).digest()


def tie_order(seed: bytes, option_ids: Iterable[int]) -> list[int]:
    """The drawing of lots: ``option_ids`` ordered by SHA-256(seed ‖ str(option_id)), ascending.

    The FIRST option of the list loses: it is the one excluded (or not elected) when lots decide
    a tie, and the LAST one wins (its surplus is transferred first, it takes a contested seat).
    """
    return sorted(option_ids, key=lambda option: (_lot(seed, option), option))


# --------------------------------------------------------------------------- result


@dataclass
class Result:
    """The outcome of a tally, with every figure a page needs to show how it was reached."""

    outcome: str  # "passed" | "rejected" | "no_quorum"
    electorate: int
    ballots_cast: int
    turnout: Fraction  # ballots_cast / electorate
    quorum_met: bool  # the overall quorum and, when set, the class quorum in every class
    totals: dict[str, int]  # choice -> n; approval: str(option) -> approvals;
    #                         ranked: str(option) -> first preferences
    by_class: dict[str, dict]  # slug -> {"electorate", "cast", "totals", "quorum_met",
    #                            "share" (yes share, yes_no/consent), "passed" (concurrent mode)}
    weighted_yes: Fraction | None = None  # class_weighted mode only
    winners: list[int] = field(default_factory=list)  # approval/ranked, in order of election
    rounds: list[dict] = field(default_factory=list)  # approval: one; ranked: one per stage
    tie_break_used: bool = False

    def as_dict(self) -> dict:
        """JSON-friendly: fractions become decimal strings truncated to 6 places (and exact p/q)."""
        by_class = {}
        for slug, entry in self.by_class.items():
            share = entry.get("share")
            by_class[slug] = {
                **entry,
                "totals": dict(entry["totals"]),
                "share": None if share is None else decimal_string(share),
            }
        return {
            "outcome": self.outcome,
            "electorate": self.electorate,
            "ballots_cast": self.ballots_cast,
            "turnout": decimal_string(self.turnout),
            "turnout_exact": _fraction_string(self.turnout),
            "quorum_met": self.quorum_met,
            "totals": dict(self.totals),
            "by_class": by_class,
            "weighted_yes": _maybe(decimal_string, self.weighted_yes),
            "weighted_yes_exact": _maybe(_fraction_string, self.weighted_yes),
            "winners": list(self.winners),
            "rounds": copy.deepcopy(self.rounds),
            "tie_break_used": self.tie_break_used,
        }


def _fraction_string(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _maybe(show, value):
    return None if value is None else show(value)


# --------------------------------------------------------------------------- tally


def tally(
    *,
    method: str,
    tally_mode: str = "member",
    threshold: str = MAJORITY,
    quorum_percent: Fraction | int,
    class_quorum_percent: Fraction | int | None = None,
    electorate_by_class: Mapping[str, int],
    class_weights: Mapping[str, int],
    ballots: Iterable[Ballot],
    options: Sequence[int] = (),
    seats: int = 1,
    tie_seed: bytes = b"",
) -> Result:
    """Tally a closed vote. Raises TallyError on invalid inputs; never guesses.

    ``electorate_by_class`` and ``class_weights`` are the ones frozen when voting opened;
    ``ballots`` are the current ballots (one per member who voted). ``options``, ``seats`` and
    ``tie_seed`` matter to approval and ranked votes; ``tally_mode``, ``threshold`` and
    ``class_weights`` to yes_no and consent votes (approval and ranked are one member, one vote).
    """
    _check_method(method)
    if tally_mode not in TALLY_MODES:
        modes = ", ".join(TALLY_MODES)
        raise TallyError(f"Unknown tally mode {tally_mode!r}; expected one of {modes}.")
    threshold_value = parse_threshold(threshold)
    quorum = _percent(quorum_percent, "quorum_percent")
    class_quorum = (
        None
        if class_quorum_percent is None
        else _percent(class_quorum_percent, "class_quorum_percent")
    )
    if not isinstance(tie_seed, bytes):
        raise TallyError("tie_seed must be bytes.")
    electors = _checked_electorate(electorate_by_class)
    option_ids = _checked_options(method, options, seats)
    ballots = list(ballots)
    for ballot in ballots:
        validate_ballot(method, ballot, option_ids)
    cast_by_class = Counter(ballot.voter_class for ballot in ballots)
    for slug, cast in cast_by_class.items():
        if slug not in electors:
            raise TallyError(f"A ballot comes from class {slug!r}, which is not in the electorate.")
        if cast > electors[slug]:
            raise TallyError(f"Class {slug!r} cast {cast} ballots for {electors[slug]} electors.")

    electorate = sum(electors.values())
    cast = len(ballots)
    by_class = {}
    for slug, size in electors.items():
        class_quorum_met = None
        if class_quorum is not None and size > 0:
            class_quorum_met = quorum_reached(cast_by_class[slug], size, class_quorum)
        by_class[slug] = {
            "electorate": size,
            "cast": cast_by_class[slug],
            "totals": {},
            "quorum_met": class_quorum_met,
            "share": None,
            "passed": None,
        }
    quorum_met = quorum_reached(cast, electorate, quorum) and all(
        entry["quorum_met"] is not False for entry in by_class.values()
    )
    result = Result(
        outcome="no_quorum",
        electorate=electorate,
        ballots_cast=cast,
        turnout=Fraction(cast, electorate),
        quorum_met=quorum_met,
        totals={},
        by_class=by_class,
    )
    if method in CHOICES:
        _decide_by_threshold(result, method, tally_mode, threshold_value, class_weights, ballots)
    elif method == "approval":
        _count_approval(result, ballots, option_ids, seats, tie_seed)
    else:
        _count_ranked(result, ballots, option_ids, seats, tie_seed)
    return result


def _checked_electorate(electorate_by_class: Mapping[str, int]) -> dict[str, int]:
    electors = {}
    for slug in sorted(electorate_by_class):
        size = electorate_by_class[slug]
        if not isinstance(slug, str) or not slug:
            raise TallyError(f"A class slug must be a non-empty string, not {slug!r}.")
        if not _is_id(size) or size < 0:
            raise TallyError(f"Class {slug!r} has {size!r} electors; expected an integer >= 0.")
        electors[slug] = size
    if sum(electors.values()) == 0:
        raise TallyError("The electorate is empty: such a vote cannot open, so cannot be tallied.")
    return electors


def _checked_options(method: str, options: Sequence[int], seats: int) -> list[int]:
    option_ids = list(options)
    if method in CHOICES:
        return option_ids
    if not option_ids:
        raise TallyError(f"A {method} vote needs options.")
    if not all(_is_id(option) for option in option_ids):
        raise TallyError(f"Option ids are integers: {option_ids}.")
    if len(set(option_ids)) != len(option_ids):
        raise TallyError(f"Option ids repeat: {option_ids}.")
    if not _is_id(seats) or not 1 <= seats <= len(option_ids):
        raise TallyError(f"seats must be between 1 and the number of options, not {seats!r}.")
    return option_ids


# --------------------------------------------------------------------------- yes_no, consent


def _decide_by_threshold(
    result: Result,
    method: str,
    mode: str,
    threshold: Fraction | None,
    class_weights: Mapping[str, int],
    ballots: list[Ballot],
) -> None:
    for_key, against_key = _FOR_AGAINST[method]
    counts = Counter(ballot.choice for ballot in ballots)
    result.totals = {choice: counts[choice] for choice in CHOICES[method]}
    for slug, entry in result.by_class.items():
        class_counts = Counter(ballot.choice for ballot in ballots if ballot.voter_class == slug)
        entry["totals"] = {choice: class_counts[choice] for choice in CHOICES[method]}
        for_, against = class_counts[for_key], class_counts[against_key]
        entry["share"] = Fraction(for_, for_ + against) if for_ + against else None
    blocked = counts["block"] > 0

    if mode == "member":
        passed = _passes(counts[for_key], counts[against_key], threshold)
    elif mode == "class_weighted":
        weighted_yes = result.weighted_yes = _weighted_yes(result.by_class, class_weights)
        passed = weighted_yes is not None and _weighted_passes(weighted_yes, threshold)
    else:  # concurrent: the threshold must be met inside every class that has electors
        passed = True
        for entry in result.by_class.values():
            if entry["electorate"] == 0:
                continue
            totals = entry["totals"]
            # A class with electors but no yes/no votes fails: _passes is False for 0 vs 0.
            entry["passed"] = _passes(totals[for_key], totals[against_key], threshold)
            passed = passed and entry["passed"]
    if result.quorum_met:
        result.outcome = "passed" if passed and not blocked else "rejected"


def _weighted_yes(by_class: dict[str, dict], class_weights: Mapping[str, int]) -> Fraction | None:
    # Classes without yes/no votes (share None) are left out and the weights renormalised over
    # the rest; if no class has any, there is nothing to weigh and the proposal is rejected.
    for slug in by_class:
        weight = class_weights.get(slug)
        if not _is_id(weight) or weight <= 0:
            raise TallyError(f"Class {slug!r} needs a positive integer vote weight: {weight!r}.")
    shares = {slug: entry["share"] for slug, entry in by_class.items()}
    weighed = {slug: share for slug, share in shares.items() if share is not None}
    total_weight = sum(class_weights[slug] for slug in weighed)
    if total_weight == 0:
        return None
    weighted = sum((class_weights[slug] * share for slug, share in weighed.items()), Fraction(0))
    return weighted / total_weight


# --------------------------------------------------------------------------- approval


def _count_approval(
    result: Result, ballots: list[Ballot], options: list[int], seats: int, seed: bytes
) -> None:
    counts = Counter(option for ballot in ballots for option in ballot.approvals)
    result.totals = {str(option): counts[option] for option in options}
    for slug, entry in result.by_class.items():
        voted = [ballot.approvals for ballot in ballots if ballot.voter_class == slug]
        class_counts = Counter(option for approvals in voted for option in approvals)
        entry["totals"] = {str(option): class_counts[option] for option in options}
    if not result.quorum_met:
        return

    # An option nobody approved never wins, even if seats stay empty.
    approved = sorted((option for option in options if counts[option]), key=lambda o: -counts[o])
    winners, tie = approved[:seats], None
    if len(approved) > seats:
        cutoff = counts[approved[seats - 1]]
        above = [option for option in approved if counts[option] > cutoff]
        level = [option for option in approved if counts[option] == cutoff]
        places = seats - len(above)
        if len(level) > places:
            # A tie for the last seat(s). Approval has a single round, so there is no earlier
            # round to look back to: lots decide at once.
            order = tie_order(seed, level)
            winners = above + order[::-1][:places]
            tie = {"among": sorted(level), "decided_by": "lots", "lots_order": order}
            result.tie_break_used = True
    result.winners = winners
    result.rounds = [
        {
            "round": 1,
            "action": "approvals",
            "counts": {str(option): str(counts[option]) for option in options},
            "elected": list(winners),
            "eliminated": [],
            "tie_break": tie,
        }
    ]
    result.outcome = "passed" if winners else "rejected"


# --------------------------------------------------------------------------- ranked


def _count_ranked(
    result: Result, ballots: list[Ballot], options: list[int], seats: int, seed: bytes
) -> None:
    papers = Counter(ballot.ranking for ballot in ballots if ballot.ranking)
    firsts = Counter(ballot.ranking[0] for ballot in ballots if ballot.ranking)
    result.totals = {str(option): firsts[option] for option in options}
    for slug, entry in result.by_class.items():
        class_firsts = Counter(
            ballot.ranking[0] for ballot in ballots if ballot.voter_class == slug and ballot.ranking
        )
        entry["totals"] = {str(option): class_firsts[option] for option in options}
    if not result.quorum_met:
        return
    if not papers:  # every ballot abstained: nobody can be elected by nobody
        result.outcome = "rejected"
        return
    count = _RankedCount(papers, options, seats, seed)
    result.winners = count.run()
    result.rounds = count.rounds
    result.tie_break_used = count.tie_break_used
    result.outcome = "passed" if result.winners else "rejected"


_CONTINUING, _ELECTED, _EXCLUDED = "continuing", "elected", "excluded"
_ONE = Fraction(1)


class _RankedCount:
    """One count of ranked ballot papers.

    ``seats == 1`` is instant-runoff: the lowest continuing option is excluded, stage after
    stage, until one holds more than half of the votes still held by continuing options.

    ``seats > 1`` is Scottish STV (SSI 2007/42, Schedule 1, rules 45 to 52):

    - rule 46: quota = floor(valid papers / (seats + 1)) + 1;
    - rule 47: an option whose votes equal or exceed the quota at any stage is elected;
    - rule 48: a surplus is transferred by re-examining *every* paper the option holds (inclusive
      Gregory), each at ``surplus × its value / the option's total`` truncated to 5 decimals
      (weighted); what truncation and papers without a next preference leave is non-transferable;
    - rule 49: with several surpluses, the largest is transferred first;
    - rule 50: otherwise the option with the fewest votes is excluded and all its papers move,
      in one stage, at the value they had;
    - rule 52: when the continuing options are no more than the seats left, they are elected and
      no further transfer is made.

    Ties (rules 49(2)-(3) and 51, and RULES.md §2): the option with fewer votes at the end of the
    latest earlier stage where the tied options differ loses; if they never differed, lots
    (``tie_order``) decide.

    Every stage is recorded in ``rounds`` with its counts as exact decimal strings (5 places for
    STV, where every value is a multiple of 0.00001; whole numbers for instant-runoff).
    """

    def __init__(self, papers: Counter, options: list[int], seats: int, seed: bytes) -> None:
        self.options = options
        self.seats = seats
        self.seed = seed
        self.instant_runoff = seats == 1
        self.places = 0 if self.instant_runoff else STV_PLACES
        valid = sum(papers.values())
        self.quota = None if self.instant_runoff else Fraction(valid // (seats + 1) + 1)
        self.status = dict.fromkeys(options, _CONTINUING)
        # piles[option][(ranking, value)] = number of papers held by that option at that value
        self.piles: dict[int, Counter] = {option: Counter() for option in options}
        self.votes = dict.fromkeys(options, Fraction(0))
        for ranking, n in sorted(papers.items()):
            self.piles[ranking[0]][ranking, _ONE] += n
            self.votes[ranking[0]] += n
        self.elected: list[int] = []
        self.surplus_transferred: set[int] = set()
        self.non_transferable = Fraction(0)
        self.history: list[dict[int, Fraction]] = []  # the votes at the end of every stage
        self.rounds: list[dict] = []
        self.tie_break_used = False

    # ----------------------------------------------------------------- the count

    def run(self) -> list[int]:
        stage = {"action": "first_preferences", "option": None, "transfers": {}}
        while True:
            self._end_stage(stage)
            vacancies = self.seats - len(self.elected)
            if vacancies == 0:
                break
            continuing = self._continuing()
            if len(continuing) <= vacancies:  # rule 52: the last vacancies
                self.rounds[-1]["elected"].extend(continuing)
                self.rounds[-1]["elected_without_quota"] = list(continuing)
                for option in continuing:
                    self.status[option] = _ELECTED
                self.elected.extend(continuing)
                break
            holder, tie = self._largest_surplus()
            if holder is not None:
                stage = self._transfer_surplus(holder)
            else:
                loser, tie = self._lowest()
                stage = self._exclude(loser)
            stage["tie_break"] = tie
        return self.elected

    def _continuing(self) -> list[int]:
        return [option for option in self.options if self.status[option] == _CONTINUING]

    def _end_stage(self, stage: dict) -> None:
        continuing = self._continuing()
        active = sum((self.votes[option] for option in continuing), Fraction(0))
        if self.instant_runoff:
            reached = [option for option in continuing if self.votes[option] * 2 > active]
        else:
            reached = [option for option in continuing if self.votes[option] >= self.quota]
        reached.sort(key=lambda option: -self.votes[option])
        for option in reached:
            self.status[option] = _ELECTED
        self.elected.extend(reached)
        self.history.append(dict(self.votes))
        self.rounds.append(
            {
                "round": len(self.rounds) + 1,
                "action": stage["action"],  # first_preferences | surplus | exclusion
                "option": stage["option"],  # whose papers were transferred
                "transfer_values": stage.get("transfer_values", {}),  # paper value -> new value
                "transfers": stage["transfers"],  # option -> votes given (-) or received (+)
                "non_transferable": stage.get("non_transferable", self._fmt(Fraction(0))),
                "non_transferable_total": self._fmt(self.non_transferable),
                "quota": None if self.quota is None else self._fmt(self.quota),
                "continuing_votes": self._fmt(active),
                "counts": {str(option): self._fmt(self.votes[option]) for option in self.options},
                "elected": list(reached),
                "elected_without_quota": [],
                "eliminated": [stage["option"]] if stage["action"] == "exclusion" else [],
                "tie_break": stage.get("tie_break"),
            }
        )

    def _fmt(self, value: Fraction) -> str:
        return decimal_string(value, self.places)

    def _next_preference(self, ranking: tuple[int, ...]) -> int | None:
        # Every preference before the paper's current holder is for an option that is no longer
        # continuing, and so is the holder itself, so the first continuing option on the paper
        # is its next available preference.
        return next((option for option in ranking if self.status[option] == _CONTINUING), None)

    def _move(self, parcels: Iterable[tuple[tuple, Fraction, int]]) -> tuple[dict, Fraction]:
        """Move (ranking, new value, papers) parcels on; returns what each option received and
        the value of the papers that had no next available preference."""
        received = dict.fromkeys(self._continuing(), Fraction(0))
        exhausted = Fraction(0)
        for ranking, value, n in parcels:
            target = self._next_preference(ranking)
            if target is None:
                exhausted += n * value
                continue
            if value:
                self.piles[target][ranking, value] += n
                received[target] += n * value
        for option, amount in received.items():
            self.votes[option] += amount
        return received, exhausted

    def _transfer_surplus(self, holder: int) -> dict:
        total = self.votes[holder]
        surplus = total - self.quota
        new_values = {}
        parcels = []
        for (ranking, value), n in sorted(self.piles[holder].items()):
            if value not in new_values:  # rule 48(3): surplus × value of the paper / total
                new_values[value] = _truncate(surplus * value / total, STV_PLACES)
            parcels.append((ranking, new_values[value], n))
        received, _ = self._move(parcels)
        moved = sum(received.values(), Fraction(0))
        lost = surplus - moved  # papers without a next preference, and what truncation left
        self.non_transferable += lost
        self.votes[holder] = self.quota
        self.surplus_transferred.add(holder)
        self.piles[holder] = Counter()
        return {
            "action": "surplus",
            "option": holder,
            "transfer_values": {
                self._fmt(value): self._fmt(new_values[value])
                for value in sorted(new_values, reverse=True)
            },
            "transfers": self._transfers(holder, -surplus, received),
            "non_transferable": self._fmt(lost),
        }

    def _exclude(self, loser: int) -> dict:
        self.status[loser] = _EXCLUDED
        held = self.votes[loser]
        parcels = [(ranking, value, n) for (ranking, value), n in sorted(self.piles[loser].items())]
        received, exhausted = self._move(parcels)
        self.non_transferable += exhausted
        self.votes[loser] = Fraction(0)
        self.piles[loser] = Counter()
        return {
            "action": "exclusion",
            "option": loser,
            "transfers": self._transfers(loser, -held, received),
            "non_transferable": self._fmt(exhausted),
        }

    def _transfers(self, source: int, given: Fraction, received: dict) -> dict[str, str]:
        amounts = {source: given, **received}
        shown = [option for option in self.options if option in amounts]
        return {str(option): self._fmt(amounts[option]) for option in shown}

    # ----------------------------------------------------------------- choices and ties

    def _largest_surplus(self) -> tuple[int | None, dict | None]:
        if self.instant_runoff:
            return None, None
        holders = [
            option
            for option in self.elected
            if option not in self.surplus_transferred and self.votes[option] > self.quota
        ]
        if not holders:
            return None, None
        largest = max(self.votes[option] for option in holders)
        tied = [option for option in holders if self.votes[option] == largest]
        if len(tied) == 1:
            return tied[0], None
        # rule 49(2)-(3): the one that had more votes at the latest stage where they differed
        # goes first; taking out the loser of the tie until one is left finds it.
        remaining, how = list(tied), []
        while len(remaining) > 1:
            loser, record = self._tie_loser(remaining)
            remaining.remove(loser)
            how.append(record["decided_by"])
        record = {
            "among": sorted(tied),
            "decided_by": "lots" if "lots" in how else "earlier_round",
            "first": remaining[0],
        }
        return remaining[0], record

    def _lowest(self) -> tuple[int, dict | None]:
        continuing = self._continuing()
        fewest = min(self.votes[option] for option in continuing)
        tied = [option for option in continuing if self.votes[option] == fewest]
        if len(tied) == 1:
            return tied[0], None
        return self._tie_loser(tied)

    def _tie_loser(self, tied: list[int]) -> tuple[int, dict]:
        """The option that loses a tie: fewer votes at the latest stage where the tied options
        differ (narrowing to those lowest there, then looking further back); else lots."""
        self.tie_break_used = True
        remaining = list(tied)
        for index in range(len(self.history) - 1, -1, -1):
            counts = self.history[index]
            fewest = min(counts[option] for option in remaining)
            remaining = [option for option in remaining if counts[option] == fewest]
            if len(remaining) == 1:
                record = {"among": sorted(tied), "decided_by": "earlier_round", "round": index + 1}
                return remaining[0], record
        order = tie_order(self.seed, remaining)
        return order[0], {"among": sorted(tied), "decided_by": "lots", "lots_order": order}
