"""membership.locks (and coop.locks.lock_user): the rows really are locked, in pk order."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from coop.locks import lock_user
from membership.locks import lock_applications, lock_member, lock_members
from membership.models import Application, Member

from .factories import ApplicationFactory, StakeholderClassFactory, UserFactory, make_member


def in_other_connection(job):
    """Run `job` in a transaction on another thread (so another database connection)."""
    outcome = {}

    def worker():
        try:
            with transaction.atomic():
                outcome["value"] = job()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=30)
    return outcome


@pytest.mark.django_db
def test_helpers_return_what_exists_in_pk_order():
    klass = StakeholderClassFactory()
    members = [make_member(stakeholder_class=klass) for _ in range(3)]
    applications = [ApplicationFactory() for _ in range(2)]
    with transaction.atomic():
        assert [m.pk for m in lock_members([members[2].pk, members[0].pk, 10**9])] == sorted(
            [members[0].pk, members[2].pk])
        assert [a.pk for a in lock_applications([applications[1].pk, applications[0].pk])] == [
            applications[0].pk, applications[1].pk]
        locked = lock_member(members[1].pk)
        assert locked.subscription.shares and locked.stakeholder_class == klass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["member", "members", "applications", "user"])
def test_another_transaction_cannot_take_a_locked_row(what):
    member = make_member(stakeholder_class=StakeholderClassFactory())
    application = ApplicationFactory()
    user = UserFactory()
    lock, model, pk = {
        "member": (lambda: lock_member(member.pk), Member, member.pk),
        "members": (lambda: lock_members([member.pk]), Member, member.pk),
        "applications": (lambda: lock_applications([application.pk]), Application,
                         application.pk),
        "user": (lambda: lock_user(user.pk), type(user), user.pk),
    }[what]
    free = in_other_connection(lambda: model.objects.select_for_update(nowait=True).get(pk=pk))
    assert "error" not in free
    with transaction.atomic():
        lock()
        held = in_other_connection(
            lambda: model.objects.select_for_update(nowait=True).get(pk=pk))
    assert isinstance(held.get("error"), DatabaseError)
