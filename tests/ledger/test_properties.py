"""A Hypothesis state machine of postings and reversals (issue #9): debits always equal credits,
and every balance equals an in-memory model of the books."""

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from coop.errors import Conflict
from coop.models import Cooperative
from ledger import accounts, selectors, services
from ledger.journal import Line
from ledger.models import Account, DayBalance, JournalEntry, JournalLine
from tests.ledger.factories import BOOKKEEPER

pytestmark = pytest.mark.django_db

CODES = [code for code, _, _ in accounts.CHART]
TYPES = {code: type_ for code, _, type_ in accounts.CHART}
START = date(2025, 1, 1)

amounts = st.integers(min_value=1, max_value=10**12)
sides = st.lists(st.tuples(st.sampled_from(CODES), amounts), min_size=1, max_size=4)


def signed(code, debit, credit):
    return debit - credit if TYPES[code] in accounts.DEBIT_NORMAL else credit - debit


class Books(RuleBasedStateMachine):
    entries = Bundle("entries")

    def __init__(self):
        super().__init__()
        # Each run starts from empty books and leaves none behind.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.model = defaultdict(lambda: defaultdict(lambda: [0, 0]))  # day → code → [Dr, Cr]
        self.reversed = set()
        self.keys = 0
        # A first, one-month period (the fiscal year starts on 1 February), closed by a rule.
        cooperative = Cooperative.current()
        cooperative.fiscal_year_start = "02-01"
        cooperative.save()
        self.january = services.period_create(actor=BOOKKEEPER, start=START,
                                               end=date(2025, 1, 31))
        self.closed = False

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _key(self):
        self.keys += 1
        return f"k{self.keys}"

    def _apply(self, day, lines):
        for ln in lines:
            self.model[day][ln.account][0] += ln.debit_minor
            self.model[day][ln.account][1] += ln.credit_minor

    @rule(target=entries, debits=sides, credit_accounts=st.lists(st.sampled_from(CODES),
                                                                 min_size=1, max_size=3),
          offset=st.integers(0, 60))
    def post(self, debits, credit_accounts, offset):
        # Split the debits' total over the credit accounts, so the entry balances.
        total = sum(amount for _, amount in debits)
        parts = [total // len(credit_accounts)] * len(credit_accounts)
        parts[0] += total - sum(parts)
        lines = [Line(code, debit_minor=a) for code, a in debits]
        lines += [Line(code, credit_minor=p) for code, p in zip(credit_accounts, parts) if p > 0]
        day = START + timedelta(days=offset)
        if self.closed and day <= self.january.end:
            with pytest.raises(Conflict, match="closed fiscal period"):
                services.entry_post(actor=BOOKKEEPER, date=day, description="random",
                                    lines=lines, idempotency_key=self._key())
            return multiple()
        entry = services.entry_post(actor=BOOKKEEPER, date=day, description="random",
                                    lines=lines, idempotency_key=self._key())
        self._apply(day, lines)
        return entry

    @rule()
    def close_january(self):
        """The close moves January's revenue and expenses to Unallocated surplus (modelled
        here line by line) and refuses later postings dated in January."""
        if self.closed:
            with pytest.raises(Conflict, match="already closed"):
                services.period_close(actor=BOOKKEEPER, period=self.january)
            return
        net = defaultdict(int)
        for day, codes in self.model.items():
            if day <= self.january.end:
                for code, (debit, credit) in codes.items():
                    if TYPES[code] in accounts.RESULT_TYPES:
                        net[code] += credit - debit
        period = services.period_close(actor=BOOKKEEPER, period=self.january)
        assert period.surplus_minor == sum(net.values())
        closing = [Line(code, debit_minor=max(n, 0), credit_minor=max(-n, 0))
                   for code, n in net.items() if n]
        surplus = sum(net.values())
        closing.append(Line(accounts.UNALLOCATED_SURPLUS, debit_minor=max(-surplus, 0),
                            credit_minor=max(surplus, 0)))
        self._apply(self.january.end, closing)
        self.closed = True

    @rule(entry=entries, later=st.integers(0, 30))
    def reverse(self, entry, later):
        day = entry.date + timedelta(days=later)
        if entry.pk in self.reversed or entry.reverses_id is not None or (
                self.closed and day <= self.january.end):
            with pytest.raises(Conflict):
                services.entry_reverse(actor=BOOKKEEPER, entry=entry, date=day, reason="test",
                                       idempotency_key=self._key())
            return
        services.entry_reverse(actor=BOOKKEEPER, entry=entry, date=day, reason="test",
                               idempotency_key=self._key())
        self.reversed.add(entry.pk)
        self._apply(day, [Line(ln.account.code, debit_minor=ln.credit_minor,
                               credit_minor=ln.debit_minor) for ln in entry.lines.all()])

    @rule(entry=entries)
    def resend(self, entry):
        """The same key and payload again: the same entry, nothing added."""
        lines = [Line(ln.account.code, ln.debit_minor, ln.credit_minor, ln.member_id)
                 for ln in entry.lines.order_by("pk")]
        again = services.entry_post(actor=BOOKKEEPER, date=entry.date,
                                    description=entry.description, lines=lines,
                                    idempotency_key=entry.idempotency_key, kind=entry.kind,
                                    reverses=entry.reverses)
        assert again.pk == entry.pk

    @invariant()
    def debits_equal_credits(self):
        sums = JournalLine.objects.aggregate(d=Sum("debit_minor", default=0),
                                             c=Sum("credit_minor", default=0))
        assert sums["d"] == sums["c"]
        days = DayBalance.objects.aggregate(d=Sum("debit_minor", default=0),
                                            c=Sum("credit_minor", default=0))
        assert days == sums

    @invariant()
    def balances_equal_the_model(self):
        for code in CODES:
            totals = [sum(v[code][i] for v in self.model.values()) for i in (0, 1)]
            assert selectors.account_balance(code) == signed(code, *totals)
        if self.model:
            middle = START + timedelta(days=30)
            for code in (accounts.BANK, accounts.REVENUE):
                totals = [sum(v[code][i] for d, v in self.model.items() if d <= middle)
                          for i in (0, 1)]
                assert selectors.account_balance(code, on=middle) == signed(code, *totals)

    @invariant()
    def numbers_are_gap_free(self):
        numbers = list(JournalEntry.objects.values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))


def test_postings_and_reversals_keep_the_books(db):
    assert Account.objects.count() == len(CODES)
    run_state_machine_as_test(Books, settings=settings(max_examples=20, stateful_step_count=15,
                                                       deadline=None))
