from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from coop.models import AuditRecord, Counter
from membership import services
from membership.models import (
    Application,
    Member,
    Redemption,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
    ShareSubscription,
)
from tests.membership.factories import REGISTRAR

from .factories import StakeholderClassFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def submit(n: int, stakeholder_class=None) -> list[Application]:
    stakeholder_class = stakeholder_class or StakeholderClassFactory()
    applications = []
    for _ in range(n):
        user = UserFactory()
        applications.append(services.application_submit(
            stakeholder_class=stakeholder_class, shares=2, name=user.full_name,
            email=user.email, user=user))
    return applications


# --- changelists: constant query counts ------------------------------------------------------

CHANGELISTS = [
    ("membership_member_changelist", ""),
    ("membership_member_changelist", "?q=Smith"),
    ("membership_member_changelist", "?status__exact=active&source=web"),
    ("membership_application_changelist", ""),
    ("membership_sharepayment_changelist", ""),
    ("membership_sharecertificate_changelist", ""),
    ("membership_registerevent_changelist", ""),
    ("membership_redemption_changelist", ""),
]


def _query_count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(("name", "query"), CHANGELISTS)
def test_changelist_query_count_does_not_grow_with_members(staff_client, name, query,
                                                           django_assert_num_queries):
    # given a few members, some paid, one exited, and one the search finds (random names alone
    # would find none in some runs and some in others: a page with no rows costs fewer queries)
    klass = StakeholderClassFactory()
    first = [make_member(stakeholder_class=klass, paid=True) for _ in range(2)]
    make_member(stakeholder_class=klass, paid=True, user=UserFactory(full_name="Ada Smith"))
    services.member_exit(actor=REGISTRAR, member=first[0], reason="moving")
    url = reverse(f"admin:{name}") + query
    staff_client.get(url)  # warm up caches (content types, session)
    few = _query_count(staff_client, url)
    # when many more join
    for _ in range(12):
        make_member(stakeholder_class=klass, paid=True)
    submit(5, klass)
    # then the page costs the same number of queries
    with django_assert_num_queries(few):
        response = staff_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("members", [1, 15])
def test_member_changelist_pinned_query_count(staff_client, django_assert_num_queries, members):
    klass = StakeholderClassFactory()
    for _ in range(members):
        make_member(stakeholder_class=klass, paid=True)
    url = reverse("admin:membership_member_changelist")
    staff_client.get(url)
    # the user (the session comes from the cache), the class filter's choices, the page's
    # count, the cooperative (layout), the page of members with their class, the date
    # hierarchy's range and its dates.
    with django_assert_num_queries(7):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == members
    assert b"Import a register" in response.content


def test_member_search_by_number_name_and_email(staff_client):
    klass = StakeholderClassFactory()
    # Names and emails without digits, so a search by number can only match the number.
    members = [make_member(stakeholder_class=klass,
                           user=UserFactory(email=f"member.{letter}@example.org",
                                            full_name=f"Member {letter.upper()}"))
               for letter in "abc"]
    url = reverse("admin:membership_member_changelist")
    target = members[1]
    for term in (str(target.member_number), target.name, target.email):
        response = staff_client.get(url, {"q": term})
        result = list(response.context["cl"].result_list)
        assert target in result, term
    by_number = staff_client.get(url, {"q": str(target.member_number)})
    assert list(by_number.context["cl"].result_list) == [target]


# --- applications ---------------------------------------------------------------------------

def test_bulk_approve_numbers_in_submission_order(staff_client, staff):
    # given three applications, selected in an order other than submission
    applications = submit(3)
    ids = [applications[2].pk, applications[0].pk, applications[1].pk]
    # when staff approve them together
    response = staff_client.post(reverse("admin:membership_application_changelist"),
                                 {"action": "approve_selected", "_selected_action": ids},
                                 follow=True)
    # then the numbers follow submission order
    assert response.status_code == 200
    numbers = [Member.objects.get(application=a).member_number for a in applications]
    assert numbers == sorted(numbers)
    assert numbers[1] == numbers[0] + 1 and numbers[2] == numbers[1] + 1
    assert Application.objects.get(pk=applications[0].pk).decided_by == staff
    assert any("Approved 3" in t for t in texts(response))


def test_bulk_approve_with_a_decided_application_changes_nothing(staff_client):
    applications = submit(2)
    services.application_reject(actor=REGISTRAR, application=applications[0], reason="no")
    response = staff_client.post(
        reverse("admin:membership_application_changelist"),
        {"action": "approve_selected", "_selected_action": [a.pk for a in applications]},
        follow=True)
    assert response.status_code == 200
    assert Member.objects.count() == 0
    assert Application.objects.get(pk=applications[1].pk).status == "pending"
    assert any("already rejected" in t for t in texts(response))


