"""A real Celery worker on Redis runs the monthly job against the test database."""

import pytest

from tests.vitality import factories as f
from vitality.models import Snapshot
from vitality.months import add_months, between, current_month
from vitality.tasks import snapshots_monthly

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_the_monthly_job_on_a_real_worker(celery_worker_process):
    this_month = current_month()
    f.members(f.klass("workers"), add_months(this_month, -3).replace(day=5), 4)
    snapshots_monthly.delay()
    current = celery_worker_process.wait_until(
        lambda: Snapshot.objects.filter(month=this_month).first(), what="the snapshots")
    expected = between(add_months(this_month, -3), add_months(this_month, -1))
    finals = dict(Snapshot.objects.filter(provisional=False).values_list("month", "computed_at"))
    assert sorted(finals) == expected
    assert current.provisional and current.metrics["members_active"] == 4
    # Run again: the provisional month is refreshed, no final month is computed twice.
    snapshots_monthly.delay()
    celery_worker_process.wait_until(
        lambda: Snapshot.objects.get(month=this_month).computed_at > current.computed_at,
        what="the second run")
    assert dict(Snapshot.objects.filter(provisional=False)
                .values_list("month", "computed_at")) == finals
