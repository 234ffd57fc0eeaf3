"""Fixtures shared by the governance test modules (plain helpers: factories.py, helpers.py)."""

import pytest

from coop.models import Notice
from tests.governance.helpers import ensure_categories, members
from tests.membership.factories import make_member


@pytest.fixture
def categories_installed():
    """The categories the migration installs, put back for transactional tests (which flush
    them); modules use it with `pytest.mark.usefixtures("categories_installed")`."""
    ensure_categories()


@pytest.fixture
def crew():
    """Three active members of a free class (the electorate); the first is the author in the
    page tests. Their welcome notices are kept."""
    return members(3)


@pytest.fixture
def quiet_crew(crew):
    """`crew` without their welcome notices: the notification tests count only their own."""
    Notice.objects.all().delete()
    return crew


@pytest.fixture
def electors():
    """Three paid-up members (the API tests' electorate)."""
    return [make_member(paid=True) for _ in range(3)]


@pytest.fixture
def voter(electors):
    return electors[0]
