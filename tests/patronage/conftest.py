from datetime import date

import pytest

from governance.models import Category
from patronage import services
from tests.governance.helpers import ensure_categories
from tests.membership.factories import StakeholderClassFactory
from tests.patronage.factories import PATRONAGE_JOB, closed_period, imported, make_policy


@pytest.fixture
def policy_category(db):
    """The `policy` category (branch `gov` adds it by migration; made here if missing)."""
    ensure_categories()
    category, _ = Category.objects.get_or_create(
        slug="policy", defaults={"name": "Policy", "min_quorum_percent": 20,
                                 "min_threshold": "2/3", "min_voting_hours": 72})
    return category


@pytest.fixture
def cooperative(db):
    """The full example of tests/patronage/test_allocation.py, S = 1,000,000, as books: the
    register imported with its history, then revenue, expenses, contributions, the close."""
    workers = StakeholderClassFactory(slug="workers", name="Workers", share_price_minor=50_000,
                                      min_shares=1, max_shares=10, patronage_measure="hours")
    users = StakeholderClassFactory(slug="users", name="Users", share_price_minor=10_000,
                                    min_shares=1, max_shares=10, patronage_measure="purchases")
    contributors = StakeholderClassFactory(slug="contributors", name="Contributors",
                                           share_price_minor=0, min_shares=1, max_shares=1,
                                           patronage_measure="photos licensed")
    members = {
        1: imported(1, workers, date(2024, 3, 1), 2, (100_000, date(2024, 3, 1))),
        2: imported(2, workers, date(2025, 6, 20), 1, (50_000, date(2025, 7, 1))),
        3: imported(3, users, date(2024, 1, 10), 2, (20_000, date(2024, 1, 10)),
                    exited_on=date(2025, 6, 30)),
        4: imported(4, users, date(2025, 2, 1), 3, (20_000, date(2025, 2, 1)),
                    (10_000, date(2025, 5, 1)), reverse=(1, date(2025, 5, 20))),
        5: imported(5, contributors, date(2024, 5, 5), 1),
    }
    make_policy(effective_from=date(2024, 1, 1), class_shares_bp={
        "workers": 5000, "users": 3000, "contributors": 2000})
    for number, quantity in ((1, "120.5"), (2, "60.25"), (3, "40"), (4, "80")):
        services.contribution_record(actor=PATRONAGE_JOB, member=members[number],
                                     date=date(2025, 11, 3), quantity=quantity,
                                     external_id=f"c{number}")
    # Outside the period: not counted.
    services.contribution_record(actor=PATRONAGE_JOB, member=members[1], date=date(2026, 1, 2),
                                 quantity="999", external_id="next-year")
    period = closed_period(revenue=1_500_000, expenses=500_000)
    assert period.surplus_minor == 1_000_000
    return period, members
