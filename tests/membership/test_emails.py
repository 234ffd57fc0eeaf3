"""Issue #8 items 11 and 12: membership's emails as the person reads them (the rendered text):
money in the cooperative's currency, never minor units; plain text not HTML-escaped; links on
SITE_URL; the cooperative's payment details (set by staff on coop.Cooperative) in the approval
email and on the member home. And the console mailer keeps a long link whole on one line."""

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend as DjangoConsole

from coop.mail import ConsoleEmailBackend
from coop.models import Cooperative
from membership import services
from tests import flaky_mail

from .factories import REGISTRAR, StaffFactory, StakeholderClassFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8101"
NAME = "Photographers' Cooperative"


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.SITE_URL = SITE
    settings.COOP_NAME = NAME
    flaky_mail.use(settings, flaky_mail.Script())
    with flaky_mail.eager_retries():
        yield


def pay_into_the_bank(**extra):
    coop = Cooperative.current()
    fields = {"payment_account_holder": "Lightbox eG",
              "payment_iban": "de89 3704 0044 0532 0130 00",
              "payment_bic": "cobadeffxxx", "payment_reference": "LB-{number}",
              "payment_instructions": "Cash is welcome at the general assembly."} | extra
    for name, value in fields.items():
        setattr(coop, name, value)
    coop.full_clean()
    coop.save()
    return coop


def submit(capture, shares=3):
    klass = StakeholderClassFactory()  # 50.00 EUR a share, at least 2
    user = UserFactory(email="ann@example.org")
    with capture(execute=True):
        return services.application_submit(stakeholder_class=klass, shares=shares, name="Ann",
                                           email=user.email, user=user, actor=user)


def approve(capture, application):
    with capture(execute=True):
        return services.application_approve(actor=REGISTRAR, application=application)


def test_the_received_email_shows_money_and_the_name_unescaped(
        mailoutbox, django_capture_on_commit_callbacks):
    submit(django_capture_on_commit_callbacks)
    (received,) = mailoutbox
    assert received.subject == f"[{NAME}] We received your application"
    body = received.body
    assert f"Thank you for applying to join {NAME} as a Photographers member with 3 shares " \
           "at 50.00 EUR each." in body
    assert "&#x27;" not in body and "&amp;" not in body
    assert f"{SITE}/bylaws/" in body


def test_the_approval_email_says_what_to_pay_and_how(
        mailoutbox, django_capture_on_commit_callbacks):
    pay_into_the_bank()
    member = approve(django_capture_on_commit_callbacks, submit(django_capture_on_commit_callbacks))
    approval = mailoutbox[-1]
    assert approval.subject.endswith("Welcome: your application was approved")
    body = approval.body
    assert "3 shares at 50.00 EUR each, 150.00 EUR in all." in body
    assert "minor units" not in body and "15000" not in body
    assert "you can vote once you have paid for your class's minimum of 2 shares" in body
    assert ("How to pay:\n"
            "  Account holder: Lightbox eG\n"
            "  IBAN: DE89 3704 0044 0532 0130 00\n"
            "  BIC: COBADEFFXXX\n"
            f"  Reference: LB-{member.member_number}\n"
            "\nCash is welcome at the general assembly.\n") in body
    assert f"See your membership: {SITE}/" in body
    assert "&#x27;" not in body


def test_without_payment_details_the_approval_email_still_names_the_reference(
        mailoutbox, django_capture_on_commit_callbacks):
    member = approve(django_capture_on_commit_callbacks, submit(django_capture_on_commit_callbacks))
    body = mailoutbox[-1].body
    assert (f'Reply to this message to ask how to pay; use "Member {member.member_number}" as '
            "the payment reference.") in body
    assert "IBAN" not in body


def test_the_payment_email_shows_money_and_how_to_pay_the_rest(
        mailoutbox, django_capture_on_commit_callbacks):
    pay_into_the_bank(payment_bic="", payment_instructions="")
    member = approve(django_capture_on_commit_callbacks, submit(django_capture_on_commit_callbacks))
    with django_capture_on_commit_callbacks(execute=True):
        services.share_payment_record(actor=REGISTRAR, member=member, amount_minor=12550,
                                      paid_on=date.today(), reference="LB-1")
    (receipt,) = [m for m in mailoutbox if m.subject.endswith("We recorded your share payment")]
    body = receipt.body
    today = date.today()
    assert f"We recorded your share payment of 125.50 EUR on {today.day} {today:%B %Y}" in body
    assert "You have now paid 125.50 EUR of 150.00 EUR and hold 2 shares." in body
    assert f"  Reference: LB-{member.member_number}\n" in body
    assert "BIC" not in body


