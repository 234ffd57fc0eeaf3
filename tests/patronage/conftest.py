import pytest

from governance.models import Category
from tests.governance.helpers import ensure_categories


@pytest.fixture
def policy_category(db):
    """The `policy` category (branch `gov` adds it by migration; made here if missing)."""
    ensure_categories()
    category, _ = Category.objects.get_or_create(
        slug="policy", defaults={"name": "Policy", "min_quorum_percent": 20,
                                 "min_threshold": "2/3", "min_voting_hours": 72})
    return category
