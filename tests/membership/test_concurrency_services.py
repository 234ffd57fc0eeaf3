"""Concurrent calls of the membership services on PostgreSQL (real transactions, real row locks).

The API-level races are tested with the API; these call the services from threads directly.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from coop.errors import Conflict, InvalidInput
from coop.models import Counter
from membership import services
from membership.models import Application, Member, ShareCertificate, SharePayment
from tests.concurrency import run_together
from tests.membership.factories import REGISTRAR

from .factories import StakeholderClassFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PRICE = 5000
PAID_ON = date(2026, 3, 2)  # also the day the paying members join: no payment predates it
SUBMITTED = datetime(2026, 3, 1, 12, tzinfo=UTC)



def applications(klass, n, shares=None):
    out = []
    for i in range(n):
        user = UserFactory()
        out.append(services.application_submit(
            stakeholder_class=klass, shares=shares[i] if shares else 2, name="A",
            email=user.email, user=user))
    # Applied before PAID_ON, in the same order: an approval cannot predate the application.
    for minute, application in enumerate(out):
        Application.objects.filter(pk=application.pk).update(
            submitted_at=SUBMITTED + timedelta(minutes=minute))
    return out


@pytest.fixture
def small_klass():
    """At most 4 shares a member (membership/conftest.py's `klass` allows 5)."""
    return StakeholderClassFactory(share_price_minor=PRICE, min_shares=2, max_shares=4)


def test_simultaneous_approvals_never_share_or_skip_a_member_number(small_klass):
    pending = applications(small_klass, 8)
    results, errors = run_together(
        [lambda a=a: services.application_approve(actor=REGISTRAR, application=a) for a in pending])
    assert errors == [None] * 8
    numbers = sorted(Member.objects.values_list("member_number", flat=True))
    assert numbers == list(range(1, 9))
    assert Counter.objects.get(name="member_number").last_value == 8


def test_simultaneous_batch_approvals_keep_submission_order_within_each_batch(small_klass):
    pending = applications(small_klass, 12)
    batches = [pending[i::4] for i in range(4)]  # interleaved: 4 batches of 3
    results, errors = run_together(
        [lambda b=b: services.applications_approve(actor=REGISTRAR,
                                                   application_ids=[a.pk for a in b])
         for b in batches])
    assert errors == [None] * 4
    assert sorted(Member.objects.values_list("member_number", flat=True)) == list(range(1, 13))
    for batch, members in zip(batches, results, strict=True):
        by_application = {m.application_id: m.member_number for m in members}
        numbers = [by_application[a.pk] for a in batch]  # batch is in submission order
        assert numbers == sorted(numbers)
        assert numbers == list(range(numbers[0], numbers[0] + 3))  # a batch takes a run


def test_approving_the_same_application_twice_at_once_admits_once(small_klass):
    (application,) = applications(small_klass, 1)
    results, errors = run_together(
        [lambda: services.application_approve(actor=REGISTRAR, application=application)] * 2)
    assert sorted(type(e).__name__ for e in errors if e) == ["Conflict"]
    assert isinstance([e for e in errors if e][0], Conflict)
    assert Member.objects.count() == 1
    assert Counter.objects.get(name="member_number").last_value == 1


def test_simultaneous_payments_never_share_or_skip_a_certificate_number(small_klass):
    shares = [2, 3, 4, 2, 3, 4, 2, 3]
    members = [services.applications_approve(actor=REGISTRAR, application_ids=[a.pk], on=PAID_ON)[0]
               for a in applications(small_klass, 8, shares)]
    results, errors = run_together(
        [lambda m=m, n=n: services.share_payment_record(actor=REGISTRAR,
                                                        member=m, amount_minor=n * PRICE,
                                                        paid_on=PAID_ON)
         for m, n in zip(members, shares, strict=True)])
    assert errors == [None] * 8
    numbers = sorted(ShareCertificate.objects.values_list("certificate_number", flat=True))
    assert numbers == list(range(1, sum(shares) + 1))
    for member, n in zip(members, shares, strict=True):
        member = Member.objects.get(pk=member.pk)
        assert member.shares_held == n
        assert member.status == Member.Status.ACTIVE
        # A member's certificates come from one payment, so they form one consecutive run.
        mine = sorted(member.certificates.values_list("certificate_number", flat=True))
        assert mine == list(range(mine[0], mine[0] + n))
    assert Counter.objects.get(name="certificate_number").last_value == sum(shares)


def test_two_payments_that_together_would_overpay_exactly_one_succeeds(small_klass):
    (application,) = applications(small_klass, 1)
    member = services.applications_approve(actor=REGISTRAR, application_ids=[application.pk],
                                           on=PAID_ON)[0]  # 2 × 5000 outstanding
    results, errors = run_together(
        [lambda: services.share_payment_record(actor=REGISTRAR, member=member, amount_minor=6000,
                                               paid_on=PAID_ON)] * 2)
    assert sum(r is not None for r in results) == 1
    failures = [e for e in errors if e]
    assert len(failures) == 1
    assert isinstance(failures[0], InvalidInput)
    assert "amount_minor" in failures[0].errors
    member = Member.objects.get(pk=member.pk)
    assert member.paid_minor == 6000
    assert member.shares_held == 1
    assert SharePayment.objects.filter(member=member).count() == 1


def test_reversing_the_same_payment_twice_at_once_reverses_once(small_klass):
    (application,) = applications(small_klass, 1)
    member = services.applications_approve(actor=REGISTRAR,
                                           application_ids=[application.pk], on=PAID_ON)[0]
    payment = services.share_payment_record(actor=REGISTRAR, member=member, amount_minor=2 * PRICE,
                                            paid_on=PAID_ON)
    results, errors = run_together(
        [lambda: services.share_payment_reverse(actor=REGISTRAR,
                                                payment=payment, reason="bounced")] * 2)
    failures = [e for e in errors if e]
    assert len(failures) == 1
    assert isinstance(failures[0], Conflict)
    member = Member.objects.get(pk=member.pk)
    assert (member.paid_minor, member.shares_held) == (0, 0)
    assert member.status == Member.Status.AWAITING_PAYMENT
    assert ShareCertificate.objects.filter(status="cancelled").count() == 2
