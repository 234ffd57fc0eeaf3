"""Staff in the admin (issue #8, items 14-16): the applications list and page, the index,
amounts and dates, and errors shown once. HTML assertions through the test client."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from coop.models import AuditRecord
from membership import services
from membership.models import Application, Member, SharePayment

from .factories import REGISTRAR, StaffFactory, StakeholderClassFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def apply(name: str, *, days_ago: int) -> Application:
    user = UserFactory(full_name=name)
    application = services.application_submit(
        stakeholder_class=StakeholderClassFactory(), shares=2, name=name, email=user.email,
        user=user)
    # submitted_at is auto_now_add: the submission day is set afterwards.
    submitted = timezone.now() - timedelta(days=days_ago)
    Application.objects.filter(pk=application.pk).update(submitted_at=submitted)
    application.refresh_from_db()
    return application


def listed_names(html: str) -> list[str]:
    label = r'aria-label="Select this object for an action - Application #\d+ by ([^"]+)"'
    return re.findall(label, html)


# --- item 14: applications ------------------------------------------------------------------

def test_pending_applications_come_first_newest_first(staff_client):
    old_pending = apply("Old Pending", days_ago=9)
    decided_new = apply("Decided New", days_ago=1)
    new_pending = apply("New Pending", days_ago=2)
    decided_old = apply("Decided Old", days_ago=8)
    services.application_approve(application=decided_new, actor=REGISTRAR)
    services.application_reject(application=decided_old, reason="Not a photographer.",
                                actor=REGISTRAR)
    html = staff_client.get(reverse("admin:membership_application_changelist")).content.decode()
    assert listed_names(html) == ["New Pending", "Old Pending", "Decided New", "Decided Old"]
    assert old_pending.status == new_pending.status == "pending"


def test_the_status_column_comes_right_after_the_number(staff_client):
    apply("Ada Lovelace", days_ago=1)
    html = staff_client.get(reverse("admin:membership_application_changelist")).content.decode()
    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', html)
    assert columns[:2] == ["id", "status"]
    # Few enough columns for 1280 px (tests/e2e/test_admin_widths.py measures the page).
    assert len(columns) <= 8


def test_the_admin_index_counts_pending_applications(staff_client):
    for n in range(3):
        apply(f"Applicant {n}", days_ago=n + 1)
    services.application_approve(application=apply("Approved", days_ago=5), actor=REGISTRAR)
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert "3 applications pending" in html
    link = reverse("admin:membership_application_changelist") + "?status__exact=pending"
    assert f'href="{link}"' in html


def test_the_admin_index_count_is_one_query(staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    apply("Ada Lovelace", days_ago=1)
    staff_client.get(reverse("admin:index"))  # the session and the user are cached after this
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(reverse("admin:index"))
    counts = [q["sql"] for q in queries if '"membership_application"' in q["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0].upper()


def test_no_pending_applications_says_so(staff_client):
    assert "No applications pending." in staff_client.get(reverse("admin:index")).content.decode()


def change_page(client, application) -> str:
    url = reverse("admin:membership_application_change", args=[application.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_pending_application_page_has_approve_and_reject(staff_client):
    application = apply("Ada Lovelace", days_ago=1)
    html = change_page(staff_client, application)
    approve = reverse("admin:membership_application_approve", args=[application.pk])
    reject = reverse("admin:membership_application_reject", args=[application.pk])
    assert re.search(rf'<form method="post" action="{approve}"', html)
    assert f'href="{reject}"' in html


def test_approve_from_the_page_makes_a_member(staff_client, staff):
    application = apply("Ada Lovelace", days_ago=1)
    url = reverse("admin:membership_application_approve", args=[application.pk])
    response = staff_client.post(url, follow=True)
    application.refresh_from_db()
    member = Member.objects.get(application=application)
    assert application.status == "approved" and application.decided_by == staff
    assert f"member number {member.member_number}" in " ".join(texts(response))
    assert AuditRecord.objects.filter(action="member.admitted",
                                      object_id=str(member.member_number)).exists()
    # The page now shows the decision, without the buttons.
    html = response.content.decode()
    assert url not in html and "Reject…" not in html
    # Approving again is refused by the service, shown as a message; nothing changes.
    again = staff_client.post(url, follow=True)
    assert f"Application #{application.pk} was already approved." in texts(again)
    assert Member.objects.filter(application=application).count() == 1


def test_reject_asks_for_a_reason_then_rejects(staff_client, staff):
    application = apply("Ada Lovelace", days_ago=1)
    url = reverse("admin:membership_application_reject", args=[application.pk])
    form = staff_client.get(url).content.decode()
    assert 'name="reason"' in form and "Reject application" in form
    blank = staff_client.post(url, {"reason": "  "})
    assert blank.status_code == 200
    assert "This field is required." in blank.content.decode()
    application.refresh_from_db()
    assert application.status == "pending"
    done = staff_client.post(url, {"reason": "We take photographers only."}, follow=True)
    application.refresh_from_db()
    assert application.status == "rejected" and application.decided_by == staff
    assert application.rejection_reason == "We take photographers only."
    assert f"Rejected application #{application.pk}." in texts(done)


def test_the_buttons_need_the_permission_to_decide(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_application"))
    client.force_login(viewer)
    application = apply("Ada Lovelace", days_ago=1)
    html = change_page(client, application)
    assert "Approve" not in html and "Reject…" not in html
    approve = reverse("admin:membership_application_approve", args=[application.pk])
    assert client.post(approve).status_code == 403
    reject = reverse("admin:membership_application_reject", args=[application.pk])
    assert client.post(reject, {"reason": "No."}).status_code == 403
    application.refresh_from_db()
    assert application.status == "pending"


def test_a_decided_application_has_no_buttons(staff_client):
    application = apply("Ada Lovelace", days_ago=1)
    services.application_reject(application=application, reason="No.", actor=REGISTRAR)
    html = change_page(staff_client, application)
    assert "membership_application_approve" not in html
    assert reverse("admin:membership_application_approve", args=[application.pk]) not in html
    reject = reverse("admin:membership_application_reject", args=[application.pk])
    assert reject not in html
    # The reject page of a decided application sends staff back with a message.
    response = staff_client.get(reject, follow=True)
    assert any("already rejected" in t for t in texts(response))


# --- item 15: amounts, dates, API keys --------------------------------------------------------

def test_amounts_in_the_admin_show_the_currency(staff_client):
    member = make_member(paid=True)  # 2 shares at 50.00 EUR
    payments = staff_client.get(reverse("admin:membership_sharepayment_changelist"))
    assert '<td class="field-amount">100.00 EUR</td>' in payments.content.decode()
    members = staff_client.get(reverse("admin:membership_member_changelist"))
    assert '<td class="field-paid">100.00 EUR</td>' in members.content.decode()
    page = staff_client.get(reverse("admin:membership_member_change", args=[member.pk]))
    assert "50.00 EUR" in page.content.decode()  # the frozen share price


def test_dates_use_the_sites_format_in_the_admin(staff_client, settings):
    settings.TIME_ZONE = "UTC"
    application = apply("Ada Lovelace", days_ago=1)
    Application.objects.filter(pk=application.pk).update(
        submitted_at=datetime(2026, 1, 5, 14, 30, tzinfo=UTC))
    member = make_member()
    Member.objects.filter(pk=member.pk).update(joined_on=date(2026, 1, 5))
    # "5 Jan 2026" as on the member pages, not Django's "Jan. 5, 2026" / "2:30 p.m.".
    applications = staff_client.get(reverse("admin:membership_application_changelist"))
    html = applications.content.decode()
    assert '<td class="field-submitted_at nowrap">5 Jan 2026, 14:30</td>' in html
    members = staff_client.get(reverse("admin:membership_member_changelist")).content.decode()
    assert '<td class="field-joined_on nowrap">5 Jan 2026</td>' in members
    for page in (html, members):
        assert "Jan. 5" not in page and "p.m." not in page


def test_dates_on_the_member_pages_use_the_same_format(client):
    member = make_member(paid=True)
    client.force_login(member.user)
    html = client.get("/").content.decode()
    today = timezone.localdate()
    assert f"{today.day} {today:%b %Y}" in html  # "Member since 1 Dec 2026"
    assert f"{today.day} {today:%B %Y}" not in html or today.month == 5  # "May" either way


def test_api_keys_appear_once_in_the_admin_index(staff_client):
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert len(re.findall(r">API keys</a>", html)) == 1
    assert reverse("admin:coop_partnerapikey_changelist") in html


# --- item 16: an overpayment, once and in money ----------------------------------------------

def test_an_overpayment_is_shown_once_in_money(staff_client):
    member = make_member(stakeholder_class=StakeholderClassFactory())  # 100.00 EUR subscribed
    url = reverse("admin:membership_member_record_payment", args=[member.pk])
    response = staff_client.post(url, {"amount": "150.00", "paid_on": date.today().isoformat()})
    html = response.content.decode()
    assert html.count("This would overpay the subscription") == 1
    assert "only 100.00 EUR is outstanding" in html
    assert "minor units" not in html and "10000" not in html
    assert not texts(response)  # not repeated as a message above the page
    # On the amount field, where staff look when they correct it.
    error = re.search(r'field-amount">\s*<ul class="errorlist"[^>]*>\s*<li>([^<]+)</li>', html)
    assert error and "100.00 EUR" in error.group(1)
    assert not SharePayment.objects.filter(member=member).exists()


def test_an_overpayment_after_a_payment_counts_what_is_left(staff_client):
    member = make_member(stakeholder_class=StakeholderClassFactory())
    services.share_payment_record(member=member, amount_minor=2550, paid_on=date.today(),
                                  reference="", actor=REGISTRAR)
    url = reverse("admin:membership_member_record_payment", args=[member.pk])
    html = staff_client.post(url, {"amount": "80", "paid_on": date.today().isoformat()}
                             ).content.decode()
    assert "only 74.50 EUR is outstanding" in html
    ok = staff_client.post(url, {"amount": "74.50", "paid_on": date.today().isoformat()},
                           follow=True)
    assert any("Payment of 74.50 EUR recorded" in t for t in texts(ok))
