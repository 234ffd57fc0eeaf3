"""Staff pages of dividend runs: start one, follow its progress (htmx polling), cancel, approve."""

import re

import pytest
from django.urls import reverse

from ledger.models import JournalEntry
from patronage.models import DividendRun
from tests.membership.factories import make_member
from tests.patronage.books_factories import year_of_books

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(time_machine):
    return year_of_books(time_machine)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_staff_start_watch_and_approve_a_run(staff_client, year,
                                             django_capture_on_commit_callbacks):
    page = staff_client.get(reverse("runs"))
    assert page.status_code == 200
    assert f'<option value="{year["period"].pk}">2025' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly
        response = staff_client.post(reverse("run-start"), {"period": year["period"].pk})
    run = DividendRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("run", args=[run.pk])
    assert run.status == "computed" and run.progress == 100

    page = text(staff_client.get(reverse("run", args=[run.pk])))
    assert "Status: Computed" in page and "100 % done · 3 member lines" in page
    assert "Distributable surplus S 10,000.00 EUR" in page
    assert "Approve and post" in page
    # A finished run's card does not poll any more.
    assert 'hx-trigger="every 1s"' not in staff_client.get(reverse("run", args=[run.pk])
                                                           ).content.decode()

    response = staff_client.post(reverse("run-action", args=[run.pk, "approve"]), follow=True)
    assert "approved and posted" in text(response)
    run.refresh_from_db()
    assert run.status == "posted" and run.entry is not None
    # A second approval is refused with the reason, and posts nothing more.
    response = staff_client.post(reverse("run-action", args=[run.pk, "approve"]), follow=True)
    assert "already posted" in text(response)
    assert JournalEntry.objects.filter(kind="dividend_run").count() == 1
    # The period is no longer offered.
    assert "No closed period is waiting for a run." in text(staff_client.get(reverse("runs")))


def test_a_running_run_polls_and_htmx_gets_only_the_card(staff_client, year):
    response = staff_client.post(reverse("run-start"), {"period": year["period"].pk})
    run = DividendRun.objects.get()  # queued: the task waits for the commit (none here)
    html = staff_client.get(reverse("run", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "<html" in html
    card = staff_client.get(reverse("run", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in card.content.decode()
    assert card.content.decode().strip().startswith('<section class="card" id="run-status"')
    assert 'hx-trigger="every 1s"' in card.content.decode()
    assert "HX-Request" in card["Vary"]
    del response


def test_cancel_and_compute_again(staff_client, year, django_capture_on_commit_callbacks):
    staff_client.post(reverse("run-start"), {"period": year["period"].pk})
    run = DividendRun.objects.get()
    assert "cancelled" in text(staff_client.post(
        reverse("run-action", args=[run.pk, "cancel"]), follow=True))
    run.refresh_from_db()
    assert run.status == "cancelled"
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("run-action", args=[run.pk, "rerun"]))
    run.refresh_from_db()
    assert (run.status, run.attempt) == ("computed", 2)


def test_an_open_period_is_refused_with_the_reason(staff_client, year):
    from datetime import date

    from tests.ledger.factories import make_period
    open_period = make_period(date(2026, 1, 1), date(2026, 12, 31))
    response = staff_client.post(reverse("run-start"), {"period": open_period.pk}, follow=True)
    assert "still open" in text(response)
    assert not DividendRun.objects.exists()
    response = staff_client.post(reverse("run-start"), {"period": "nope"}, follow=True)
    assert "Choose a closed period" in text(response)


def test_members_cannot_see_or_act(client, year):
    client.force_login(make_member().user)
    assert client.get(reverse("runs")).status_code == 404
    assert client.post(reverse("run-start"), {"period": year["period"].pk}).status_code == 404
    assert not DividendRun.objects.exists()