def test_reject_asks_for_a_reason_then_rejects(staff_client):
    applications = submit(2)
    url = reverse("admin:membership_application_changelist")
    ids = [a.pk for a in applications]
    # the action first shows the confirmation page
    page = staff_client.post(url, {"action": "reject_selected", "_selected_action": ids})
    assert page.status_code == 200
    assert b"reason" in page.content
    assert Application.objects.filter(status="pending").count() == 2
    # an empty reason is refused
    empty = staff_client.post(url, {"action": "reject_selected", "_selected_action": ids,
                                    "confirm": "yes", "reason": ""})
    assert empty.status_code == 200
    assert Application.objects.filter(status="pending").count() == 2
    # with a reason they are rejected
    done = staff_client.post(url, {"action": "reject_selected", "_selected_action": ids,
                                   "confirm": "yes", "reason": "Not a photographer."},
                             follow=True)
    assert done.status_code == 200
    rejected = Application.objects.filter(status="rejected")
    assert rejected.count() == 2
    assert {a.rejection_reason for a in rejected} == {"Not a photographer."}
    assert AuditRecord.objects.filter(action="application.rejected").count() == 2


def test_paper_application_goes_through_the_service(staff_client, staff):
    klass = StakeholderClassFactory()
    referrer = make_member(stakeholder_class=klass, paid=True)
    url = reverse("admin:membership_application_add")
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {
        "stakeholder_class": klass.pk, "shares": 3, "name": "Ana Contact",
        "email": "press@example.org", "organisation_name": "Harbour Daily",
        "registration_number": "REG-1", "motivation": "", "referred_by": referrer.member_number,
        "bylaws_version": "2026-01",
    }, follow=True)
    assert response.status_code == 200
    application = Application.objects.get(email="press@example.org")
    assert application.source == "paper"
    assert application.kind == "organisation"
    assert application.referred_by == referrer
    audit = AuditRecord.objects.get(action="application.submitted",
                                    object_id=str(application.pk))
    assert audit.actor_id == staff.pk
    assert audit.facts["source"] == "paper"


def test_paper_application_refused_by_the_service_shows_the_error(staff_client):
    klass = StakeholderClassFactory(min_shares=2, max_shares=5)
    response = staff_client.post(reverse("admin:membership_application_add"), {
        "stakeholder_class": klass.pk, "shares": 9, "name": "Too Many", "email": "t@example.org",
        "bylaws_version": "2026-01",
    })
    assert response.status_code == 200
    assert not Application.objects.exists()
    # Shown once, on the form (the field it names), not again as a message above the page.
    assert response.content.decode().count("between 2 and 5") == 1
    assert not any("between 2 and 5" in t for t in texts(response))
    assert "between 2 and 5" in str(response.context["form"].errors["shares"])


def test_applications_cannot_be_edited_or_deleted(staff):
    model_admin = admin.site._registry[Application]
    request = type("R", (), {"user": staff})()
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_add_permission(request)


# --- members: payments, reversal, exit ------------------------------------------------------

def test_record_payment_through_admin(staff_client, staff):
    member = make_member(stakeholder_class=StakeholderClassFactory())  # 2 × 50.00
    url = reverse("admin:membership_member_record_payment", args=[member.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"amount": "100.00", "paid_on": date.today().isoformat(),
                                       "reference": "SEPA 1"}, follow=True)
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.paid_minor == 10000
    assert member.status == "active"
    assert member.shares_held == 2
    payment = SharePayment.objects.get(member=member)
    assert payment.recorded_by == staff and payment.reference == "SEPA 1"


def test_overpayment_in_admin_shows_an_error_and_changes_nothing(staff_client):
    member = make_member(stakeholder_class=StakeholderClassFactory())
    before = (SharePayment.objects.count(), ShareCertificate.objects.count(),
              AuditRecord.objects.count())
    url = reverse("admin:membership_member_record_payment", args=[member.pk])
    response = staff_client.post(url, {"amount": "100.01", "paid_on": date.today().isoformat()})
    assert response.status_code == 200
    # Once, on the amount, in money (not also as a message, not in minor units).
    page = response.content.decode()
    assert page.count("overpay") == 1
    assert "only 100.00 EUR is outstanding" in page
    assert "minor units" not in page
    assert not any("overpay" in t for t in texts(response))
    member.refresh_from_db()
    assert member.paid_minor == 0 and member.status == "awaiting_payment"
    assert (SharePayment.objects.count(), ShareCertificate.objects.count(),
            AuditRecord.objects.count()) == before


def test_future_payment_date_is_refused(staff_client):
    member = make_member(stakeholder_class=StakeholderClassFactory())
    url = reverse("admin:membership_member_record_payment", args=[member.pk])
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = staff_client.post(url, {"amount": "10.00", "paid_on": tomorrow.isoformat()})
    assert response.status_code == 200
    assert not SharePayment.objects.exists()


