"""The Cooperative row: its name's one source (COOP_NAME), fiscal_year_start as MM-DD, the
currency fixed once set."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from coop.models import MONTH_DAYS, Cooperative

from ..membership.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- fiscal_year_start ------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["01-01", "03-01", "07-01", "02-28", "12-31", "04-30"])
def test_a_month_and_day_every_year_has_is_accepted(value):
    coop = Cooperative.current()
    coop.fiscal_year_start = value
    coop.full_clean()
    coop.save()


@pytest.mark.parametrize("value", ["02-30", "13-01", "02-29", "04-31", "00-10", "1-1", "01-1",
                                   "0101", "", "01-01 ", "aa-bb"])
def test_model_validation_refuses_what_is_not_a_month_and_day(value):
    coop = Cooperative.current()
    coop.fiscal_year_start = value
    with pytest.raises(ValidationError) as caught:
        coop.full_clean()
    assert "fiscal_year_start" in caught.value.message_dict


@pytest.mark.parametrize("value", ["02-30", "13-01", "02-29"])
def test_the_database_refuses_it_too(value):
    coop = Cooperative.current()
    with pytest.raises(IntegrityError), transaction.atomic():
        Cooperative.objects.filter(pk=coop.pk).update(fiscal_year_start=value)


def test_every_day_of_a_365_day_year_is_a_valid_start():
    assert len(MONTH_DAYS) == 365 and len(set(MONTH_DAYS)) == 365
    assert MONTH_DAYS[0] == "01-01" and MONTH_DAYS[-1] == "12-31" and "02-29" not in MONTH_DAYS


def _change(staff_client, **fields):
    coop = Cooperative.current()
    data = {"quorum_percent": "10", "register_retention_years": "10",
            "fiscal_year_start": "01-01", "bylaws_version": "2026-01",
            "bylaws_url": ""} | fields
    return staff_client.post(reverse("admin:coop_cooperative_change", args=[coop.pk]), data)


@pytest.mark.parametrize("value", ["02-30", "13-01", "02-29"])
def test_the_admin_refuses_an_impossible_start(staff_client, value):
    response = _change(staff_client, fiscal_year_start=value)
    assert response.status_code == 200
    assert "Enter a month and day as MM-DD that every year has" in response.content.decode()
    assert Cooperative.current().fiscal_year_start == "01-01"


def test_the_admin_saves_a_valid_start_and_keeps_the_currency(staff_client):
    response = _change(staff_client, fiscal_year_start="07-01", currency="JPY")
    assert response.status_code == 302
    coop = Cooperative.current()
    assert (coop.fiscal_year_start, coop.currency) == ("07-01", "EUR")  # currency is read-only


def test_the_admin_refuses_a_quorum_above_100(staff_client):
    assert _change(staff_client, quorum_percent="101").status_code == 200
    assert Cooperative.current().quorum_percent == 10


def test_an_unknown_currency_is_refused_by_validation():
    coop = Cooperative.current()
    coop.currency = "XYZ"
    with pytest.raises(ValidationError) as caught:
        coop.full_clean()
    assert "currency" in caught.value.message_dict


def test_the_remembered_currency_is_forgotten_when_the_row_is_saved():
    coop = Cooperative.current()
    assert Cooperative.current_currency() == "EUR"
    coop.currency = "JPY"
    coop.save()
    try:
        assert Cooperative.current_currency() == "JPY"
    finally:
        coop.currency = "EUR"
        coop.save()
    assert Cooperative.current_currency() == "EUR"


# --- the name: one source, settings.COOP_NAME ------------------------------------------------

def test_the_api_admin_and_pages_show_coop_name(settings, client):
    settings.COOP_NAME = "Harbour Bakers' Co-op"
    api = APIClient()
    api.force_login(UserFactory())
    body = api.get("/api/v1/coop/").json()
    assert body["name"] == "Harbour Bakers' Co-op"
    assert body.keys() == {"name", "currency", "quorum_percent", "fiscal_year_start"}
    assert str(Cooperative.current()) == "Harbour Bakers' Co-op"
    landing = client.get("/").content.decode()
    assert "<h1 id=\"welcome-title\">Harbour Bakers&#x27; Co-op</h1>" in landing
    assert "<title>" in landing and "· Harbour Bakers&#x27; Co-op</title>" in landing


def test_the_two_factor_issuer_follows_coop_name():
    # MFA_TOTP_ISSUER is computed when settings load: load them in a fresh process.
    env = os.environ | {"COOP_NAME": "Harbour Bakers' Co-op", "DJANGO_SETTINGS_MODULE":
                        "coop.settings"}
    script = ("import django; django.setup(); from allauth.mfa.adapter import get_adapter; "
              "print(get_adapter().get_totp_issuer())")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True, timeout=60)
    assert out.stdout.strip() == "Harbour Bakers' Co-op"
