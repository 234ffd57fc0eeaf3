"""Every write of the share register goes through membership.services (issue #7).

The ledger will hook into those services to post a journal entry for every movement of the
register; a write anywhere else would be a movement that never posts. The scan below looks at
every project Python file (not .venv, not migrations, not tests) for writes to the register's
models and finds them only in membership/services.py.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse

from coop.errors import Conflict, InvalidInput
from coop.models import AuditRecord
from governance import services as governance_services
from governance.models import Category
from membership import importer, services
from membership.models import (
    Member,
    Redemption,
    RegisterEvent,
    SharePayment,
    StakeholderClass,
)

from .factories import REGISTRAR, StaffFactory, StakeholderClassFactory, UserFactory, make_member
from .register_scan import REGISTER_MODELS, scan_project, scan_source

ROOT = Path(__file__).resolve().parents[2]

# membership's models that are not the register, and why.
NOT_THE_REGISTER = {
    # A request to join: it moves no share and no money (the ledger posts nothing for it);
    # the Member an approval creates is written by applications_approve.
    "Application",
    # The bylaws' text and versions: no share and no money (an application records the label).
    "Bylaws",
}

# Files outside the services that write register rows on purpose, and why.
EXCEPTIONS = {
    # Build synthetic benchmark databases of 100,000 members from scratch with bulk_create and
    # fixed ids (docs/benchmarks.md): never run against a cooperative's database, and through
    # the services they would take an hour.
    "bench/generate_members.py",
    "bench/governance_generate.py",
}


def test_every_membership_model_is_either_the_register_or_said_not_to_be():
    # A new membership model forces a decision here (and in the scan).
    names = {model.__name__ for model in apps.get_app_config("membership").get_models()}
    assert names == set(REGISTER_MODELS) | set(NOT_THE_REGISTER)
    assert not set(REGISTER_MODELS) & set(NOT_THE_REGISTER)


def test_nothing_outside_the_services_writes_the_register():
    findings = scan_project(ROOT)
    outside = [str(f) for f in findings if f.path not in EXCEPTIONS]
    assert outside == [], "writes to the share register outside membership/services.py"
    # An exception that no longer writes is removed, so the list stays the truth.
    assert {f.path for f in findings} == EXCEPTIONS


def test_the_scan_reads_the_project():
    # Guard against a scan that passes because it read nothing.
    # The services are a package (split by sub-domain): read each of its modules.
    findings = [finding for path in sorted((ROOT / "membership" / "services").glob("*.py"))
                for finding in scan_source(path.read_text(), path.name)]
    assert len(findings) > 10


BAD = {
    "queryset update": """
from membership.models import Member
def f():
    Member.objects.filter(status="active").update(status="exited")
""",
    "instance save": """
from membership.models import Member
def f(pk):
    m = Member.objects.get(pk=pk)
    m.name = "x"
    m.save()
""",
    "parameter named like a record": """
def f(member):
    member.save(update_fields=["name"])
""",
    "annotated parameter": """
from membership.models import ShareCertificate
def f(c: ShareCertificate):
    c.delete()
""",
    "a relation of another record": """
def f(payment_id):
    from membership.models import SharePayment
    p = SharePayment.objects.get(pk=payment_id)
    p.member.save()
""",
    "a queryset from a selector": """
from membership import selectors
def f():
    members = selectors.members_for_api()
    members.update(directory_visible=False)
""",
    "a reverse relation": """
def f(user):
    user.member.certificates.update(status="cancelled")
""",
    "loop over models": """
from membership.models import Member, Redemption
def f(rows):
    for model in [Member, Redemption]:
        model.objects.bulk_create(rows)
""",
    "model passed to a helper": """
from membership.models import RegisterEvent
def write(model, rows):
    model.objects.bulk_create(rows)
def f(rows):
    write(RegisterEvent, rows)
""",
    "get_or_create on an alias": """
from membership.models import ShareSubscription as Sub
Sub.objects.get_or_create(member_id=1)
""",
    "get_object_or_404 then save": """
from django.shortcuts import get_object_or_404
from membership.models import Redemption
def view(request, pk):
    r = get_object_or_404(Redemption, pk=pk)
    r.status = "paid"
    r.save()
""",
    "admin with Django's default save_model": """
from django.contrib import admin
from membership.models import Member
@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False
""",
    "admin that saves the form": """
from django.contrib import admin
from membership.models import StakeholderClass
@admin.register(StakeholderClass)
class ClassAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False
    def save_model(self, request, obj, form, change):
        form.save()
