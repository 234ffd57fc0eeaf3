"""An overpayment is refused in money, on every face (the service's message is what the API's
400 and the pages show)."""

import pytest
from django.utils import timezone

from coop.errors import InvalidInput
from membership import services
from tests.membership.factories import REGISTRAR, StakeholderClassFactory, make_member

pytestmark = pytest.mark.django_db


def test_an_overpayment_is_refused_with_what_is_outstanding_in_money():
    member = make_member(stakeholder_class=StakeholderClassFactory())  # 2 shares at 50.00 EUR
    services.share_payment_record(member=member, amount_minor=2550,
                                  paid_on=timezone.localdate(), actor=REGISTRAR)

    with pytest.raises(InvalidInput) as refused:
        services.share_payment_record(member=member, amount_minor=10000,
                                      paid_on=timezone.localdate(), actor=REGISTRAR)

    expected = "This would overpay the subscription: only 74.50 EUR is outstanding."
    assert str(refused.value) == expected
    assert refused.value.errors == {"amount_minor": [expected]}
    member.refresh_from_db()
    assert member.paid_minor == 2550
