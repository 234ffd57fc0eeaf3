"""governance.locks: a proposal's exclusive and shared locks, and the elector row's lock."""

import threading

import pytest
from django.db import connection, transaction

from governance.locks import (
    PROPOSAL_LOCK_SPACE,
    lock_elector,
    lock_proposal,
    lock_proposal_shared,
)
from governance.models import Elector
from tests.governance.helpers import active_members, open_proposal

pytestmark = pytest.mark.usefixtures("categories_installed")


def try_in_other_connection(sql: str, params) -> bool:
    outcome = {}

    def worker():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                outcome["value"] = cursor.fetchone()[0]
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=30)
    return outcome["value"]


def can_take(proposal_id: int, *, shared: bool) -> bool:
    function = "pg_try_advisory_xact_lock_shared" if shared else "pg_try_advisory_xact_lock"
    return try_in_other_connection(f"SELECT {function}(%s::int4, %s::int4)",
                                   [PROPOSAL_LOCK_SPACE, proposal_id])


@pytest.mark.django_db
def test_lock_proposal_and_elector_read_what_the_services_need():
    active_members(2)
    proposal = open_proposal()
    elector = Elector.objects.filter(proposal=proposal).first()
    with transaction.atomic():
        locked = lock_proposal(proposal.pk)
        assert locked.category.slug == "general"
        found = lock_elector(proposal_id=proposal.pk, member_id=elector.member_id)
        assert found.pk == elector.pk and found.proposal.pk == proposal.pk
    with pytest.raises(Elector.DoesNotExist), transaction.atomic():
        lock_elector(proposal_id=proposal.pk, member_id=10**9)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exclusive_shuts_everyone_out_shared_lets_ballots_in():
    active_members(2)
    proposal = open_proposal()
    with transaction.atomic():
        lock_proposal(proposal.pk)
        assert not can_take(proposal.pk, shared=True)
        assert not can_take(proposal.pk, shared=False)
    with transaction.atomic():
        lock_proposal_shared(proposal.pk)
        assert can_take(proposal.pk, shared=True)  # another ballot
        assert not can_take(proposal.pk, shared=False)  # a close waits
    assert can_take(proposal.pk, shared=False)  # released at commit
