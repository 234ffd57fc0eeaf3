"""Contributions (RULES §3): idempotent by external_id per source, refused in a closed period."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from coop.errors import Conflict, InvalidInput, NotAllowed
from patronage import services
from patronage.models import Contribution
from tests.governance.helpers import active_members, api_key, assert_problem, client_for
from tests.membership.factories import StaffFactory
from tests.patronage.factories import PATRONAGE_JOB

URL = "/api/v1/contributions/"


@pytest.fixture
def member(db):
    return active_members(1, slug="workers")[0]


@pytest.mark.django_db
def test_first_201_identical_resend_200_different_body_409(member):
    client = client_for(key=api_key("ledger:write"))
    body = {"member_number": member.member_number, "date": "2026-03-02", "quantity": "12.5",
            "external_id": "shift-1"}
    first = client.post(URL, body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["quantity"] == "12.5000"
    assert first.json()["measure"] == member.stakeholder_class.patronage_measure
    again = client.post(URL, {**body, "quantity": "12.5000"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert_problem(client.post(URL, {**body, "quantity": "13"}, format="json"), 409,
                   "external_id")
    assert Contribution.objects.count() == 1
    # Another partner's external_id space is its own.
    other = client_for(key=api_key("ledger:write")).post(URL, body, format="json")
    assert other.status_code == 201
    assert Contribution.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), [
    ({"quantity": "-1"}, "quantity"),
    ({"quantity": "1.00001"}, "quantity"),
    ({"quantity": "a lot"}, "quantity"),
    ({"quantity": 1.5}, "quantity"),
    ({"member_number": 99999}, "member_number"),
    ({"member_number": "7"}, "member_number"),
    ({"date": "2026-02-30"}, "date"),
    ({"external_id": ""}, "external_id"),
])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(member, change, field):
    body = {"member_number": member.member_number, "date": "2026-03-02", "quantity": "1",
            "external_id": "x", **change}
    response = client_for(key=api_key("ledger:write")).post(URL, body, format="json")
    assert_problem(response, 400, field)
    assert not Contribution.objects.exists()


@pytest.mark.django_db
def test_who_may_record(member):
    body = {"member_number": member.member_number, "date": "2026-03-02", "quantity": "1",
            "external_id": "x"}
    assert client_for(key=api_key("ledger:read")).post(URL, body, format="json").status_code == 403
    assert client_for(member.user).post(URL, body, format="json").status_code == 403
    assert client_for(StaffFactory()).post(URL, body, format="json").status_code == 201
    with pytest.raises(NotAllowed):
        services.contribution_record(actor=member.user, member=member, date=date(2026, 3, 2),
                                     quantity="1", external_id="y")


@pytest.mark.django_db
def test_quantities_are_exact(member):
    recorded = services.contribution_record(actor=PATRONAGE_JOB, member=member,
                                            date=date(2026, 3, 2), quantity="0.0001",
                                            external_id="tiny")
    assert recorded.created and recorded.contribution.quantity == Decimal("0.0001")
    for bad in ("1e400", "NaN", "-0.5"):
        with pytest.raises(InvalidInput):
            services.contribution_record(actor=PATRONAGE_JOB, member=member,
                                         date=date(2026, 3, 2), quantity=bad, external_id=bad)
    with pytest.raises(Conflict):
        services.contribution_record(actor=PATRONAGE_JOB, member=member, date=date(2026, 3, 3),
                                     quantity="0.0001", external_id="tiny")


@pytest.mark.django_db
def test_a_contribution_dated_in_a_closed_period_is_refused(member):
    from ledger import services as ledger
    from tests.patronage.factories import closed_period

    period = closed_period(date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(Conflict, match="closed period") as refused:
        services.contribution_record(actor=PATRONAGE_JOB, member=member, date=date(2025, 6, 1),
                                     quantity="1", external_id="late")
    assert "date" in refused.value.errors
    assert not Contribution.objects.exists()
    assert ledger is not None and period.status == "closed"
    # The next day after the period is fine (no period yet there).
    services.contribution_record(actor=PATRONAGE_JOB, member=member, date=date(2026, 1, 1),
                                 quantity="1", external_id="early")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_leave_one_row():
    member = active_members(1, slug="workers")[0]
    barrier = threading.Barrier(6)
    results, errors = [], []

    def send():
        try:
            barrier.wait()
            recorded = services.contribution_record(
                actor=PATRONAGE_JOB, member=member, date=date(2026, 3, 2), quantity="4",
                external_id="same")
            results.append(recorded.created)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False] * 5 + [True]
    assert Contribution.objects.filter(external_id="same").count() == 1
