"""The figures the result page shows (issue #8 item 19): percentages cut to one decimal, next
to the exact fraction that decides, and the class share the page recomputes exactly matching
the one the tally stored (truncated). Worked examples and Hypothesis properties; and the page's
queries do not grow with the number of classes."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from governance import services, tally
from governance.views.results import _bars, _plain, _share
from tests.governance.helpers import close, members, voting


def test_worked_examples():
    assert _share(2, 3) == {"percent": "66.6", "exact": "2/3"}  # cut, never rounded up
    assert _share(1, 1) == {"percent": "100.0", "exact": "1/1"}
    assert _share(0, 7) == {"percent": "0.0", "exact": "0/1"}
    assert _share("3.50000", 7) == {"percent": "50.0", "exact": "1/2"}  # an STV count
    assert _share("3/4", 1) == {"percent": "75.0", "exact": "3/4"}  # weighted_yes_exact
    assert _share(3, 0) is None  # nobody to share among: no figure rather than 0 %
    assert [_plain(Decimal(t)) for t in ("3.00000", "2.50000", "300", "0.00000")] == [
        "3", "2.5", "300", "0"]


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_the_percentage_is_the_exact_share_cut_to_one_decimal(part, extra):
    whole = part + extra - 1 if part + extra > 1 else 1
    part = min(part, whole)
    shown = _share(part, whole)
    exact = Fraction(part, whole)
    assert Fraction(shown["exact"]) == exact
    percent = Fraction(Decimal(shown["percent"]))
    assert percent <= exact * 100 < percent + Fraction(1, 10)
    assert shown["percent"].split(".")[1].isdigit() and len(shown["percent"].split(".")[1]) == 1


@given(st.sampled_from(["yes_no", "consent"]), st.lists(st.integers(0, 4), min_size=4,
                                                         max_size=4))
def test_the_class_share_matches_the_stored_one(method, counts):
    choices = tally.CHOICES[method]
    ballots = [tally.Ballot(voter_class="workers", choice=choice)
               for choice, n in zip(choices, counts, strict=False) for _ in range(n)]
    result = tally.tally(method=method, quorum_percent=0, electorate_by_class={"workers": 20},
                         class_weights={"workers": 1}, ballots=ballots).as_dict()
    entry = result["by_class"]["workers"]
    exact = tally.yes_share(method, entry["totals"])
    stored = entry["share"]
    assert (exact is None) == (stored is None)
    if exact is not None:
        assert tally.decimal_string(exact) == stored


@given(st.lists(st.tuples(st.text(min_size=1, max_size=80),
                          st.integers(0, 100_000)), min_size=1, max_size=8))
def test_the_chart_leaves_room_for_every_value(rows):
    total = sum(value for _, value in rows) or 1
    chart = _bars([(label, Decimal(value), _share(value, total)) for label, value in rows])
    for bar in chart["bars"]:
        assert bar["width"] >= 0 and len(bar["short"]) <= 38
        # The value's text (9 units a character at most) ends inside the chart.
        assert bar["value_x"] + len(bar["value"]) * 9 <= chart["width"]


@pytest.mark.django_db
def test_the_result_page_costs_the_same_queries_for_one_class_or_four(client):
    """The class names come in one query, whatever the number of classes."""
    counts = []
    for n, slugs in enumerate((["workers"], ["users", "clients", "staff", "friends"])):
        voters = [m for slug in slugs for m in members(2, f"{slug}{n}")]
        p = voting(author=voters[0])
        for m in voters:
            services.ballot_cast(proposal=p, member=m, choice="yes")
        close(p)
        client.force_login(voters[0].user)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/governance/proposals/{p.pk}/result/").content.decode()
        assert html.count('<th scope="row">') >= len(slugs) + 3  # classes and totals rows
        counts.append(len(queries))
    assert counts[0] == counts[1]
