"""A real Celery worker on Redis runs the daily job that erases the names whose retention ended."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coop.models import Cooperative
from membership import services
from membership.models import Member
from membership.services.erasure import name_retention_end
from membership.tasks import erase_names_due
from tests.membership.factories import REGISTRAR, StakeholderClassFactory, make_member

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_the_names_job_on_a_real_worker(celery_worker_process, staff):
    klass = StakeholderClassFactory(slug="free", share_price_minor=0, min_shares=1, max_shares=1)
    Cooperative.objects.filter(pk=Cooperative.current().pk).update(register_retention_years=1)
    today = timezone.localdate()
    due, kept = (make_member(stakeholder_class=klass) for _ in range(2))
    for member in (due, kept):
        services.member_exit(member=member, actor=REGISTRAR)
        services.member_erase(member=Member.objects.get(pk=member.pk), actor=staff)
    # One member's retention ended yesterday (erased long ago, say); the other's runs a year.
    Member.objects.filter(pk=due.pk).update(name_kept_until=today - timedelta(days=1))
    erase_names_due.delay()
    celery_worker_process.wait_until(
        lambda: Member.objects.get(pk=due.pk).name_kept_until is None, what="the job")
    assert Member.objects.get(pk=due.pk).name == f"Former member {due.member_number}"
    kept = Member.objects.get(pk=kept.pk)
    assert kept.name != f"Former member {kept.member_number}"
    assert kept.name_kept_until == name_retention_end(kept.exited_on, 1)
