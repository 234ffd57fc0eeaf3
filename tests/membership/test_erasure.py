"""Erasing a person's data (membership.services.erasure): what goes, what the register keeps,
when the name goes, who may do it, and that a refusal or a failure erases nothing."""

import json
from datetime import date, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.cached_db import SessionStore
from django.urls import reverse
from django.utils import timezone

from coop.errors import Conflict, NotAllowed
from coop.models import AuditRecord, Cooperative, Notice, NoticePreference, PartnerApiKey
from coop.notices import notice_preferences_set
from membership import hooks, services
from membership.models import Application, Member, RegisterEvent, SharePayment
from membership.services.erasure import name_retention_end
from membership.tasks import erase_names_due
from patronage import services as patronage
from patronage.models import PayoutAccount
from tests.membership.factories import (
    REGISTRAR,
    StaffFactory,
    StakeholderClassFactory,
    UserFactory,
    make_member,
)
from vitality.models import PulseAnswer

pytestmark = pytest.mark.django_db

NAME, EMAIL = "Ada Quist", "ada.quist@example.org"
IBAN = "DE89370400440532013000"


def retention(years: int) -> None:
    Cooperative.objects.filter(pk=Cooperative.current().pk).update(
        register_retention_years=years)


@pytest.fixture
def former(client):
    """Ada: an application, a login that has been used, notices and an email choice, an IBAN,
    a pulse comment, paid-for shares (free: nothing to redeem), then her exit."""
    klass = StakeholderClassFactory(slug="free", name="Free", share_price_minor=0,
                                    min_shares=1, max_shares=1)
    user = UserFactory(email=EMAIL, full_name=NAME)
    member = make_member(stakeholder_class=klass, user=user)
    patronage.payout_account_set(actor=user, member=member, iban=IBAN, holder=NAME)
    notice_preferences_set(recipient=member, email={"membership.payment_recorded": False})
    PulseAnswer.objects.create(member=member, month=date.today().replace(day=1),
                               class_slug="free", score=2, comment="I am Ada and I am tired",
                               answered_at=timezone.now())
    # Signed in the way people sign in, so allauth records the session.
    response = client.post(reverse("account_login"),
                           {"login": EMAIL, "password": "correct horse battery"})
    assert response.status_code == 302
    services.member_exit(member=member, actor=user, reason="Moving to Lisbon with my family")
    return Member.objects.get(pk=member.pk), user


def personal_strings_in_audit() -> list[str]:
    text = json.dumps(list(AuditRecord.objects.values("action", "object_id", "facts")))
    return [s for s in (NAME, "Ada", EMAIL, IBAN, "Lisbon", "tired") if s in text]


def test_erasure_takes_the_persons_data_and_keeps_the_register(former, staff, client):
    member, user = former
    retention(0)
    payments = list(SharePayment.objects.filter(member=member).values())
    events = list(RegisterEvent.objects.filter(member=member).values())
    assert Notice.objects.filter(recipient_id=member.pk).exists()

    assert client.get("/money/").status_code == 200  # signed in, still
    session_key = UserSession.objects.get(user=user).session_key

    result = services.member_erase(member=member, actor=staff)

    member.refresh_from_db()
    assert result.name_kept_until is None
    assert member.name == f"Former member {member.member_number}"
    assert (member.email, member.contact_person, member.exit_reason) == ("", "", "")
    assert member.user is None and not member.directory_visible
    assert member.erased_on == timezone.localdate()
    # The register and its money stay as they were.
    assert member.status == Member.Status.EXITED and member.exited_on is not None
    assert list(SharePayment.objects.filter(member=member).values()) == payments
    assert list(RegisterEvent.objects.filter(member=member).values()) == events
    # The account is gone with its addresses; the old session no longer signs anybody in.
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert not EmailAddress.objects.filter(email=EMAIL).exists()
    assert not SessionStore().exists(session_key)
    assert client.get("/money/").status_code == 302
    application = Application.objects.get(pk=member.application_id)
    assert (application.name, application.email, application.motivation,
            application.user_id) == ("Erased applicant", "", "", None)
    assert not Notice.objects.filter(recipient_id__in=[member.pk, user.pk]).exists()
    assert not NoticePreference.objects.filter(recipient_id=member.pk).exists()
    # The apps above: the IBAN goes; the pulse score stays for the figures, without words.
    assert not PayoutAccount.objects.filter(member=member).exists()
    assert list(PulseAnswer.objects.filter(member=member).values_list("score", "comment")) == [
        (2, "")]
    record = AuditRecord.objects.get(action="member.erased")
    assert record.facts["counts"] == {"applications": 1, "notices": result.counts["notices"],
                                      "accounts": 1, "payout_accounts": 1,
                                      "pulse_comments": 1}
    assert result.counts["notices"] >= 1
    assert personal_strings_in_audit() == []


