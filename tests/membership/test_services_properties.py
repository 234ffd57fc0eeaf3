"""Property tests of the share register: any sequence of payments and reversals within the
subscription keeps the RULES.md §1 invariants."""

from datetime import UTC, date, datetime

import pytest
from django.db import transaction
from django.db.models import Case, IntegerField, Sum, Value, When
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.errors import InvalidInput
from membership import services
from membership.models import Application, Member, RegisterEvent, ShareCertificate, SharePayment
from membership.models import StakeholderClass as Klass
from tests.membership.factories import REGISTRAR

from .factories import UserFactory

pytestmark = pytest.mark.django_db

PAID_ON = date(2026, 2, 2)
SUBMITTED = datetime(2026, 2, 1, 12, tzinfo=UTC)

classes = st.tuples(
    st.sampled_from([1, 7, 2500, 5000]),  # share price
    st.integers(min_value=1, max_value=5),  # max shares
).flatmap(lambda t: st.tuples(
    st.just(t[0]), st.integers(min_value=1, max_value=t[1]), st.just(t[1])))

operation = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 1), st.integers(1, 10**9)),
    st.tuples(st.just("overpay"), st.integers(0, 1), st.integers(1, 10**4)),
    st.tuples(st.just("reverse"), st.integers(0, 1), st.integers(0, 50)),
)


def register_sum(member) -> int:
    delta = Case(When(kind="issue", then=Value(1)), default=Value(-1),
                 output_field=IntegerField())
    return RegisterEvent.objects.filter(member=member).aggregate(n=Sum(delta, default=0))["n"]


def check_invariants(members, price, min_shares, subscribed, paid):
    for i, member in enumerate(members):
        member = Member.objects.get(pk=member.pk)
        expected = min(paid[i] // price, subscribed[i])
        assert member.paid_minor == paid[i]
        assert member.shares_held == expected
        assert register_sum(member) == expected
        assert ShareCertificate.objects.filter(member=member, status="issued").count() == expected
        expected_status = (Member.Status.ACTIVE if expected >= min_shares
                           else Member.Status.AWAITING_PAYMENT)
        assert member.status == expected_status
        assert (member.activated_on is not None) == (expected_status == Member.Status.ACTIVE)
    numbers = list(ShareCertificate.objects.order_by("certificate_number")
                   .values_list("certificate_number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))  # unique and gap-free


@settings(max_examples=30, deadline=None)
@given(klass=classes, second_shares=st.integers(1, 5),
       operations=st.lists(operation, max_size=12))
def test_holdings_follow_payments_and_reversals(klass, second_shares, operations):
    price, min_shares, max_shares = klass
    # Every example starts from an empty register: its writes are rolled back at the end.
    with transaction.atomic():
        stakeholder_class = Klass.objects.create(
            slug="prop", name="Prop", share_price_minor=price, min_shares=min_shares,
            max_shares=max_shares, patronage_measure="hours")
        subscribed = [max_shares, max(min_shares, min(second_shares, max_shares))]
        members = []
        for shares in subscribed:
            user = UserFactory()
            application = services.application_submit(
                stakeholder_class=stakeholder_class, shares=shares, name="P", email=user.email,
                user=user)
            # Applied the day before: an approval cannot predate the application.
            Application.objects.filter(pk=application.pk).update(submitted_at=SUBMITTED)
            # Admitted on the payments' date: a payment cannot predate admission.
            members.append(services.applications_approve(actor=REGISTRAR,
                                                         application_ids=[application.pk],
                                                         on=PAID_ON)[0])
        paid = [0, 0]
        live: list[list[SharePayment]] = [[], []]
        for kind, who, n in operations:
            outstanding = subscribed[who] * price - paid[who]
            if kind == "pay" and outstanding > 0:
                amount = 1 + n % outstanding
                live[who].append(services.share_payment_record(actor=REGISTRAR,
                    member=members[who], amount_minor=amount, paid_on=PAID_ON))
                paid[who] += amount
            elif kind == "overpay" or (kind == "pay" and outstanding == 0):
                with pytest.raises(InvalidInput):
                    services.share_payment_record(actor=REGISTRAR, member=members[who],
                                                  amount_minor=outstanding + 1 + n % 3,
                                                  paid_on=PAID_ON)
            elif kind == "reverse" and live[who]:
                payment = live[who].pop(n % len(live[who]))
                services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason="returned",
                                               on=PAID_ON)
                paid[who] -= payment.amount_minor
            check_invariants(members, price, min_shares, subscribed, paid)
        check_invariants(members, price, min_shares, subscribed, paid)
        transaction.set_rollback(True)
