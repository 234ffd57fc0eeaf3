"""The demo's membership notices are dated at each event's own time (issue #8, item 23), not
at the moment the seed ran: the welcome on the day of admission, a payment's notice on the day
it was paid, a rejection when it was decided."""

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from coop.models import Notice
from membership import services
from membership.models import Application
from membership.seed import date_notices_by_history
from tests.membership.factories import REGISTRAR, StakeholderClassFactory, UserFactory

pytestmark = pytest.mark.django_db


def at_ten(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


def apply(klass, on: date):
    user = UserFactory()
    application = services.application_submit(stakeholder_class=klass, shares=klass.min_shares,
                                              name=user.full_name, email=user.email, user=user)
    Application.objects.filter(pk=application.pk).update(submitted_at=at_ten(on))  # as the seed
    return application


def test_notices_follow_the_admission_payment_and_rejection_dates(
        django_capture_on_commit_callbacks):
    klass = StakeholderClassFactory()
    admitted, paid_on, rejected_at = date(2025, 3, 4), date(2025, 3, 20), at_ten(date(2025, 5, 6))
    with django_capture_on_commit_callbacks(execute=True):  # notices are made on commit
        member, = services.applications_approve(application_ids=[apply(klass, admitted).pk],
                                                actor=REGISTRAR, on=admitted)
        services.share_payment_record(member=member, amount_minor=klass.share_price_minor,
                                      paid_on=paid_on, reference="SEPA 1", actor=REGISTRAR)
        refused = services.application_reject(application=apply(klass, admitted), reason="Not a "
                                              "photographer.", actor=REGISTRAR)
    Application.objects.filter(pk=refused.pk).update(decided_at=rejected_at)
    before = {n.kind: n.created_at for n in Notice.objects.all()}
    assert all(moment.date() == timezone.localdate() for moment in before.values())

    date_notices_by_history()

    after = {n.kind: n.created_at for n in Notice.objects.all()}
    assert after == {
        "membership.application_approved": at_ten(admitted),
        "membership.payment_recorded": at_ten(paid_on),
        "membership.application_rejected": rejected_at,
    }
