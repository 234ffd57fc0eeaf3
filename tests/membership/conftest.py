"""Fixtures shared by the membership test modules (plain helpers: factories.py)."""

import pytest

from tests.membership.factories import StakeholderClassFactory

PRICE = 5000  # a share, in minor units (the value test_services.py and its neighbours use)


@pytest.fixture
def klass():
    """Photographers: shares of 50.00, at least 2 and at most 5 a member."""
    return StakeholderClassFactory(slug="photographers", share_price_minor=PRICE,
                                   min_shares=2, max_shares=5)
