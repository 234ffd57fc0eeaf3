"""The admin: snapshots and alerts read-only, thresholds and survey settings changed through
the audited service (and then used by the next snapshot), no page of answers."""

from datetime import date
from decimal import Decimal

import pytest

from coop.errors import NotAllowed
from coop.models import AuditRecord
from tests.membership.factories import UserFactory
from vitality import services
from vitality.models import AlertThresholds, Snapshot, SurveySettings

pytestmark = pytest.mark.django_db


def test_snapshots_are_read_only(staff_client, history):
    june = Snapshot.objects.get(month="2026-06-01")
    page = staff_client.get(f"/admin/vitality/snapshot/{june.pk}/change/")
    assert page.status_code == 200
    assert "Save" not in page.content.decode().split("submit-row")[-1][:200]
    assert staff_client.get("/admin/vitality/snapshot/add/").status_code == 403
    assert staff_client.post(f"/admin/vitality/snapshot/{june.pk}/delete/").status_code == 403


def test_staff_change_the_thresholds_in_the_admin(staff_client, staff, history):
    response = staff_client.post("/admin/vitality/alertthresholds/add/", {
        **{f.name: getattr(AlertThresholds(), f.name)
           for f in AlertThresholds._meta.concrete_fields if f.name != "id"},
        "implementation_lag_days": 30})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AlertThresholds.current().implementation_lag_days == 30
    record = AuditRecord.objects.get(action="vitality.alertthresholds_updated")
    assert record.facts == {"implementation_lag_days": {"old": "90", "new": "30"}}
    # The next snapshot uses them: the April decision is now lagging at the end of June.
    june = services.snapshot_recompute(actor=staff, month=date(2026, 6, 1))
    assert june.metrics["implementation_lagging"] == 1


def test_survey_settings(staff_client, db):
    response = staff_client.post("/admin/vitality/surveysettings/add/", {
        "question": "How are we doing?", "comments_allowed": "on"})
    assert response.status_code == 302
    settings = SurveySettings.current()
    assert (settings.enabled, settings.question) == (False, "How are we doing?")
    # Adding again changes the one row.
    staff_client.post("/admin/vitality/surveysettings/add/", {
        "question": "How are we doing?", "enabled": "on"})
    assert SurveySettings.objects.get().enabled is True


def test_only_staff_change_settings(db):
    with pytest.raises(NotAllowed):
        services.settings_update(actor=UserFactory(), model=AlertThresholds,
                                 changes={"core_share_max": Decimal("0.4")})
    assert not AlertThresholds.objects.exists()


def test_there_is_no_admin_page_of_answers(staff_client):
    assert staff_client.get("/admin/vitality/pulseanswer/").status_code == 404
    assert "pulseanswer" not in staff_client.get("/admin/").content.decode().lower()


def test_staff_recompute_from_the_admin(staff_client, history):
    from tests.vitality import factories as f
    from vitality.models import SnapshotRecompute

    f.members(f.klass("users"), date(2026, 6, 29), 2)
    june = Snapshot.objects.get(month="2026-06-01")
    response = staff_client.post("/admin/vitality/snapshot/", {
        "action": "recompute", "_selected_action": [june.pk]}, follow=True)
    assert "Recomputed 1 month(s)." in response.content.decode()
    assert SnapshotRecompute.objects.get().changed["members_active"] == {"old": 18, "new": 20}


def test_a_decision_that_needs_no_implementation_never_lags(staff, history):
    """RULES §5: a passed proposal marked as needing no implementation is not counted by
    `implementation_lag` (the April decision lags at the end of June with a 30-day limit until
    staff mark it so)."""
    from governance import services as governance

    services.settings_update(actor=staff, model=AlertThresholds,
                             changes={"implementation_lag_days": 30})
    june = services.snapshot_recompute(actor=staff, month=date(2026, 6, 1))
    assert june.metrics["implementation_lagging"] == 1
    april = history["votes"][0]
    governance.implementation_update(actor=staff, proposal=april, status="not_needed",
                                     note="A statement of position.", on=date(2026, 6, 1))
    april.refresh_from_db()
    assert april.implementation_status == "not_needed"
    june = services.snapshot_recompute(actor=staff, month=date(2026, 6, 1))
    assert june.metrics["implementation_lagging"] == 0