def test_the_register_keeps_the_name_for_its_retention_then_the_job_erases_it(former, staff):
    member, _ = former
    retention(10)
    result = services.member_erase(member=member, actor=staff)
    until = name_retention_end(member.exited_on, 10)
    assert result.name_kept_until == until
    member.refresh_from_db()
    assert (member.name, member.email, member.name_kept_until) == (NAME, "", until)

    with time_machine.travel(until - timedelta(days=1)):
        assert erase_names_due.delay().get() == 0
    member.refresh_from_db()
    assert member.name == NAME
    with time_machine.travel(until):
        assert erase_names_due.delay().get() == 1
        assert erase_names_due.delay().get() == 0  # once
    member.refresh_from_db()
    assert (member.name, member.name_kept_until) == (
        f"Former member {member.member_number}", None)
    assert AuditRecord.objects.filter(action="member.name_erased",
                                      object_id=str(member.member_number)).count() == 1
    assert personal_strings_in_audit() == []


@pytest.mark.parametrize(("exited", "years", "end"), [
    (date(2026, 3, 31), 10, date(2036, 3, 31)),
    (date(2024, 2, 29), 1, date(2025, 3, 1)),  # never cut short
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2026, 5, 4), 0, date(2026, 5, 4)),
])
def test_the_retention_ends_on_the_anniversary_of_the_exit(exited, years, end):
    assert name_retention_end(exited, years) == end


def test_an_organisations_legal_name_and_number_stay(staff):
    retention(0)
    klass = StakeholderClassFactory(slug="free", name="Free", share_price_minor=0,
                                    min_shares=1, max_shares=1)
    member = make_member(stakeholder_class=klass)
    Member.objects.filter(pk=member.pk).update(kind="organisation", name="Lumen Studio BV",
                                               registration_number="KvK 1234",
                                               contact_person="Jo Contact")
    services.member_exit(member=Member.objects.get(pk=member.pk), actor=REGISTRAR)
    services.member_erase(member=Member.objects.get(pk=member.pk), actor=staff)
    member.refresh_from_db()
    assert (member.name, member.registration_number, member.contact_person, member.email) == (
        "Lumen Studio BV", "KvK 1234", "", "")


def snapshot(member):
    return (Member.objects.filter(pk=member.pk).values().get(),
            get_user_model().objects.filter(pk=member.user_id).exists(),
            PayoutAccount.objects.filter(member_id=member.pk).exists(),
            AuditRecord.objects.filter(action="member.erased").count())


def test_a_current_member_is_not_erased(staff):
    member = make_member(stakeholder_class=StakeholderClassFactory(
        slug="free", share_price_minor=0, min_shares=1, max_shares=1))
    before = snapshot(member)
    with pytest.raises(Conflict, match="still a member"):
        services.member_erase(member=member, actor=staff)
    assert snapshot(member) == before


def test_capital_still_owed_must_be_paid_first(staff):
    klass = StakeholderClassFactory(slug="paid", share_price_minor=5000, min_shares=1,
                                    max_shares=2)
    member = make_member(stakeholder_class=klass, paid=True)
    services.member_exit(member=member, actor=REGISTRAR)
    member = Member.objects.get(pk=member.pk)
    before = snapshot(member)
    with pytest.raises(Conflict, match="still owes member .* their capital"):
        services.member_erase(member=member, actor=staff)
    assert snapshot(member) == before


def test_a_staff_account_keeps_its_rights_until_they_are_taken_away(staff):
    klass = StakeholderClassFactory(slug="free", share_price_minor=0, min_shares=1, max_shares=1)
    member = make_member(stakeholder_class=klass, user=StaffFactory())
    services.member_exit(member=member, actor=REGISTRAR)
    member = Member.objects.get(pk=member.pk)
    with pytest.raises(Conflict, match="staff account"):
        services.member_erase(member=member, actor=staff)


