"""'Where we pay your dividends' on "My money": a member sets, changes and removes their own
IBAN through `payout_account_set`/`payout_account_remove`; a refused IBAN changes nothing; the
page shows only the last four characters; nobody else sees it but staff (in the admin); no
IBAN is ever in an audit record's facts."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from coop.models import AuditRecord
from patronage.models import PayoutAccount
from tests.membership.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db

GOOD = "DE89 3704 0044 0532 0130 00"  # compact: DE89370400440532013000
OTHER = "GB82 WEST 1234 5698 7654 32"  # compact: GB82WEST12345698765432
BAD = "DE89 3704 0044 0532 0130 01"  # one digit off: the checksum fails


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def ana(client):
    member = make_member()
    client.force_login(member.user)
    return member


def post(client, **data):
    return client.post(reverse("my-payout-account"), data)


def test_a_member_sets_their_iban_and_sees_only_its_last_four(client, ana):
    page = text(client.get(reverse("my-money")))
    assert "Where we pay your dividends" in page and "No IBAN yet" in page
    response = post(client, iban=GOOD, holder="Ana Example")
    assert response.status_code == 302 and response["Location"] == reverse("my-money")
    account = PayoutAccount.objects.get(member=ana)
    assert (account.iban, account.holder) == ("DE89370400440532013000", "Ana Example")
    response = client.get(reverse("my-money"))
    page = text(response)
    # Grouped as printed (DE89 3704 0044 0532 0130 00), all hidden but the last four.
    assert "•••• •••• •••• •••• ••30 00" in page and "ending in 3000" in page
    assert "Ana Example" in page
    body = response.content.decode()
    assert "DE89" not in body and "3704" not in body and "0532" not in body
    assert "Your IBAN was saved" in page
    assert 'name="holder" value="Ana Example"' in body  # kept when only the IBAN changes
    assert 'name="iban" ' in body and 'name="iban" value=' not in body


def test_a_member_changes_then_removes_it(client, ana):
    post(client, iban=GOOD)
    assert post(client, iban=OTHER, holder="").status_code == 302
    assert PayoutAccount.objects.get(member=ana).iban == "GB82WEST12345698765432"
    assert "•••• •••• •••• •••• ••54 32" in text(client.get(reverse("my-money")))
    assert post(client, remove="1").status_code == 302
    assert not PayoutAccount.objects.filter(member=ana).exists()
    page = text(client.get(reverse("my-money")))
    assert "No IBAN yet" in page and "5432" not in page


def test_an_invalid_iban_is_refused_by_its_label_and_changes_nothing(client, ana):
    post(client, iban=GOOD, holder="Ana Example")
    audits = AuditRecord.objects.count()
    for bad in (BAD, "not an iban", ""):
        response = post(client, iban=bad, holder="Someone Else")
        assert response.status_code == 400
        body = response.content.decode()
        # The error sits in the IBAN field's group, after its label, linked to the input.
        field = body[body.index('<label for="id_iban"'):body.index('id="id_iban"') + 200]
        assert 'class="errorlist"' in field and 'aria-invalid="true"' in field
        assert ("Not a valid IBAN" in field) if bad == BAD or bad.startswith("not") else \
            ("This field is required" in field)
    account = PayoutAccount.objects.get(member=ana)
    assert (account.iban, account.holder) == ("DE89370400440532013000", "Ana Example")
    assert AuditRecord.objects.count() == audits


def test_the_form_needs_the_csrf_token(ana):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ana.user)
    response = strict.post(reverse("my-payout-account"), {"iban": GOOD})
    assert response.status_code == 403
    assert not PayoutAccount.objects.exists()
    page = strict.get(reverse("my-money")).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 1


def test_another_member_never_sees_it_and_cannot_change_it(client, ana):
    post(client, iban=GOOD, holder="Ana Example")
    bea = make_member()
    client.force_login(bea.user)
    page = text(client.get(reverse("my-money")))
    assert "3000" not in page and "30 00" not in page and "Ana Example" not in page
    assert "No IBAN yet" in page
    # Bea's form acts on Bea only: Ana's account is untouched.
    post(client, iban=OTHER)
    assert PayoutAccount.objects.get(member=ana).iban == "DE89370400440532013000"
    assert PayoutAccount.objects.get(member=bea).iban == "GB82WEST12345698765432"
    # Someone who is no member has no payout account to set.
    client.force_login(UserFactory())
    assert post(client, iban=GOOD).status_code == 404
    assert PayoutAccount.objects.count() == 2


def test_staff_see_it_in_the_admin_and_members_do_not(client, ana, staff):
    post(client, iban=GOOD, holder="Ana Example")
    changelist = reverse("admin:patronage_payoutaccount_changelist")
    staff_client = Client()
    staff_client.force_login(staff)
    response = staff_client.get(changelist)
    assert response.status_code == 200
    assert "DE89370400440532013000" in response.content.decode()
    assert client.get(changelist).status_code == 302  # to the admin's login


def test_no_iban_in_any_audit_record(client, ana):
    post(client, iban=GOOD, holder="Ana Example")
    post(client, iban=OTHER)
    post(client, iban=BAD)
    post(client, remove="1")
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"payout_account.set", "payout_account.removed"} <= actions
    every_fact = str(list(AuditRecord.objects.values_list("facts", flat=True)))
    for piece in ("DE89", "3704", "0532", "3000", "GB82", "WEST", "5432", "Ana Example"):
        assert piece not in every_fact


def test_the_page_costs_the_same_queries_with_an_iban(client, ana, django_assert_num_queries):
    client.get(reverse("my-money"))
    with django_assert_num_queries(5):  # user+member, account, capital, statements, inbox
        client.get(reverse("my-money"))
    post(client, iban=GOOD)
    client.get(reverse("my-money"))  # shows (and so consumes) the "saved" message
    with django_assert_num_queries(5):
        client.get(reverse("my-money"))


def test_only_the_member_or_staff_may_remove_it(client, ana, staff):
    from coop.errors import NotAllowed
    from patronage import services

    post(client, iban=GOOD)
    with pytest.raises(NotAllowed):
        services.payout_account_remove(actor=UserFactory(), member=ana)
    assert PayoutAccount.objects.filter(member=ana).exists()
    assert services.payout_account_remove(actor=staff, member=ana) is True
    assert services.payout_account_remove(actor=staff, member=ana) is False  # nothing left
    assert AuditRecord.objects.filter(action="payout_account.removed").count() == 1
