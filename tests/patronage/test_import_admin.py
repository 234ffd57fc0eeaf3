"""The contributions CSV import (preview, all or nothing) and the admin pages."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coop.errors import InvalidInput
from patronage import importer
from patronage.models import AllocationPolicy, Contribution, PatronageSettings
from tests.governance.helpers import active_members
from tests.membership.factories import StaffFactory
from tests.patronage.factories import classes, closed_period, make_policy, policy_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def members():
    return active_members(2, slug="workers")


def csv_of(*rows) -> str:
    return "member_number,date,quantity,external_id\n" + "\n".join(",".join(r) for r in rows)


def test_a_good_file_imports_once(members):
    a, b = (str(m.member_number) for m in members)
    text = csv_of((a, "2026-03-01", "1.5", "x1"), (b, "2026-03-02", "2", "x2"))
    preview = importer.validate(text)
    assert preview.ok and len(preview.new_rows) == 2
    staff = StaffFactory()
    assert importer.contributions_import(text=text, actor=staff).created == 2
    again = importer.contributions_import(text=text, actor=staff)
    assert (again.created, again.known) == (0, 2)
    assert Contribution.objects.count() == 2


def test_errors_by_row_and_column_and_nothing_written(members):
    closed_period(date(2025, 1, 1), date(2025, 12, 31))
    a = str(members[0].member_number)
    text = csv_of((a, "2026-03-01", "1.5", "ok"), ("999", "2026-03-01", "1", "y"),
                  (a, "2026-13-01", "-1", "z"), (a, "2025-06-01", "1.00001", "ok"))
    preview = importer.validate(text)
    assert not preview.ok
    errors = {r.row: r.errors for r in preview.rows}
    assert errors[2] == {}
    assert list(errors[3]) == ["member_number"]
    assert set(errors[4]) == {"date", "quantity"}
    assert set(errors[5]) == {"date", "quantity", "external_id"}  # closed, 5 places, repeated
    with pytest.raises(InvalidInput) as refused:
        importer.contributions_import(text=text, actor=StaffFactory())
    assert "row 3" in refused.value.errors
    assert not Contribution.objects.exists()


def test_a_bad_header_is_a_file_error(members):
    preview = importer.validate("member,when,quantity\n1,2026-01-01,1\n")
    assert not preview.ok
    assert any("Unknown column" in e for e in preview.file_errors)
    assert any("Missing column" in e for e in preview.file_errors)


def test_the_admin_import_page(client, members):
    client.force_login(StaffFactory())
    a = str(members[0].member_number)
    upload = SimpleUploadedFile("c.csv", csv_of((a, "2026-03-01", "3", "k1")).encode())
    page = client.post("/admin/patronage/contribution/import/", {"file": upload})
    assert page.status_code == 200 and b"Import 1 contribution" in page.content
    text = page.context["text"]
    done = client.post("/admin/patronage/contribution/import/", {"confirm": "yes", "text": text})
    assert done.status_code == 302 and Contribution.objects.count() == 1
    assert client.get("/admin/patronage/contribution/").status_code == 200


def test_admin_pages_render_and_a_policy_is_added_through_the_service(client):
    classes("workers", "users")
    client.force_login(StaffFactory())
    for url in ("/admin/patronage/allocationpolicy/", "/admin/patronage/dividendrun/",
                "/admin/patronage/payable/", "/admin/patronage/payoutbatch/",
                "/admin/patronage/allocation/", "/admin/patronage/allocationpolicy/add/"):
        assert client.get(url).status_code == 200, url
    fields = policy_fields(effective_from="2025-01-01",
                           class_shares_bp='{"workers": 6000, "users": 4000}')
    response = client.post("/admin/patronage/allocationpolicy/add/", {**fields, "note": ""})
    assert response.status_code == 302
    assert AllocationPolicy.objects.get().status == "in_force"
    # The settings page saves through the service.
    settings_page = client.get("/admin/patronage/patronagesettings/", follow=True)
    assert settings_page.status_code == 200
    client.post("/admin/patronage/patronagesettings/1/change/", {"runs_need_assembly": "on"})
    assert PatronageSettings.objects.get(pk=1).runs_need_assembly is True


def test_a_policy_may_not_apply_from_before_a_posted_run(members):
    from patronage.models import DividendRun

    classes("workers", "users")
    make_policy(effective_from=date(2024, 1, 1))
    first = closed_period(date(2024, 1, 1), date(2024, 12, 31))
    DividendRun.objects.create(period=first, status="posted")
    closed_period(date(2025, 1, 1), date(2025, 12, 31))
    # 2025 has no posted run: an assembly may still decide its split.
    assert make_policy(effective_from=date(2025, 1, 1), cash_bp=4000).status == "draft"
    with pytest.raises(InvalidInput, match="on or after 2025-01-01") as refused:
        make_policy(effective_from=date(2024, 6, 1))
    assert "effective_from" in refused.value.errors


def test_the_run_actions_in_the_admin(client, django_capture_on_commit_callbacks):
    from patronage import services
    from patronage.models import DividendRun
    from tests.patronage.factories import PATRONAGE_JOB

    classes("workers", "users")
    make_policy(effective_from=date(2024, 1, 1))
    period = closed_period(revenue=5_000)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.dividend_run_start(actor=PATRONAGE_JOB, period=period)
    client.force_login(StaffFactory())
    page = client.get("/admin/patronage/dividendrun/")
    assert b"Approve (post) the selected computed run" in page.content
    client.post("/admin/patronage/dividendrun/", {"action": "approve",
                                                  "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.status == DividendRun.Status.POSTED


def test_staff_add_a_contribution_in_the_admin_through_the_service(client, members):
    client.force_login(StaffFactory())
    form = {"member": members[0].pk, "date": "2026-03-01", "quantity": "2.5",
            "external_id": "admin-1"}
    assert client.post("/admin/patronage/contribution/add/", form).status_code == 302
    contribution = Contribution.objects.get()
    assert (contribution.source, str(contribution.quantity)) == ("staff", "2.5000")
    # In a closed period: refused on the page, nothing written.
    closed_period(date(2025, 1, 1), date(2025, 12, 31))
    page = client.post("/admin/patronage/contribution/add/",
                       {**form, "date": "2025-05-05", "external_id": "admin-2"}, follow=True)
    assert b"closed period" in page.content
    assert Contribution.objects.count() == 1
