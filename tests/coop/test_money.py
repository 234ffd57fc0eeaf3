"""coop.money: minor units as people read and type them, in the cooperative's currency."""

from datetime import date

import pytest
from django.template import Context, Template
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from coop.errors import InvalidInput
from coop.models import Cooperative
from coop.money import CURRENCIES, exponent, format_minor, parse_minor, positive_minor

# --- format -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("minor", "currency", "text"), [
    (2500, "EUR", "25.00 EUR"),
    (125000, "EUR", "1,250.00 EUR"),
    (5, "EUR", "0.05 EUR"),
    (0, "EUR", "0.00 EUR"),
    (-5, "EUR", "-0.05 EUR"),
    (-123456, "USD", "-1,234.56 USD"),
    (2500, "JPY", "2,500 JPY"),
    (1, "KWD", "0.001 KWD"),
    (12345678, "CLF", "1,234.5678 CLF"),
])
def test_format(minor, currency, text):
    assert format_minor(minor, currency) == text


def test_format_without_the_code():
    assert format_minor(125000, "EUR", code=False) == "1,250.00"


@pytest.mark.parametrize("bad", [1.5, "25", None, True])
def test_format_takes_only_ints(bad):
    with pytest.raises(TypeError):
        format_minor(bad, "EUR")


def test_exponents_follow_iso_4217():
    assert (exponent("EUR"), exponent("JPY"), exponent("BHD"), exponent("CLF")) == (2, 0, 3, 4)
    with pytest.raises(ValueError, match="ISO 4217"):
        exponent("XXX")
    assert all(len(code) == 3 and code.isupper() for code in CURRENCIES)


# --- parse ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("25", "EUR", 2500),
    ("25.5", "EUR", 2550),
    ("25.50", "EUR", 2550),
    ("0.05", "EUR", 5),
    ("1,234.50", "EUR", 123450),
    ("1,234,567", "EUR", 123456700),
    ("  25.00 EUR ", "EUR", 2500),
    ("25.00eur", "EUR", 2500),
    ("0", "EUR", 0),
    ("2500", "JPY", 2500),
    ("1.5", "KWD", 1500),
])
def test_parse(text, currency, minor):
    assert parse_minor(text, currency) == minor


@pytest.mark.parametrize(("text", "currency", "message"), [
    ("-5", "EUR", "cannot be negative"),
    (" -0.01", "EUR", "cannot be negative"),
    ("25,50", "EUR", "Use a point for decimals"),
    ("25.500", "EUR", "at most 2 decimals"),
    ("25.5", "JPY", "no decimals"),
    ("abc", "EUR", "Enter an amount"),
    ("", "EUR", "Enter an amount"),
    ("1,23.00", "EUR", "Enter an amount"),
    ("12,3456", "EUR", "Enter an amount"),
    (".5", "EUR", "Enter an amount"),
    ("25.", "EUR", "Enter an amount"),
    ("1e3", "EUR", "Enter an amount"),
    ("+5", "EUR", "Enter an amount"),
    ("٣", "EUR", "Enter an amount"),  # a non-ASCII digit
    ("25 USD", "EUR", "Amounts are in EUR, not USD"),
    ("99999999999999999999", "EUR", "too large"),
])
def test_parse_refuses(text, currency, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_minor(text, currency, field="price")
    assert list(caught.value.errors) == ["price"]


@given(st.integers(min_value=0, max_value=2**62), st.sampled_from(sorted(CURRENCIES)),
       st.booleans())
def test_what_is_printed_reads_back(minor, currency, code):
    assert parse_minor(format_minor(minor, currency, code=code), currency) == minor


# --- the template filter ------------------------------------------------------------------------


@pytest.mark.django_db
def test_money_filter():
    template = Template("{% load money %}{{ a|money:'EUR' }} | {{ b|money:'JPY' }} | {{ c|money }}")
    Cooperative.current()
    assert template.render(Context({"a": 2500, "b": 2500, "c": None})) == (
        "25.00 EUR | 2,500 JPY | –")
    assert Template("{% load money %}{{ a|money }}").render(Context({"a": 125})) == "1.25 EUR"


# --- the admin's amounts follow the currency ----------------------------------------------------


@pytest.fixture
def yen():
    coop = Cooperative.current()
    coop.currency = "JPY"
    coop.save()
    yield coop
    coop.currency = "EUR"
    coop.save()  # also forgets the remembered currency for the tests after this one


@pytest.mark.django_db
def test_admin_payment_form_parses_in_the_cooperative_currency(client, yen):
    from membership.models import SharePayment
    from tests.membership.factories import StaffFactory, StakeholderClassFactory, make_member

    client.force_login(StaffFactory())
    member = make_member(stakeholder_class=StakeholderClassFactory(share_price_minor=5000))
    url = reverse("admin:membership_member_record_payment", args=[member.pk])
    page = client.get(url).content.decode()
    assert "5,000 paid" not in page and "at 5,000 JPY," in page  # no decimals for yen
    refused = client.post(url, {"amount": "50.5", "paid_on": date.today().isoformat()})
    assert "JPY amounts have no decimals." in refused.content.decode()
    client.post(url, {"amount": "6,000", "paid_on": date.today().isoformat()})
    assert SharePayment.objects.get(member=member).amount_minor == 6000


@pytest.mark.django_db
@pytest.mark.parametrize(("amount", "message"), [
    ("25,50", "Use a point for decimals"),
    ("0", "greater than zero"),
    ("-3", "cannot be negative"),
    ("12.345", "at most 2 decimals"),
])
def test_admin_payment_form_refuses_bad_amounts(client, amount, message):
    from membership.models import SharePayment
    from tests.membership.factories import StaffFactory, StakeholderClassFactory, make_member

    client.force_login(StaffFactory())
    member = make_member(stakeholder_class=StakeholderClassFactory())
    url = reverse("admin:membership_member_record_payment", args=[member.pk])
    response = client.post(url, {"amount": amount, "paid_on": date.today().isoformat()})
    assert response.status_code == 200 and message in response.content.decode()
    assert not SharePayment.objects.exists()


@pytest.mark.parametrize(("amount", "message"), [
    (0, "Must be greater than zero."), (-1, "Must be greater than zero."),
    (12.5, "Must be a whole number of minor units."), (True, "Must be a whole number"),
    ("1200", "Must be a whole number of minor units."), (None, "Must be a whole number"),
])
def test_an_amount_given_to_a_service_is_whole_and_positive(amount, message):
    with pytest.raises(InvalidInput) as refused:
        positive_minor(amount, field="amount_minor")
    assert refused.value.errors["amount_minor"][0].startswith(message)
    assert positive_minor(1) == 1 and positive_minor(10**15) == 10**15