def test_only_staff_erase(former):
    member, user = former
    _, raw = PartnerApiKey.objects.create_key(name="registrar", scopes=["*"])
    key = PartnerApiKey.objects.get_from_key(raw)
    for actor in (key, user, UserFactory()):
        with pytest.raises(NotAllowed):
            services.member_erase(member=member, actor=actor)
    assert Member.objects.get(pk=member.pk).erased_on is None


def test_erased_once_and_nothing_typed_back(former, staff):
    member, _ = former
    services.member_erase(member=member, actor=staff)
    member.refresh_from_db()
    with pytest.raises(Conflict, match="was erased on"):
        services.member_erase(member=member, actor=staff)
    with pytest.raises(Conflict, match="erased"):
        services.member_details_update(member=member, changes={"email": "x@example.org"},
                                       actor=staff)
    with pytest.raises(Conflict, match="erased"):
        patronage.payout_account_set(actor=staff, member=member, iban=IBAN)
    assert AuditRecord.objects.filter(action="member.erased").count() == 1


class Failing:
    """An app whose erasure fails after the others have erased theirs."""

    def refusal(self, member):
        return None

    def erase(self, member, *, actor):
        raise RuntimeError("the disk is full")


class Refusing(Failing):
    def refusal(self, member):
        return "An app still needs this person's data."


@pytest.mark.parametrize("hook", [Failing(), Refusing()], ids=["failing", "refusing"])
def test_a_failing_or_refusing_app_leaves_everything_as_it_was(former, staff, hook):
    member, user = former
    before = snapshot(member)
    notices = Notice.objects.count()
    hooks.erasure_hooks.append(hook)
    try:
        with pytest.raises((RuntimeError, Conflict)):
            services.member_erase(member=member, actor=staff)
    finally:
        hooks.erasure_hooks.remove(hook)
    assert snapshot(member) == before
    assert Notice.objects.count() == notices
    assert EmailAddress.objects.filter(user=user).exists()
    assert PulseAnswer.objects.get(member=member).comment


# --- the admin ------------------------------------------------------------------------------


def test_staff_erase_in_the_admin_after_typing_the_member_number(former, staff_client):
    member, _ = former
    retention(10)
    page = reverse("admin:membership_member_change", args=[member.pk])
    erase = reverse("admin:membership_member_erase", args=[member.pk])
    assert erase in staff_client.get(page).content.decode()
    shown = staff_client.get(erase).content.decode()
    assert "for 10 year(s) after the exit" in shown and "Erase personal data" in shown

    wrong = staff_client.post(erase, {"member_number": member.member_number + 1})
    assert "This is not the member number" in wrong.content.decode()
    assert Member.objects.get(pk=member.pk).erased_on is None

    done = staff_client.post(erase, {"member_number": member.member_number}, follow=True)
    messages = [str(m) for m in done.context["messages"]]
    until = name_retention_end(member.exited_on, 10)
    assert messages == [f"Member {member.member_number}'s personal data is erased. The "
                        f"register keeps the name until {until}, when it is erased too."]
    member.refresh_from_db()
    assert member.erased_on is not None and member.email == ""
    # Erased: no button, and every field read-only (the details cannot be typed back).
    after = staff_client.get(page)
    assert erase not in after.content.decode()
    assert 'name="email"' not in after.content.decode()
    refused = staff_client.post(erase, {"member_number": member.member_number})
    assert "was erased on" in refused.content.decode()


def test_the_admin_says_why_a_current_member_cannot_be_erased(staff_client):
    member = make_member(stakeholder_class=StakeholderClassFactory(
        slug="free", share_price_minor=0, min_shares=1, max_shares=1))
    page = reverse("admin:membership_member_change", args=[member.pk])
    erase = reverse("admin:membership_member_erase", args=[member.pk])
    assert erase not in staff_client.get(page).content.decode()
    response = staff_client.post(erase, {"member_number": member.member_number})
    assert "still a member" in response.content.decode()
    assert Member.objects.get(pk=member.pk).erased_on is None


def test_beat_runs_the_names_job_every_day():
    from celery.schedules import crontab
    from django.conf import settings

    from coop.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["membership-erase-names"]
    assert entry["task"] == erase_names_due.name == "membership.tasks.erase_names_due"
    assert entry["schedule"] == crontab(hour=2, minute=23)
    assert erase_names_due.name in app.tasks
