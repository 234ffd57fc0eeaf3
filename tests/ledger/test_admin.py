"""The ledger in the admin: entries read-only, money recorded through the services, periods
created and closed through them."""

from datetime import date

import pytest

from ledger import accounts, selectors
from ledger.models import FiscalPeriod, JournalEntry
from tests.ledger.factories import make_period, post

pytestmark = pytest.mark.django_db


def test_entries_are_read_only(staff_client):
    entry = post(1_000)
    page = staff_client.get(f"/admin/ledger/journalentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b"Test entry" in page.content
    assert b'name="_save"' not in page.content
    assert staff_client.get("/admin/ledger/journalentry/add/").status_code == 403
    listing = staff_client.get("/admin/ledger/journalentry/")
    assert b"Record money in or out" in listing.content
    assert staff_client.get("/admin/ledger/account/").status_code == 200
    staff_client.post(f"/admin/ledger/journalentry/{entry.pk}/delete/", {"post": "yes"})
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


def test_money_is_recorded_through_the_services(staff_client):
    response = staff_client.post("/admin/ledger/journalentry/record/", {
        "kind": "operations", "amount": "1,250.50", "date": "2025-03-01",
        "description": "Rent"})
    assert response.status_code == 302, response.content
    assert selectors.account_balance(accounts.OPERATING_EXPENSES) == 125_050
    refused = staff_client.post("/admin/ledger/journalentry/record/", {
        "kind": "commons", "amount": "10", "date": "2025-03-01", "description": "x"})
    assert b"passed proposal" in refused.content
    bad = staff_client.post("/admin/ledger/journalentry/record/", {
        "kind": "revenue", "amount": "12,50", "date": "2025-03-01"})
    assert bad.status_code == 200
    assert JournalEntry.objects.count() == 1


def test_periods_are_created_and_closed_through_the_services(staff_client):
    created = staff_client.post("/admin/ledger/fiscalperiod/add/",
                                {"start": "2025-01-01", "end": "2025-12-31"})
    assert created.status_code == 302
    period = FiscalPeriod.objects.get()
    refused = staff_client.post("/admin/ledger/fiscalperiod/add/",
                                {"start": "2025-06-01", "end": "2026-12-31"}, follow=True)
    assert b"overlaps" in refused.content
    assert FiscalPeriod.objects.count() == 1
    post(500, on=date(2025, 5, 1))
    staff_client.post("/admin/ledger/fiscalperiod/", {
        "action": "close_periods", "_selected_action": [period.pk]})
    period.refresh_from_db()
    assert (period.status, period.surplus_minor) == ("closed", 500)


def test_a_period_not_yet_ended_is_not_closed_by_the_admin(staff_client):
    period = make_period(date(2026, 1, 1), date(2026, 12, 31))
    page = staff_client.post("/admin/ledger/fiscalperiod/", {
        "action": "close_periods", "_selected_action": [period.pk]}, follow=True)
    assert b"only after its end date" in page.content
    period.refresh_from_db()
    assert period.status == "open"


def test_staff_reverse_an_entry_from_its_page(staff_client):
    entry = post(1_000)
    page = staff_client.get(f"/admin/ledger/journalentry/{entry.pk}/change/")
    assert b"Reverse this entry" in page.content
    missing = staff_client.post(f"/admin/ledger/journalentry/{entry.pk}/reverse/",
                                {"date": "2025-03-02"})
    assert missing.status_code == 200
    assert JournalEntry.objects.count() == 1
    too_early = staff_client.post(f"/admin/ledger/journalentry/{entry.pk}/reverse/",
                                  {"date": "2025-02-01", "reason": "typo"})
    assert b"cannot be dated before" in too_early.content
    done = staff_client.post(f"/admin/ledger/journalentry/{entry.pk}/reverse/",
                             {"date": "2025-03-02", "reason": "typed twice"})
    assert done.status_code == 302
    reversal = JournalEntry.objects.get(reverses=entry)
    assert selectors.account_balance(accounts.BANK) == 0
    page = staff_client.get(f"/admin/ledger/journalentry/{reversal.pk}/change/")
    assert b"Reverse this entry" not in page.content
    assert staff_client.get("/admin/ledger/journalentry/999999/reverse/").status_code == 404