def test_reverse_payment_through_admin(staff_client):
    member = make_member(stakeholder_class=StakeholderClassFactory(), paid=True)
    payment = SharePayment.objects.get(member=member)
    # the member page links to the reversal
    page = staff_client.get(reverse("admin:membership_member_change", args=[member.pk]))
    reverse_url = reverse("admin:membership_sharepayment_reverse", args=[payment.pk])
    assert reverse_url.encode() in page.content
    # no reason: refused, nothing changes
    staff_client.post(reverse_url, {"reason": ""})
    assert not SharePayment.objects.filter(kind="reversal").exists()
    response = staff_client.post(reverse_url, {"reason": "Returned by the bank"}, follow=True)
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.paid_minor == 0 and member.status == "awaiting_payment"
    assert ShareCertificate.objects.filter(member=member, status="cancelled").count() == 2
    # reversing twice is refused with a message
    again = staff_client.post(reverse_url, {"reason": "again"})
    assert any("already reversed" in t for t in texts(again))
    assert SharePayment.objects.filter(kind="reversal").count() == 1


def test_record_exit_through_admin(staff_client):
    member = make_member(stakeholder_class=StakeholderClassFactory(), paid=True)
    url = reverse("admin:membership_member_exit", args=[member.pk])
    response = staff_client.post(url, {"exited_on": date.today().isoformat(),
                                       "reason": "Moving abroad"}, follow=True)
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.status == "exited"
    assert Redemption.objects.get(member=member).amount_minor == 10000
    # a second exit is refused and shown
    again = staff_client.post(url, {"exited_on": date.today().isoformat(), "reason": ""})
    assert any("already exited" in t for t in texts(again))
    assert Redemption.objects.count() == 1


def test_an_impossible_exit_date_is_shown_on_the_field_and_changes_nothing(staff_client):
    # admitted and paid today
    member = make_member(stakeholder_class=StakeholderClassFactory(), paid=True)
    url = reverse("admin:membership_member_exit", args=[member.pk])
    today = timezone.localdate()
    for day, message in [(today - timedelta(days=1), "joined"),
                         (today + timedelta(days=1), "future")]:
        response = staff_client.post(url, {"exited_on": day.isoformat(), "reason": "Moving"})
        assert response.status_code == 200
        assert any(message in error for error in response.context["form"].errors["exited_on"])
        member.refresh_from_db()
        assert (member.status, member.exited_on) == ("active", None)
        assert not Redemption.objects.exists()
    # on the day they joined and paid, which is today
    response = staff_client.post(url, {"exited_on": today.isoformat(), "reason": "Moving"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.exited_on) == ("exited", today)


def test_member_change_page_edits_details_not_the_register(staff_client):
    member = make_member(stakeholder_class=StakeholderClassFactory(), paid=True)
    url = reverse("admin:membership_member_change", args=[member.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert b"Record a payment" in page.content
    response = staff_client.post(url, {
        "name": "New Name", "email": "new@example.org", "contact_person": "",
        "registration_number": "", "user": member.user_id,
        "directory_visible": "",  # unchecked → hidden
        "payments-TOTAL_FORMS": "0", "payments-INITIAL_FORMS": "1",
        "certificates-TOTAL_FORMS": "0", "certificates-INITIAL_FORMS": "2",
        # an attempt to change register fields is ignored (they are read-only)
        "shares_held": "0", "status": "exited", "paid_minor": "1",
    })
    assert response.status_code == 302, response.content[:2000]
    member.refresh_from_db()
    assert member.name == "New Name" and not member.directory_visible
    assert member.status == "active" and member.shares_held == 2 and member.paid_minor == 10000
    assert AuditRecord.objects.filter(action="member.directory_visibility").exists()
    assert AuditRecord.objects.get(action="member.details_changed").facts == {
        "fields": ["email", "name"]}


# --- read-only register and records ---------------------------------------------------------

READ_ONLY = [ShareCertificate, RegisterEvent, SharePayment, Redemption, Counter,
             ShareSubscription, AuditRecord]


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_register_and_records_are_read_only(staff, model):
    model_admin = admin.site._registry[model]
    request = type("R", (), {"user": staff})()
    assert staff.is_superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)


def test_read_only_pages_refuse_writes(staff_client):
    member = make_member(stakeholder_class=StakeholderClassFactory(), paid=True)
    certificate = ShareCertificate.objects.filter(member=member).first()
    add = staff_client.get(reverse("admin:membership_sharecertificate_add"))
    assert add.status_code == 403
    delete = staff_client.post(reverse("admin:membership_sharecertificate_delete",
                                       args=[certificate.pk]), {"post": "yes"})
    assert delete.status_code == 403
    change = staff_client.post(reverse("admin:membership_sharecertificate_change",
                                       args=[certificate.pk]), {"status": "cancelled"})
    assert change.status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == "issued"
    # and members are never deleted or added by hand
    assert staff_client.get(reverse("admin:membership_member_add")).status_code == 403


def test_non_staff_cannot_reach_the_actions(client):
    member = make_member(stakeholder_class=StakeholderClassFactory())
    client.force_login(UserFactory())
    url = reverse("admin:membership_member_record_payment", args=[member.pk])
    response = client.post(url, {"amount": "100.00", "paid_on": date.today().isoformat()})
    assert response.status_code == 302  # to the admin sign-in
    assert not SharePayment.objects.exists()