def test_the_member_home_shows_the_payment_details_next_to_what_to_pay(
        client, django_capture_on_commit_callbacks):
    pay_into_the_bank()
    member = approve(django_capture_on_commit_callbacks, submit(django_capture_on_commit_callbacks))
    client.force_login(member.user)
    html = client.get("/").content.decode()
    steps = html[html.index('id="next-title"'):html.index('id="certs-title"')]
    assert "Pay <strong>100.00 EUR</strong> more to become an active member" in steps
    assert f"Use <strong>LB-{member.member_number}</strong> as the payment reference." in steps
    assert "<dt>IBAN</dt><dd>DE89 3704 0044 0532 0130 00</dd>" in steps
    assert "<dt>Account holder</dt><dd>Lightbox eG</dd>" in steps
    assert "<p>Cash is welcome at the general assembly.</p>" in steps

    with django_capture_on_commit_callbacks(execute=True):
        services.share_payment_record(actor=REGISTRAR, member=member, amount_minor=10000,
                                      paid_on=date.today())
    steps = client.get("/").content.decode()
    assert "Pay the remaining <strong>50.00 EUR</strong>" in steps
    assert f"(reference: <strong>LB-{member.member_number}</strong>)" in steps
    assert "<dt>IBAN</dt><dd>DE89 3704 0044 0532 0130 00</dd>" in steps


# --- the settings staff maintain ----------------------------------------------------------

def test_the_iban_and_bic_are_checked_and_stored_in_one_spelling():
    coop = pay_into_the_bank()
    coop.refresh_from_db()
    assert (coop.payment_iban, coop.payment_bic) == ("DE89370400440532013000", "COBADEFFXXX")
    with pytest.raises(ValidationError) as refused:
        pay_into_the_bank(payment_iban="DE89 3704 0044 0532 0130 01")  # a digit mistyped
    assert "Enter a valid IBAN" in str(refused.value.message_dict["payment_iban"])
    with pytest.raises(ValidationError) as refused:
        pay_into_the_bank(payment_bic="COBADE")
    assert "Enter a valid BIC" in str(refused.value.message_dict["payment_bic"])
    with pytest.raises(ValidationError) as refused:
        pay_into_the_bank(payment_iban="")
    assert "A BIC needs the IBAN" in str(refused.value.message_dict["payment_iban"])


def test_staff_set_the_payment_details_in_the_admin(client):
    client.force_login(StaffFactory())
    coop = Cooperative.current()
    form = {"quorum_percent": "10", "register_retention_years": "10",
            "fiscal_year_start": "01-01", "bylaws_version": "2026-01",
            "bylaws_url": "", "payment_account_holder": "Lightbox eG",
            "payment_iban": "DE89 3704 0044 0532 0130 01", "payment_bic": "",
            "payment_instructions": "", "payment_reference": "{number}/shares"}
    url = f"/admin/coop/cooperative/{coop.pk}/change/"
    response = client.post(url, form)
    assert response.status_code == 200 and "Enter a valid IBAN" in response.content.decode()
    response = client.post(url, form | {"payment_iban": "DE89 3704 0044 0532 0130 00"})
    assert response.status_code == 302
    coop.refresh_from_db()
    assert coop.payment_iban == "DE89370400440532013000"
    assert coop.payment_reference_for(7) == "7/shares"


def test_a_reference_is_filled_in_without_format_surprises():
    coop = Cooperative.current()
    coop.payment_reference = "{0.__class__} {number} {"
    assert coop.payment_reference_for(12) == "{0.__class__} 12 {"
    coop.payment_reference = ""
    assert coop.payment_reference_for(12) == "Member 12"


# --- the console mailer -------------------------------------------------------------------

LINK = f"{SITE}/accounts/confirm-email/MQ:1vQ2kS:Zq8wWJ2nYb3Lr0kC9uV5xT1eH7aPdFgS/"


def _console(backend_class) -> str:
    stream = io.StringIO()
    message = EmailMessage("Please confirm", f"To confirm this is correct, go to {LINK}\n\n"
                                             f"Thank you for using {NAME} — see you!",
                           "coop@example.org", ["ann@example.org"])
    backend_class(stream=stream).send_messages([message])
    return stream.getvalue()


def test_the_console_shows_a_long_link_whole_on_one_line():
    shown = _console(ConsoleEmailBackend)
    assert f"To confirm this is correct, go to {LINK}\n" in shown
    assert f"Thank you for using {NAME} — see you!" in shown
    # Django's own console mailer cuts it with quoted-printable soft breaks (the bug).
    assert LINK not in _console(DjangoConsole)


def test_allauths_verification_email_keeps_its_link_whole_on_the_console(
        client, settings, mailoutbox):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    response = client.post("/accounts/signup/", {"email": "new@example.org",
                                                 "password1": "correct horse battery 9",
                                                 "password2": "correct horse battery 9"})
    assert response.status_code == 302
    (verification,) = mailoutbox
    link = next(word for word in verification.body.split() if "/accounts/confirm-email/" in word)
    stream = io.StringIO()
    ConsoleEmailBackend(stream=stream).send_messages([verification])
    assert f" {link}\n" in stream.getvalue()
    assert "&#x27;" not in verification.body