""",
    "admin that calls the default save_model": """
from django.contrib import admin
from membership.models import StakeholderClass
class ClassAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        return False
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
admin.site.register(StakeholderClass, ClassAdmin)
""",
    "admin that deletes by default": """
from django.contrib import admin
from membership.models import Member
@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        pass
""",
    "editable inline": """
from django.contrib import admin
from membership.models import SharePayment
class PaymentInline(admin.TabularInline):
    model = SharePayment
""",
}


@pytest.mark.parametrize("source", BAD.values(), ids=BAD.keys())
def test_the_scan_flags_a_write_outside_the_services(source):
    assert scan_source(source), "the scan missed a write"


GOOD = {
    "reads": """
from membership.models import Member
def f():
    return list(Member.objects.filter(status="active").values_list("pk", flat=True))
""",
    "other models": """
from governance.models import Proposal
def f(proposal):
    Proposal.objects.create(title="x")
    proposal.save()
""",
    "a dict that mentions a member": """
def f(member, extra):
    context = {"member": member}
    context.update(extra)
    found = set()
    found.update([1, 2])
""",
    "a service call": """
from membership import services
def f(member):
    services.member_exit(member=member, reason="moving")
""",
    "read-only admin": """
from django.contrib import admin
from coop.admin_base import ReadOnlyAdmin
from membership.models import RegisterEvent
@admin.register(RegisterEvent)
class EventAdmin(ReadOnlyAdmin):
    pass
