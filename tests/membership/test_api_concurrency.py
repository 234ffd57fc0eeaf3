"""Simultaneous API requests against a live server on PostgreSQL (real row locks, real
connections, one per request thread). SQLite serialises writers anyway, so these only run on
PostgreSQL."""

import json
import urllib.error
import urllib.request
from datetime import date

import pytest

from coop.models import PartnerApiKey
from membership import services
from membership.models import Member, ShareCertificate, SharePayment
from tests.concurrency import all_at_once
from tests.membership.factories import REGISTRAR

from .factories import ApplicationFactory, StakeholderClassFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def _post(url: str, key: str, body: dict | None = None, idempotency_key: str | None = None):
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    request = urllib.request.Request(url, data=json.dumps(body or {}).encode(), headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - local
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())



@pytest.fixture
def write_key() -> str:
    _, key = PartnerApiKey.objects.create_key(name="bank feed", scopes=["members:write"])
    return key


def test_simultaneous_approvals_never_share_or_skip_a_member_number(live_server, write_key):
    photographers = StakeholderClassFactory()
    applications = [ApplicationFactory(stakeholder_class=photographers)
                    for _ in range(THREADS)]
    url = f"{live_server.url}/api/v1/applications/{{}}/approve/"

    results = all_at_once([
        (lambda a=a: _post(url.format(a.pk), write_key)) for a in applications
    ])

    assert [status for status, _ in results] == [200] * THREADS, results
    answered = sorted(body["member_number"] for _, body in results)
    assert answered == list(range(1, THREADS + 1))
    stored = sorted(Member.objects.values_list("member_number", flat=True))
    assert stored == answered


def test_simultaneous_payments_never_share_or_skip_a_certificate_number(live_server,
                                                                         write_key):
    photographers = StakeholderClassFactory()  # 2 shares of 5000 buy in
    members = []
    for _ in range(THREADS):
        user = UserFactory()
        application = services.application_submit(
            stakeholder_class=photographers, shares=2, name=user.full_name, email=user.email,
            user=user)
        members.append(services.application_approve(actor=REGISTRAR, application=application))
    url = f"{live_server.url}/api/v1/members/{{}}/share-payments/"
    body = {"amount_minor": 10000, "paid_on": date.today().isoformat(), "reference": "SEPA"}

    results = all_at_once([
        (lambda m=m: _post(url.format(m.member_number), write_key, body)) for m in members
    ])

    assert [status for status, _ in results] == [201] * THREADS, results
    assert all(body["status"] == "active" and body["shares_held"] == 2 for _, body in results)
    numbers = sorted(ShareCertificate.objects.values_list("certificate_number", flat=True))
    assert numbers == list(range(1, 2 * THREADS + 1))
    # each member's two certificates came from the same payment, numbered one after the other
    for member in members:
        own = sorted(member.certificates.values_list("certificate_number", flat=True))
        assert own[1] == own[0] + 1


def test_an_idempotency_key_replayed_concurrently_creates_one_payment(live_server, write_key):
    photographers = StakeholderClassFactory()
    user = UserFactory()
    application = services.application_submit(
        stakeholder_class=photographers, shares=10, name=user.full_name, email=user.email,
        user=user)
    member = services.application_approve(actor=REGISTRAR, application=application)
    url = f"{live_server.url}/api/v1/members/{member.member_number}/share-payments/"
    body = {"amount_minor": 5000, "paid_on": date.today().isoformat(), "reference": "SEPA 9"}

    results = all_at_once([
        (lambda: _post(url, write_key, body, idempotency_key="bank-9")) for _ in range(8)
    ])

    assert {status for status, _ in results} == {201}, results
    assert all(body == results[0][1] for _, body in results)
    assert SharePayment.objects.filter(member=member).count() == 1
    member.refresh_from_db()
    assert (member.paid_minor, member.shares_held) == (5000, 1)
