"""Snapshots (idempotent, provisional, caught up exactly once, recomputed with a record), the
alerts' notices (once per month and code, from final snapshots only, opt-in for members) and
the pulse survey's answers, on a frozen clock."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model

from coop import notices
from coop.actors import SystemActor
from coop.errors import Conflict, InvalidInput, NotAllowed
from coop.models import AuditRecord, Notice
from tests.membership.factories import UserFactory
from tests.vitality import factories as f
from tests.vitality.conftest import JUNE
from vitality import services
from vitality.models import Alert, PulseAnswer, Snapshot, SnapshotRecompute, SurveySettings

pytestmark = pytest.mark.django_db
MAY, JULY = date(2026, 5, 1), date(2026, 7, 1)


def test_a_finished_months_snapshot_is_final_and_idempotent(scenario, frozen):
    first = services.snapshot_refresh(month=JUNE)
    assert first.provisional is False
    assert first.metrics["members_active"] == 18
    frozen.move_to(datetime(2026, 7, 20, tzinfo=UTC))
    again = services.snapshot_refresh(month=JUNE)
    assert again.computed_at == first.computed_at
    assert Snapshot.objects.count() == 1


def test_a_late_edit_changes_a_final_month_only_through_a_recompute(scenario, frozen, staff):
    services.snapshot_refresh(month=JUNE)
    f.members(f.klass("workers"), date(2026, 6, 28), 2)  # entered late, dated June
    assert services.snapshot_refresh(month=JUNE).metrics["members_active"] == 18
    snapshot = services.snapshot_recompute(actor=staff, month=JUNE)
    assert snapshot.metrics["members_active"] == 20
    record = SnapshotRecompute.objects.get()
    assert record.by == (staff.full_name or staff.email)
    assert record.changed["members_active"] == {"old": 18, "new": 20}
    assert record.changed["workers.members_active"] == {"old": 12, "new": 14}
    assert "members_exited" not in record.changed
    assert AuditRecord.objects.filter(action="vitality.snapshot_recomputed",
                                      object_id="2026-06").exists()


def test_the_current_month_is_provisional_and_recomputed_freely(scenario, frozen):
    july = services.snapshot_refresh(month=JULY)
    assert july.provisional is True
    f.members(f.klass("users"), date(2026, 7, 2), 3)
    assert services.snapshot_refresh(month=JULY).metrics["members_active"] == 21
    frozen.move_to(datetime(2026, 8, 1, 0, 30, tzinfo=UTC))
    final = services.snapshot_refresh(month=JULY)
    assert final.provisional is False
    assert not SnapshotRecompute.objects.exists()


def test_no_snapshot_of_a_month_to_come(scenario, frozen, staff):
    with pytest.raises(InvalidInput):
        services.snapshot_refresh(month=date(2026, 8, 1))
    with pytest.raises(InvalidInput):
        services.snapshot_recompute(actor=staff, month=date(2026, 8, 1))
    assert not Snapshot.objects.exists()


def test_only_staff_recompute(scenario, frozen):
    with pytest.raises(NotAllowed):
        services.snapshot_recompute(actor=UserFactory(), month=JUNE)
    assert not Snapshot.objects.exists()


def test_the_monthly_job_catches_up_every_missing_month_exactly_once(scenario, frozen):
    done = services.snapshots_catch_up()
    assert done == [date(2026, m, 1) for m in range(1, 7)]
    assert Snapshot.objects.filter(provisional=True).get().month == JULY
    assert services.snapshots_catch_up() == []
    Snapshot.objects.filter(month=MAY).delete()  # the job did not run that month
    assert services.snapshots_catch_up() == [MAY]
    assert Snapshot.objects.filter(provisional=False).count() == 6


def _lagging_may(scenario):
    """At the end of May a February decision was not implemented: implementation_lag."""
    return [a["code"] for a in services.snapshot_refresh(month=MAY).alerts]


def test_alerts_are_notified_once_per_month_and_code(scenario, frozen, staff):
    opted_in = f.member(f.klass("users"), date(2026, 1, 3), user=UserFactory())
    f.member(f.klass("users"), date(2026, 1, 3), user=UserFactory())  # did not opt in
    notices.notice_preferences_set(recipient=opted_in, email={"vitality.member_alert": True})
    assert "implementation_lag" in _lagging_may(scenario)
    alert = Alert.objects.get(month=MAY, code="implementation_lag")
    staff_notices = Notice.objects.filter(kind="vitality.alert", target_id=alert.pk)
    assert staff_notices.count() == get_user_model().objects.filter(is_staff=True).count()
    member_notices = Notice.objects.filter(kind="vitality.member_alert", target_id=alert.pk)
    assert list(member_notices.values_list("recipient_id", flat=True)) == [opted_in.pk]
    services.snapshot_recompute(actor=staff, month=MAY)
    services.snapshots_catch_up()
    assert Notice.objects.filter(target_id=alert.pk, kind__startswith="vitality.").count() == 2
    assert Alert.objects.filter(month=MAY).count() == len(
        Snapshot.objects.get(month=MAY).alerts)


def test_a_provisional_snapshot_notifies_nothing(scenario, frozen, staff):
    frozen.move_to(datetime(2026, 5, 20, tzinfo=UTC))
    snapshot = services.snapshot_refresh(month=MAY)
    assert snapshot.provisional
    # The dashboard shows the provisional alert (the February decision is 108 days old)...
    assert "implementation_lag" in [a["code"] for a in snapshot.alerts]
    # ... but only a final snapshot notifies.
    assert not Alert.objects.exists()
    assert not Notice.objects.filter(kind__startswith="vitality.").exists()


def test_the_digest_goes_to_members_who_opt_in(scenario, frozen):
    reader = f.member(f.klass("users"), date(2026, 1, 3), user=UserFactory())
    notices.notice_preferences_set(recipient=reader, email={"vitality.digest": True})
    assert services.digest_send(month=JUNE) == 0  # no final snapshot yet
    services.snapshot_refresh(month=JUNE)
    assert services.digest_send(month=JUNE) == 1
    assert services.digest_send(month=JUNE) == 1
    assert Notice.objects.filter(kind="vitality.digest").count() == 1


# --- the pulse survey -----------------------------------------------------------------------


@pytest.fixture
def answering(db):
    user = UserFactory()
    return f.member(f.klass("workers"), date(2026, 1, 5), user=user)


def test_one_answer_a_month_changeable_during_it(answering, frozen):
    user = answering.user
    answer, created = services.pulse_answer(actor=user, member=answering, score=4,
                                            comment=" Good ")
    assert created and (answer.month, answer.score, answer.comment) == (JULY, 4, "Good")
    answer, created = services.pulse_answer(actor=user, member=answering, score=2)
    assert not created and answer.score == 2 and answer.comment == ""
    frozen.move_to(datetime(2026, 8, 1, 0, 1, tzinfo=UTC))
    services.pulse_answer(actor=user, member=answering, score=5)
    assert dict(PulseAnswer.objects.values_list("month", "score")) == {
        JULY: 2, date(2026, 8, 1): 5}
    audit = AuditRecord.objects.filter(action__startswith="pulse.")
    assert audit.count() == 3
    assert all("score" not in record.facts for record in audit)


@pytest.mark.parametrize("score", [0, 6, "4", 3.5, None, True])
def test_bad_scores_are_refused(answering, frozen, score):
    with pytest.raises(InvalidInput) as error:
        services.pulse_answer(actor=answering.user, member=answering, score=score)
    assert "score" in error.value.errors
    assert not PulseAnswer.objects.exists()


def test_a_too_long_comment_is_refused(answering, frozen):
    with pytest.raises(InvalidInput) as error:
        services.pulse_answer(actor=answering.user, member=answering, score=3,
                              comment="x" * 1001)
    assert "comment" in error.value.errors


def test_nobody_answers_for_a_member(answering, frozen, staff):
    for actor in (staff, UserFactory(), SystemActor(name="tests"), None):
        with pytest.raises(NotAllowed):
            services.pulse_answer(actor=actor, member=answering, score=3)
    answering.status = "exited"
    with pytest.raises(NotAllowed):
        services.pulse_answer(actor=answering.user, member=answering, score=3)
    assert not PulseAnswer.objects.exists()


def test_a_closed_survey_takes_no_answer(answering, frozen):
    SurveySettings.objects.update_or_create(pk=1, defaults={"enabled": False})
    with pytest.raises(Conflict):
        services.pulse_answer(actor=answering.user, member=answering, score=3)


def test_the_hourly_job_also_finalises_a_month_that_ended(scenario, frozen):
    from vitality.tasks import snapshot_provisional, snapshots_monthly

    assert snapshot_provisional.delay().get() == [f"2026-0{m}" for m in range(1, 7)]
    frozen.move_to(datetime(2026, 8, 1, 0, 41, tzinfo=UTC))
    assert snapshot_provisional.delay().get() == ["2026-07"]
    assert snapshots_monthly.delay().get() == []
    assert Snapshot.objects.get(month=date(2026, 8, 1)).provisional