""",
}


@pytest.mark.parametrize("source", GOOD.values(), ids=GOOD.keys())
def test_the_scan_leaves_reads_and_services_alone(source):
    assert scan_source(source) == []


# --- the import writes through the services -------------------------------------------------

IMPORT = ("member_number,name,class,shares_subscribed,joined_on,status,payments,certificates,"
          "exited_on,redemption_status,referred_by\n"
          "1,Aino,photographers,2,2019-03-01,active,2019-03-05:10000,1-2,,,2\n"
          "2,Olga,photographers,2,2018-01-01,exited,2018-01-02:5000;2018-02-02:5000,3-4,"
          "2021-06-30,requested,\n")


@pytest.mark.django_db
def test_the_import_leaves_the_trail_of_the_services_and_emails_nobody(
        mailoutbox, django_capture_on_commit_callbacks):
    StakeholderClassFactory()
    staff = StaffFactory()
    with django_capture_on_commit_callbacks(execute=True):
        importer.register_import(text=IMPORT, actor=staff)
    # History, not news: the members of an old register are not told they just paid.
    assert mailoutbox == []
    actions = list(AuditRecord.objects.filter(object_type="member", object_id="2")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["member.admitted", "payment.recorded", "shares.issued",
                       "payment.recorded", "shares.issued", "member.active", "member.exited",
                       "member.imported"]
    aino = Member.objects.get(member_number=1)
    # The referrer came later in the file: set by member_details_update, audited.
    assert aino.referred_by.member_number == 2
    assert AuditRecord.objects.get(action="member.details_changed").facts == {
        "fields": ["referred_by"]}
    olga = Member.objects.get(member_number=2)
    assert olga.redemption.status == Redemption.Status.REQUESTED
    assert olga.redemption.amount_minor == 10000
    notes = list(RegisterEvent.objects.filter(member=olga).order_by("pk")
                 .values_list("kind", "note", "event_date"))
    assert notes == [("issue", "register import", date(2018, 1, 2)),
                     ("issue", "register import", date(2018, 2, 2)),
                     ("redeem", "register import: member exited", date(2021, 6, 30)),
                     ("redeem", "register import: member exited", date(2021, 6, 30))]
    assert set(SharePayment.objects.values_list("recorded_by", flat=True)) == {staff.pk}


@pytest.mark.django_db
def test_member_import_refuses_a_taken_number_with_a_field_error():
    photographers = StakeholderClassFactory()
    member = make_member(stakeholder_class=photographers)
    with pytest.raises(InvalidInput) as refused:
        services.member_import(actor=REGISTRAR, member_number=member.member_number,
                               stakeholder_class=photographers, shares=2,
                               share_price_minor=5000, joined_on=date(2020, 1, 1), name="Twin")
    assert "member_number" in refused.value.errors


# --- stakeholder classes --------------------------------------------------------------------

@pytest.mark.django_db
def test_a_new_share_price_applies_to_new_subscriptions_only_and_is_audited():
    photographers = StakeholderClassFactory()  # 50.00 a share
    before = make_member(stakeholder_class=photographers)
    services.stakeholder_class_update(stakeholder_class=photographers, share_price_minor=6000,
                                      name="Photographers", actor=StaffFactory())
    after = make_member(stakeholder_class=photographers)
    before.refresh_from_db()
    assert before.subscription.share_price_minor == 5000
    assert after.subscription.share_price_minor == 6000
    # The member who subscribed at 50.00 completes their shares at 50.00.
    services.share_payment_record(actor=REGISTRAR,
                                  member=before, amount_minor=10000, paid_on=date.today())
    before.refresh_from_db()
    assert (before.status, before.shares_held) == ("active", 2)
    record = AuditRecord.objects.get(action="class.changed")
    # Unchanged values are not listed; the name was given but is the same.
    assert record.facts == {"share_price_minor": {"old": 5000, "new": 6000}}
    assert record.object_id == "photographers"


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), [
    ({"share_price_minor": -1}, "share_price_minor"),
    ({"min_shares": 0}, "min_shares"),
    ({"max_shares": 1}, "max_shares"),  # below min_shares 2
    ({"slug": "other"}, "slug"),
    ({"name": " "}, "name"),
])
def test_a_class_update_refuses_what_the_register_cannot_hold(changes, field):
    photographers = StakeholderClassFactory()
    with pytest.raises(InvalidInput) as refused:
        services.stakeholder_class_update(actor=REGISTRAR, stakeholder_class=photographers,
                                          **changes)
    assert field in refused.value.errors
    assert not AuditRecord.objects.filter(action="class.changed").exists()


@pytest.mark.django_db
def test_the_admin_changes_a_class_through_the_service(client):
    photographers = StakeholderClassFactory()
    client.force_login(StaffFactory())
    url = reverse("admin:membership_stakeholderclass_change", args=[photographers.pk])
    response = client.post(url, {
        "name": "Photographers", "description": "", "share_price_minor": "7500",
        "min_shares": "2", "max_shares": "20", "vote_weight": "1",
        "patronage_measure": "licences sold"})
    assert response.status_code == 302
    assert StakeholderClass.objects.get(pk=photographers.pk).share_price_minor == 7500
    assert AuditRecord.objects.get(action="class.changed").facts == {
        "share_price_minor": {"old": 5000, "new": 7500}}


@pytest.mark.django_db
def test_the_admin_shows_a_class_the_register_cannot_hold_as_a_form_error(client):
    photographers = StakeholderClassFactory()
    client.force_login(StaffFactory())
    url = reverse("admin:membership_stakeholderclass_change", args=[photographers.pk])
    response = client.post(url, {
        "name": "Photographers", "description": "", "share_price_minor": "-5",
        "min_shares": "3", "max_shares": "2", "vote_weight": "1",
        "patronage_measure": "licences sold"})
    assert response.status_code == 200  # the form again, with its errors; not a 500
    assert StakeholderClass.objects.get(pk=photographers.pk).share_price_minor == 5000
    assert not AuditRecord.objects.filter(action="class.changed").exists()


# --- member details -------------------------------------------------------------------------

@pytest.mark.django_db
def test_member_details_update_writes_only_what_changed_and_audits_field_names():
    member = make_member()
    services.member_details_update(actor=REGISTRAR, member=member, changes={"name": "New Name",
                                                            "email": member.email})
    member.refresh_from_db()
    assert member.name == "New Name"
    assert AuditRecord.objects.get(action="member.details_changed").facts == {"fields": ["name"]}


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), [
    ({"name": ""}, "name"),
    ({"email": "not-an-address"}, "email"),
    ({"status": "exited"}, "status"),
    ({"shares_held": 0}, "shares_held"),
])
def test_member_details_update_refuses_bad_details_and_register_fields(changes, field):
    member = make_member()
    with pytest.raises(InvalidInput) as refused:
        services.member_details_update(actor=REGISTRAR, member=member, changes=changes)
    assert field in refused.value.errors


@pytest.mark.django_db
def test_an_account_belongs_to_one_member():
    photographers = StakeholderClassFactory()
    first, second = make_member(stakeholder_class=photographers), make_member(
        stakeholder_class=photographers)
    with pytest.raises(InvalidInput) as refused:
        services.member_details_update(actor=REGISTRAR, member=second, changes={"user": first.user})
    assert "user" in refused.value.errors
    services.member_details_update(actor=REGISTRAR, member=second, changes={"user": UserFactory()})


# --- categories -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_category_create_and_update_are_audited_with_old_and_new_values():
    category = governance_services.category_create(actor=REGISTRAR, slug="budget", name="Budget",
                                                   min_quorum_percent=20, min_threshold="2/3",
                                                   min_discussion_hours=24, min_voting_hours=96)
    assert AuditRecord.objects.get(action="category.created").facts == {
        "name": "Budget", "min_quorum_percent": 20, "min_threshold": "2/3",
        "min_discussion_hours": 24, "min_voting_hours": 96}
    governance_services.category_update(actor=REGISTRAR, category=category, min_quorum_percent=25,
                                        min_threshold="2/3")
    assert Category.objects.get(slug="budget").min_quorum_percent == 25
    assert AuditRecord.objects.get(action="category.changed").facts == {
        "min_quorum_percent": {"old": 20, "new": 25}}
    with pytest.raises(Conflict):
        governance_services.category_create(actor=REGISTRAR, slug="budget", name="Again")


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), [
    ({"min_threshold": "most"}, "min_threshold"),
    ({"min_threshold": "1/3"}, "min_threshold"),
    ({"min_quorum_percent": 101}, "min_quorum_percent"),
    ({"min_voting_hours": 0}, "min_voting_hours"),
    ({"min_discussion_hours": -1}, "min_discussion_hours"),
    ({"slug": "renamed"}, "slug"),
])
def test_category_update_refuses_floors_proposals_cannot_use(changes, field):
    category = Category.objects.get(slug="general")
    with pytest.raises(InvalidInput) as refused:
        governance_services.category_update(actor=REGISTRAR, category=category, **changes)
    assert field in refused.value.errors


@pytest.mark.django_db
def test_the_admin_edits_categories_through_the_services_and_shows_refusals(client):
    client.force_login(StaffFactory())
    response = client.post(reverse("admin:governance_category_add"), {
        "slug": "budget", "name": "Budget", "min_quorum_percent": "20",
        "min_threshold": "2/3", "min_discussion_hours": "48", "min_voting_hours": "96"})
    assert response.status_code == 302
    budget = Category.objects.get(slug="budget")
    assert AuditRecord.objects.filter(action="category.created", object_id="budget").exists()

    url = reverse("admin:governance_category_change", args=[budget.pk])
    response = client.post(url, {"name": "Budget", "min_quorum_percent": "30",
                                 "min_threshold": "2/3", "min_discussion_hours": "48",
                                 "min_voting_hours": "96"})
    assert response.status_code == 302
    assert Category.objects.get(pk=budget.pk).min_quorum_percent == 30

    # A threshold the tally cannot read: the service refuses, the admin says so (not a 500)
    # and changes nothing.
    response = client.post(url, {"name": "Budget", "min_quorum_percent": "30",
                                 "min_threshold": "most", "min_discussion_hours": "48",
                                 "min_voting_hours": "96"},
                           follow=True)
    assert response.status_code == 200
    assert b"not valid" in response.content
    assert Category.objects.get(pk=budget.pk).min_threshold == "2/3"
    assert AuditRecord.objects.filter(action="category.changed").count() == 1


@pytest.mark.django_db
def test_the_admin_shows_a_refused_member_edit_as_a_message_and_changes_nothing(client):
    photographers = StakeholderClassFactory()
    member = services.member_import(actor=REGISTRAR, member_number=5,
                                    stakeholder_class=photographers, shares=2,
                                    share_price_minor=5000, joined_on=date(2020, 1, 1),
                                    name="Harbour BV", kind="organisation",
                                    registration_number="REG-1")
    client.force_login(StaffFactory())
    url = reverse("admin:membership_member_change", args=[member.pk])
    response = client.post(url, {
        "name": "Harbour Daily BV", "email": "", "contact_person": "",
        "registration_number": "",  # an organisation keeps its registration number
        "user": "", "directory_visible": "on",
        "payments-TOTAL_FORMS": "0", "payments-INITIAL_FORMS": "0",
        "certificates-TOTAL_FORMS": "0", "certificates-INITIAL_FORMS": "0",
    }, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert re.findall(r'<li class="error">(.*?)</li>', page) == [
        "The member&#x27;s details are not valid.",
        "Registration number: Required for an organisation."]
    member.refresh_from_db()
    assert (member.name, member.registration_number) == ("Harbour BV", "REG-1")
    assert not AuditRecord.objects.filter(action="member.details_changed").exists()
