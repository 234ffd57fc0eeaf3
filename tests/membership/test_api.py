"""The membership REST API (API.md, "Cooperative and membership") through real requests:
real authentication (session, API key), real services, real database."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from coop.models import Cooperative, PartnerApiKey
from membership import selectors, services
from membership.models import (
    Application,
    Member,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
    StakeholderClass,
)
from tests.membership.factories import REGISTRAR

from .factories import (
    ApplicationFactory,
    StaffFactory,
    StakeholderClassFactory,
    UserFactory,
    make_member,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
PROBLEM = "application/problem+json"
TODAY = date.today()


# --- callers ------------------------------------------------------------------------------

@dataclass
class World:
    photographers: StakeholderClass
    member: Member  # the member whose resources the matrix addresses
    other_member: Member
    non_member: object
    staff: object
    keys: dict[str, str]  # role -> raw key

    def client(self, role: str) -> APIClient:
        client = APIClient()
        if role in self.keys:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.keys[role]}")
        elif role == "member":
            client.force_login(self.member.user)
        elif role == "other_member":
            client.force_login(self.other_member.user)
        elif role == "non_member":
            client.force_login(self.non_member)
        elif role == "staff":
            client.force_login(self.staff)
        else:
            assert role == "anonymous"
        return client


def _key(scopes: list[str]) -> str:
    _, raw = PartnerApiKey.objects.create_key(name=f"partner {scopes}", scopes=scopes)
    return raw


@pytest.fixture
def world() -> World:
    photographers = StakeholderClassFactory()  # 5000 a share, 2 to 20 shares
    member = make_member(stakeholder_class=photographers, shares=4)
    services.share_payment_record(actor=REGISTRAR, member=member, amount_minor=10000, paid_on=TODAY,
                                  reference="buy-in")
    member.refresh_from_db()
    other_member = make_member(stakeholder_class=photographers, paid=True)
    return World(
        photographers=photographers,
        member=member,
        other_member=other_member,
        non_member=UserFactory(),
        staff=StaffFactory(),
        keys={
            "key_read": _key(["members:read"]),
            "key_write": _key(["members:write"]),
            "key_other_scope": _key(["governance:read", "ledger:write"]),
        },
    )


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    for name in fields:
        assert name in body["errors"], body
    return body


def snapshot() -> tuple:
    """Everything the membership API may write: compare before and after a refused request."""
    return (
        list(Application.objects.order_by("pk").values_list("pk", "status")),
        list(Member.objects.order_by("pk").values_list(
            "pk", "status", "shares_held", "paid_minor", "exited_on")),
        SharePayment.objects.count(),
        list(ShareCertificate.objects.order_by("pk").values_list("pk", "status")),
        RegisterEvent.objects.count(),
        StakeholderClass.objects.count(),
    )


# --- the authorisation matrix -------------------------------------------------------------

ROLES = ["anonymous", "non_member", "member", "other_member", "staff", "key_read", "key_write",
         "key_other_scope"]


def _pending_application(world):
    return ApplicationFactory(stakeholder_class=world.photographers)


def _payment_of(world):
    return SharePayment.objects.filter(member=world.member).get()


# endpoint -> (method, url(world), body(world), {role: status})
ENDPOINTS = {
    "classes_list": ("get", lambda w: f"{API}/classes/", None, {
        "anonymous": 401, "non_member": 200, "member": 200, "other_member": 200, "staff": 200,
        "key_read": 200, "key_write": 403, "key_other_scope": 403}),
    "classes_create": ("post", lambda w: f"{API}/classes/", lambda w: {
        "slug": "buyers", "name": "Picture buyers", "share_price_minor": 1000, "min_shares": 1,
        "max_shares": 5, "vote_weight": 1, "patronage_measure": "licences bought"}, {
        "anonymous": 401, "non_member": 403, "member": 403, "other_member": 403, "staff": 201,
        "key_read": 403, "key_write": 201, "key_other_scope": 403}),
    "applications_create": ("post", lambda w: f"{API}/applications/", lambda w: {
        "stakeholder_class": "photographers", "shares": 2, "motivation": "I shoot weddings."}, {
        "anonymous": 401, "non_member": 201, "member": 409, "other_member": 409, "staff": 201,
        "key_read": 403, "key_write": 403, "key_other_scope": 403}),
    "applications_list": ("get", lambda w: f"{API}/applications/", None, {
        "anonymous": 401, "non_member": 403, "member": 403, "other_member": 403, "staff": 200,
        "key_read": 403, "key_write": 200, "key_other_scope": 403}),
    "applications_approve": (
        "post", lambda w: f"{API}/applications/{_pending_application(w).pk}/approve/", None, {
            "anonymous": 401, "non_member": 403, "member": 403, "other_member": 403,
            "staff": 200, "key_read": 403, "key_write": 200, "key_other_scope": 403}),
    "applications_reject": (
        "post", lambda w: f"{API}/applications/{_pending_application(w).pk}/reject/",
        lambda w: {"reason": "Not a photographer."}, {
            "anonymous": 401, "non_member": 403, "member": 403, "other_member": 403,
            "staff": 200, "key_read": 403, "key_write": 200, "key_other_scope": 403}),
    "members_list": ("get", lambda w: f"{API}/members/", None, {
        "anonymous": 401, "non_member": 200, "member": 200, "other_member": 200, "staff": 200,
        "key_read": 200, "key_write": 403, "key_other_scope": 403}),
    "members_retrieve": ("get", lambda w: f"{API}/members/{w.member.member_number}/", None, {
        "anonymous": 401, "non_member": 404, "member": 200, "other_member": 404, "staff": 200,
        "key_read": 200, "key_write": 403, "key_other_scope": 403}),
    "share_payments_list": (
        "get", lambda w: f"{API}/members/{w.member.member_number}/share-payments/", None, {
            "anonymous": 401, "non_member": 404, "member": 200, "other_member": 404,
            "staff": 200, "key_read": 200, "key_write": 403, "key_other_scope": 403}),
    "share_payments_create": (
        "post", lambda w: f"{API}/members/{w.member.member_number}/share-payments/",
        lambda w: {"amount_minor": 5000, "paid_on": TODAY.isoformat(), "reference": "SEPA 1"}, {
            "anonymous": 401, "non_member": 403, "member": 403, "other_member": 403,
            "staff": 201, "key_read": 403, "key_write": 201, "key_other_scope": 403}),
    "share_payments_reverse": (
        "post",
        lambda w: f"{API}/members/{w.member.member_number}/share-payments/"
                  f"{_payment_of(w).pk}/reverse/",
        lambda w: {"reason": "Returned by the bank."}, {
            "anonymous": 401, "non_member": 403, "member": 403, "other_member": 403,
            "staff": 200, "key_read": 403, "key_write": 200, "key_other_scope": 403}),
    "certificates_list": (
        "get", lambda w: f"{API}/members/{w.member.member_number}/certificates/", None, {
            "anonymous": 401, "non_member": 404, "member": 200, "other_member": 404,
            "staff": 200, "key_read": 200, "key_write": 403, "key_other_scope": 403}),
    "members_exit": (
        "post", lambda w: f"{API}/members/{w.member.member_number}/exit/",
        lambda w: {"reason": "Resignation letter of 3 March."}, {
            "anonymous": 401, "non_member": 404, "member": 200, "other_member": 404,
            "staff": 200, "key_read": 403, "key_write": 200, "key_other_scope": 403}),
}

MATRIX = [(endpoint, role, expected[role])
          for endpoint, (_, _, _, expected) in ENDPOINTS.items() for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role", "expected"), MATRIX,
                         ids=[f"{e}-{r}" for e, r, _ in MATRIX])
def test_authorisation_matrix(world, endpoint, role, expected):
    method, url, body, _ = ENDPOINTS[endpoint]
    url = url(world)
    client = world.client(role)
    before = snapshot()

    response = getattr(client, method)(url, body(world) if body else None, format="json")

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert_problem(response, expected)
        assert snapshot() == before  # a refused request changes nothing
    if expected == 401:
        assert response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize(("role", "visible"), [
    ("non_member", []), ("member", ["member"]), ("other_member", ["other_member"]),
    ("staff", ["member", "other_member"]), ("key_read", ["member", "other_member"]),
])
def test_members_list_shows_only_the_rows_the_caller_may_see(world, role, visible):
    response = world.client(role).get(f"{API}/members/")

    numbers = [row["member_number"] for row in response.json()["results"]]
    assert numbers == sorted(getattr(world, name).member_number for name in visible)


# --- classes ------------------------------------------------------------------------------

def test_classes_list_fields(world):
    response = world.client("key_read").get(f"{API}/classes/")

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": [{
        "slug": "photographers", "name": "Photographers", "share_price_minor": 5000,
        "min_shares": 2, "max_shares": 20, "vote_weight": 1,
        "patronage_measure": "licences sold", "description": ""}]}


def test_class_create_returns_it_and_stores_it(world):
    body = {"slug": "buyers", "name": "Picture buyers", "share_price_minor": 0, "min_shares": 1,
            "max_shares": 1, "vote_weight": 2, "patronage_measure": "licences bought"}

    response = world.client("key_write").post(f"{API}/classes/", body, format="json")

    assert response.status_code == 201
    assert response.json() == body | {"description": ""}
    assert StakeholderClass.objects.get(slug="buyers").vote_weight == 2


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"slug": "photographers"}, 409, "slug"),
    ({"max_shares": 1, "min_shares": 3}, 400, "max_shares"),
    ({"share_price_minor": -1}, 400, "share_price_minor"),
    ({"share_price_minor": "1000"}, 400, "share_price_minor"),
    ({"vote_weight": 0}, 400, "vote_weight"),
    ({"slug": "not a slug!"}, 400, "slug"),
    ({"name": ""}, 400, "name"),
])
def test_class_create_refuses_bad_input(world, change, status, field):
    body = {"slug": "buyers", "name": "Picture buyers", "share_price_minor": 1000,
            "min_shares": 1, "max_shares": 5, "vote_weight": 1,
            "patronage_measure": "licences bought"} | change
    before = snapshot()

    response = world.client("staff").post(f"{API}/classes/", body, format="json")

    assert_problem(response, status, field)
    assert snapshot() == before


# --- applications -------------------------------------------------------------------------

def test_apply_for_yourself_records_the_current_bylaws(world):
    Cooperative.objects.filter(pk=Cooperative.current().pk).update(bylaws_version="2026-07")
    user = world.non_member

    response = world.client("non_member").post(f"{API}/applications/", {
        "stakeholder_class": "photographers", "shares": 3, "motivation": "Street photography.",
        "referred_by": world.member.member_number,
    }, format="json")

    assert response.status_code == 201
    application = Application.objects.get(user=user)
    assert response.json() == {"id": application.pk, "status": "pending"}
    assert application.bylaws_version == "2026-07"
    assert application.source == Application.Source.API
    assert application.email == user.email
    assert application.shares == 3
    assert application.referred_by == world.member


def test_apply_for_an_organisation(world):
    response = world.client("non_member").post(f"{API}/applications/", {
        "stakeholder_class": "photographers", "shares": 2, "motivation": "",
        "organisation": {"name": "Lumen Studio Ltd", "registration_number": "HRB 1234"},
    }, format="json")

    assert response.status_code == 201
    application = Application.objects.get(pk=response.json()["id"])
    assert (application.kind, application.organisation_name, application.registration_number) \
        == ("organisation", "Lumen Studio Ltd", "HRB 1234")


@pytest.mark.parametrize(("body", "field"), [
    ({"stakeholder_class": "astronauts", "shares": 2}, "stakeholder_class"),
    ({"shares": 2}, "stakeholder_class"),
    ({"stakeholder_class": "photographers", "shares": 21}, "shares"),
    ({"stakeholder_class": "photographers", "shares": 1}, "shares"),
    ({"stakeholder_class": "photographers", "shares": "many"}, "shares"),
    ({"stakeholder_class": "photographers", "shares": 2, "referred_by": 999}, "referred_by"),
    ({"stakeholder_class": "photographers", "shares": 2, "referred_by": "abc"}, "referred_by"),
    ({"stakeholder_class": "photographers", "shares": 2, "organisation": {"name": "X Ltd"}},
     "organisation.registration_number"),
])
def test_apply_refuses_bad_input(world, body, field):
    before = snapshot()

    response = world.client("non_member").post(f"{API}/applications/", body, format="json")

    assert_problem(response, 400, field)
    assert snapshot() == before


def test_apply_referred_by_an_exited_member_is_refused(world):
    services.member_exit(actor=REGISTRAR, member=world.other_member)
    before = snapshot()

    response = world.client("non_member").post(f"{API}/applications/", {
        "stakeholder_class": "photographers", "shares": 2,
        "referred_by": world.other_member.member_number}, format="json")

    assert_problem(response, 400, "referred_by")
    assert snapshot() == before


def test_applying_twice_is_a_conflict(world):
    client = world.client("non_member")
    body = {"stakeholder_class": "photographers", "shares": 2}
    assert client.post(f"{API}/applications/", body, format="json").status_code == 201
    before = snapshot()

    response = client.post(f"{API}/applications/", body, format="json")

    assert_problem(response, 409)
    assert snapshot() == before


def test_applications_list_filters_by_status(world):
    pending = ApplicationFactory(stakeholder_class=world.photographers)
    rejected = ApplicationFactory(stakeholder_class=world.photographers)
    services.application_reject(actor=REGISTRAR, application=rejected, reason="No.")
    client = world.client("key_write")

    response = client.get(f"{API}/applications/", {"status": "pending"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [pending.pk]
    assert response.json()["results"][0]["stakeholder_class"] == "photographers"
    assert len(client.get(f"{API}/applications/").json()["results"]) == 4  # 2 approved too
    assert_problem(client.get(f"{API}/applications/", {"status": "maybe"}), 400, "status")


def test_approve_returns_the_new_member_number(world):
    application = ApplicationFactory(stakeholder_class=world.photographers, shares=3)

    response = world.client("key_write").post(f"{API}/applications/{application.pk}/approve/")

    assert response.status_code == 200
    member = Member.objects.get(application=application)
    assert response.json() == {"member_number": member.member_number,
                               "status": "awaiting_payment"}
    assert member.member_number == world.other_member.member_number + 1
    assert member.subscription.share_price_minor == 5000


def test_approve_with_free_shares_activates_at_once(world):
    free = StakeholderClassFactory(slug="friends", name="Friends", share_price_minor=0,
                                   min_shares=1, max_shares=1)
    application = ApplicationFactory(stakeholder_class=free, shares=1)

    response = world.client("staff").post(f"{API}/applications/{application.pk}/approve/")

    assert response.json()["status"] == "active"


def test_approving_twice_is_a_conflict(world):
    application = ApplicationFactory(stakeholder_class=world.photographers)
    client = world.client("staff")
    assert client.post(f"{API}/applications/{application.pk}/approve/").status_code == 200
    before = snapshot()

    response = client.post(f"{API}/applications/{application.pk}/approve/")

    assert_problem(response, 409)
    assert snapshot() == before


def test_approving_or_rejecting_an_unknown_application_is_404(world):
    client = world.client("staff")
    assert_problem(client.post(f"{API}/applications/99999/approve/"), 404)
    assert_problem(client.post(f"{API}/applications/99999/reject/", {"reason": "x"},
                               format="json"), 404)


def test_reject_needs_a_reason_and_records_it(world):
    application = ApplicationFactory(stakeholder_class=world.photographers)
    client = world.client("key_write")
    url = f"{API}/applications/{application.pk}/reject/"
    before = snapshot()

    assert_problem(client.post(url, {}, format="json"), 400, "reason")
    assert_problem(client.post(url, {"reason": "  "}, format="json"), 400, "reason")
    assert snapshot() == before
    response = client.post(url, {"reason": "Not a photographer."}, format="json")

    assert response.status_code == 200
    assert response.json() == {"id": application.pk, "status": "rejected"}
    application.refresh_from_db()
    assert application.rejection_reason == "Not a photographer."
    assert_problem(client.post(url, {"reason": "again"}, format="json"), 409)


# --- members ------------------------------------------------------------------------------

def test_member_detail_fields(world):
    member = world.member

    response = world.client("member").get(f"{API}/members/{member.member_number}/")

    assert response.status_code == 200
    assert response.json() == {
        "member_number": member.member_number, "name": member.name,
        "stakeholder_class": "photographers", "status": "active", "shares_subscribed": 4,
        "shares_held": 2, "paid_minor": 10000, "joined_on": TODAY.isoformat(),
        "kind": "person", "activated_on": TODAY.isoformat(), "exited_on": None,
    }


def test_unknown_member_is_404(world):
    assert_problem(world.client("staff").get(f"{API}/members/99999/"), 404)


def test_members_list_filters(world):
    application = ApplicationFactory(stakeholder_class=world.photographers)
    awaiting = services.application_approve(actor=REGISTRAR, application=application)
    client = world.client("key_read")

    response = client.get(f"{API}/members/", {"status": "awaiting_payment"})

    assert [r["member_number"] for r in response.json()["results"]] == [awaiting.member_number]
    assert client.get(f"{API}/members/", {"stakeholder_class": "nobody"}).json()["results"] == []
    assert_problem(client.get(f"{API}/members/", {"status": "sleeping"}), 400, "status")


def test_members_list_paginates_without_counting(world):
    for _ in range(3):
        make_member(stakeholder_class=world.photographers)
    client = world.client("staff")

    first = client.get(f"{API}/members/", {"page_size": 2}).json()
    last = client.get(f"{API}/members/", {"page_size": 2, "page": 3}).json()

    assert first.keys() == {"next", "previous", "results"}
    assert len(first["results"]) == 2 and first["previous"] is None
    assert first["next"].startswith("http://testserver/api/v1/members/?")
    assert "page=2" in first["next"]
    assert len(last["results"]) == 1 and last["next"] is None
    assert "page=2" in last["previous"]
    every = [r["member_number"] for r in client.get(f"{API}/members/").json()["results"]]
    assert every == sorted(every) and len(every) == 5


@pytest.mark.parametrize("count", [3, 30])
def test_members_list_query_count_does_not_grow(django_assert_num_queries, count):
    photographers = StakeholderClassFactory()
    for _ in range(count):
        make_member(stakeholder_class=photographers)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {_key(['members:read'])}")

    # the key, the page of members with their classes
    with django_assert_num_queries(2):
        response = client.get(f"{API}/members/")

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [3, 30])
def test_members_list_query_count_for_staff(django_assert_num_queries, count):
    photographers = StakeholderClassFactory()
    for _ in range(count):
        make_member(stakeholder_class=photographers)
    client = APIClient()
    client.force_login(StaffFactory())

    # the user (the session comes from the cache), the page of members with their classes
    with django_assert_num_queries(2):
        response = client.get(f"{API}/members/")

    assert len(response.json()["results"]) == count


# --- share payments -----------------------------------------------------------------------

def _pay(client, member, **body):
    body = {"amount_minor": 5000, "paid_on": TODAY.isoformat(), "reference": "SEPA"} | body
    return client.post(f"{API}/members/{member.member_number}/share-payments/", body,
                       format="json")


def test_payment_issues_shares_as_they_are_fully_paid(world):
    client = world.client("key_write")
    member = world.member  # 4 shares subscribed at 5000, 10000 paid, 2 held

    first = _pay(client, member, amount_minor=7500)
    second = _pay(client, member, amount_minor=2500)

    assert first.status_code == 201
    assert first.json() == {"id": first.json()["id"], "shares_held": 3, "status": "active",
                            "paid_minor": 17500}
    assert second.json()["shares_held"] == 4 and second.json()["paid_minor"] == 20000
    certificates = client.get(f"{API}/members/{member.member_number}/certificates/")
    assert certificates.status_code == 403  # a write key does not read
    certificates = world.client("member").get(
        f"{API}/members/{member.member_number}/certificates/").json()["results"]
    assert [c["status"] for c in certificates] == ["issued"] * 4
    numbers = [c["certificate_number"] for c in certificates]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4
    assert certificates[0].keys() == {"certificate_number", "issued_on", "status"}


def test_payment_activates_an_awaiting_member(world):
    application = ApplicationFactory(stakeholder_class=world.photographers, shares=2)
    member = services.application_approve(actor=REGISTRAR, application=application)
    client = world.client("staff")

    partly = _pay(client, member, amount_minor=5000)
    fully = _pay(client, member, amount_minor=5000)

    assert (partly.json()["status"], partly.json()["shares_held"]) == ("awaiting_payment", 1)
    assert (fully.json()["status"], fully.json()["shares_held"]) == ("active", 2)


@pytest.mark.parametrize(("body", "field"), [
    ({"amount_minor": 10001}, "amount_minor"),  # 10000 outstanding
    ({"amount_minor": -5000}, "amount_minor"),
    ({"amount_minor": 0}, "amount_minor"),
    ({"amount_minor": "5000"}, "amount_minor"),
    ({"amount_minor": "lots"}, "amount_minor"),
    ({"amount_minor": 50.5}, "amount_minor"),
    ({"amount_minor": 5000.0}, "amount_minor"),
    ({"amount_minor": True}, "amount_minor"),
    ({"amount_minor": None}, "amount_minor"),
    ({"paid_on": "yesterday"}, "paid_on"),
    ({"paid_on": (TODAY + timedelta(days=1)).isoformat()}, "paid_on"),
    ({"reference": "x" * 121}, "reference"),
])
def test_payment_refuses_bad_input(world, body, field):
    before = snapshot()

    response = _pay(world.client("key_write"), world.member, **body)

    assert_problem(response, 400, field)
    assert snapshot() == before


def test_payment_needs_a_json_body(world):
    before = snapshot()

    response = world.client("key_write").post(
        f"{API}/members/{world.member.member_number}/share-payments/",
        {"amount_minor": "5000", "paid_on": TODAY.isoformat()}, format="multipart")

    assert_problem(response, 415)
    assert snapshot() == before


def test_payment_for_an_unknown_member_is_404(world):
    before = snapshot()

    response = world.client("key_write").post(f"{API}/members/99999/share-payments/", {
        "amount_minor": 5000, "paid_on": TODAY.isoformat()}, format="json")

    assert_problem(response, 404)
    assert snapshot() == before


def test_paying_an_exited_member_is_a_conflict(world):
    services.member_exit(actor=REGISTRAR, member=world.member, reason="moved away")
    before = snapshot()

    response = _pay(world.client("key_write"), world.member)

    assert_problem(response, 409)
    assert snapshot() == before


def test_payments_list_shows_payments_and_reversals(world):
    payment = _payment_of(world)
    services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason="bounced")

    response = world.client("member").get(
        f"{API}/members/{world.member.member_number}/share-payments/")

    rows = response.json()["results"]
    assert [(r["kind"], r["amount_minor"], r["reversed"]) for r in rows] == [
        ("payment", 10000, True), ("reversal", 10000, False)]
    assert rows[1]["reverses"] == payment.pk


def test_reverse_cancels_the_shares_it_paid_for(world):
    member = world.member
    client = world.client("key_write")
    second = _pay(client, member, amount_minor=5000).json()  # 3 held

    response = client.post(
        f"{API}/members/{member.member_number}/share-payments/{second['id']}/reverse/",
        {"reason": "Recorded twice by mistake."}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["shares_held"], body["status"], body["paid_minor"]) == (2, "active", 10000)
    assert SharePayment.objects.get(pk=body["id"]).reverses_id == second["id"]
    statuses = list(member.certificates.order_by("certificate_number")
                    .values_list("status", flat=True))
    assert statuses == ["issued", "issued", "cancelled"]


def test_reverse_refusals(world):
    member, client = world.member, world.client("staff")
    payment = _payment_of(world)
    url = f"{API}/members/{member.member_number}/share-payments/{payment.pk}/reverse/"
    other_url = (f"{API}/members/{world.other_member.member_number}/share-payments/"
                 f"{payment.pk}/reverse/")
    before = snapshot()

    assert_problem(client.post(url, {}, format="json"), 400, "reason")
    assert_problem(client.post(other_url, {"reason": "x"}, format="json"), 404)
    assert_problem(client.post(f"{API}/members/{member.member_number}/share-payments/99999/"
                               "reverse/", {"reason": "x"}, format="json"), 404)
    assert snapshot() == before
    assert client.post(url, {"reason": "bounced"}, format="json").status_code == 200
    after_first = snapshot()
    assert_problem(client.post(url, {"reason": "again"}, format="json"), 409)
    assert snapshot() == after_first


def test_a_reversal_through_the_api_is_dated_today_even_for_a_payment_of_today(world):
    # The API takes no date: a reversal is dated today in the cooperative's time zone, which is
    # never before the payment (payments are not dated in the future) and never in the future.
    today = timezone.localdate()
    member = make_member(stakeholder_class=world.photographers, paid=True, on=today)
    payment = SharePayment.objects.get(member=member)

    response = world.client("key_write").post(
        f"{API}/members/{member.member_number}/share-payments/{payment.pk}/reverse/",
        {"reason": "Returned by the bank."}, format="json")

    assert response.status_code == 200
    assert SharePayment.objects.get(pk=response.json()["id"]).paid_on == today == payment.paid_on


# --- exit ---------------------------------------------------------------------------------

def test_an_exit_through_the_api_is_dated_today_the_day_of_the_last_payment(world):
    # As the reversal: no date in the request; today is never before the last payment.
    today = timezone.localdate()
    member = make_member(stakeholder_class=world.photographers, paid=True, on=today)

    response = world.client("key_write").post(f"{API}/members/{member.member_number}/exit/",
                                              {"reason": "Letter of 2 March."}, format="json")

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.exited_on == today == member.joined_on
    assert member.redemption.requested_on == today


def test_member_exits_themself(world):
    member = world.member

    response = world.client("member").post(f"{API}/members/{member.member_number}/exit/", {},
                                           format="json")

    assert response.status_code == 200
    assert response.json() == {"status": "exited", "redemption_minor": 10000}
    member.refresh_from_db()
    assert (member.status, member.exited_on, member.shares_held) == ("exited", TODAY, 0)
    assert set(member.certificates.values_list("status", flat=True)) == {"redeemed"}


def test_staff_recording_an_exit_must_give_the_reason(world):
    url = f"{API}/members/{world.member.member_number}/exit/"
    before = snapshot()

    assert_problem(world.client("staff").post(url, {}, format="json"), 400, "reason")
    assert_problem(world.client("key_write").post(url, {"reason": " "}, format="json"), 400,
                   "reason")

    assert snapshot() == before


def test_exiting_twice_is_a_conflict(world):
    url = f"{API}/members/{world.member.member_number}/exit/"
    client = world.client("member")
    assert client.post(url, {}, format="json").status_code == 200
    before = snapshot()

    assert_problem(client.post(url, {}, format="json"), 409)
    assert snapshot() == before


# --- idempotency --------------------------------------------------------------------------

def test_same_idempotency_key_and_body_replays_the_first_answer(world):
    client = world.client("key_write")
    url = f"{API}/members/{world.member.member_number}/share-payments/"
    body = {"amount_minor": 5000, "paid_on": TODAY.isoformat(), "reference": "SEPA 77"}

    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-77")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-77")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert SharePayment.objects.filter(member=world.member, reference="SEPA 77").count() == 1
    world.member.refresh_from_db()
    assert world.member.paid_minor == 15000


def test_same_idempotency_key_with_another_body_is_a_conflict(world):
    client = world.client("key_write")
    url = f"{API}/members/{world.member.member_number}/share-payments/"
    body = {"amount_minor": 5000, "paid_on": TODAY.isoformat(), "reference": "SEPA 78"}
    assert client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-78").status_code == 201
    before = snapshot()

    response = client.post(url, body | {"amount_minor": 2500}, format="json",
                           HTTP_IDEMPOTENCY_KEY="pay-78")

    assert_problem(response, 409)
    assert snapshot() == before


def test_a_refused_request_does_not_use_up_its_idempotency_key(world):
    client = world.client("key_write")
    url = f"{API}/members/{world.member.member_number}/share-payments/"

    refused = client.post(url, {"amount_minor": 999999, "paid_on": TODAY.isoformat()},
                          format="json", HTTP_IDEMPOTENCY_KEY="pay-79")
    corrected = client.post(url, {"amount_minor": 5000, "paid_on": TODAY.isoformat()},
                            format="json", HTTP_IDEMPOTENCY_KEY="pay-79")

    assert (refused.status_code, corrected.status_code) == (400, 201)


def test_idempotency_keys_are_scoped_to_the_caller(world):
    url = f"{API}/members/{world.member.member_number}/share-payments/"
    body = {"amount_minor": 2500, "paid_on": TODAY.isoformat()}

    by_key = world.client("key_write").post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    by_staff = world.client("staff").post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert (by_key.status_code, by_staff.status_code) == (201, 201)
    assert by_staff.json()["id"] != by_key.json()["id"]


def test_approval_replayed_with_its_key_returns_the_same_member(world):
    application = ApplicationFactory(stakeholder_class=world.photographers)
    client = world.client("key_write")
    url = f"{API}/applications/{application.pk}/approve/"

    first = client.post(url, HTTP_IDEMPOTENCY_KEY="approve-1")
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="approve-1")
    without_key = client.post(url)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert_problem(without_key, 409)
    assert Member.objects.filter(application=application).count() == 1


def test_an_empty_idempotency_key_is_refused(world):
    before = snapshot()

    response = world.client("key_write").post(
        f"{API}/members/{world.member.member_number}/share-payments/",
        {"amount_minor": 5000, "paid_on": TODAY.isoformat()}, format="json",
        HTTP_IDEMPOTENCY_KEY=" ")

    assert_problem(response, 400, "Idempotency-Key")
    assert snapshot() == before


# --- a whole journey ----------------------------------------------------------------------

def test_journey_from_application_to_exit(world):
    applicant = world.client("non_member")
    partner = world.client("key_write")

    applied = applicant.post(f"{API}/applications/",
                             {"stakeholder_class": "photographers", "shares": 2}, format="json")
    approved = partner.post(f"{API}/applications/{applied.json()['id']}/approve/")
    number = approved.json()["member_number"]
    paid = _pay(partner, Member.objects.get(member_number=number), amount_minor=10000)
    me = applicant.get(f"{API}/members/{number}/").json()
    mine = applicant.get(f"{API}/members/").json()["results"]
    left = applicant.post(f"{API}/members/{number}/exit/", {}, format="json")

    assert paid.json()["status"] == "active"
    assert me["status"] == "active" and me["shares_held"] == 2
    assert [m["member_number"] for m in mine] == [number]
    assert left.json() == {"status": "exited", "redemption_minor": 10000}


# --- selectors the browser views use ------------------------------------------------------

@pytest.mark.parametrize("count", [3, 30])
def test_member_directory_shows_visible_active_members_in_constant_queries(
        django_assert_num_queries, count):
    photographers = StakeholderClassFactory()
    members = [make_member(stakeholder_class=photographers, paid=True) for _ in range(count)]
    services.member_directory_visibility_set(actor=REGISTRAR, member=members[0], visible=False)
    services.member_exit(actor=REGISTRAR, member=members[1])
    awaiting = make_member(stakeholder_class=photographers)

    with django_assert_num_queries(1):
        rows = list(selectors.member_directory())
        shown = [(m.name, m.stakeholder_class.name, m.activated_on) for m in rows]

    numbers = {m.member_number for m in rows}
    assert numbers == {m.member_number for m in members[2:]}
    assert awaiting.member_number not in numbers
    assert [name for name, _, _ in shown] == sorted(name for name, _, _ in shown)


def test_member_directory_search():
    photographers = StakeholderClassFactory()
    ada = make_member(stakeholder_class=photographers, paid=True,
                      user=UserFactory(full_name="Ada Lovelace"))
    make_member(stakeholder_class=photographers, paid=True,
                user=UserFactory(full_name="Grace Hopper"))

    assert [m.pk for m in selectors.member_directory(search="lovel")] == [ada.pk]


@pytest.mark.parametrize("payments", [1, 8])
def test_member_home_in_three_queries(django_assert_num_queries, payments):
    photographers = StakeholderClassFactory()
    member = make_member(stakeholder_class=photographers, shares=20)
    for _ in range(payments):
        services.share_payment_record(actor=REGISTRAR,
                                      member=member, amount_minor=5000, paid_on=TODAY)
    services.share_payment_reverse(actor=REGISTRAR,
                                   payment=member.payments.first(), reason="bounced")

    with django_assert_num_queries(3):
        home = selectors.member_home(member)
        summary = ([p.is_reversed for p in home.payments], home.member.stakeholder_class.name,
                   home.member.subscription.shares, home.redemption)

    assert summary[0] == [True] + [False] * (payments - 1) + [False]
    assert len(home.certificates) == payments
    assert len(home.issued_certificates) == payments - 1
    assert home.outstanding_minor == 20 * 5000 - (payments - 1) * 5000


def test_member_home_next_steps():
    photographers = StakeholderClassFactory()  # buy-in: 2 shares of 5000
    member = make_member(stakeholder_class=photographers, shares=3)
    services.share_payment_record(actor=REGISTRAR, member=member, amount_minor=4000, paid_on=TODAY)

    awaiting = selectors.member_home(member).next_steps
    services.share_payment_record(actor=REGISTRAR, member=member, amount_minor=6000, paid_on=TODAY)
    active = selectors.member_home(member).next_steps
    services.member_exit(actor=REGISTRAR, member=member)
    exited = selectors.member_home(member).next_steps

    assert [(s.code, s.amount_minor) for s in awaiting] == [("pay_buy_in", 6000)]
    assert [(s.code, s.amount_minor) for s in active] == [("pay_remaining", 5000),
                                                          ("take_part", None)]
    assert [(s.code, s.amount_minor) for s in exited] == [("await_redemption", 10000)]


# --- the dates a payment may carry (from joined_on to the cooperative's today) --------------

JOINED = date(2026, 3, 2)


@pytest.fixture
def joined_earlier(world) -> Member:
    """Admitted on JOINED, nothing paid: 4 shares of 5000 outstanding."""
    application = ApplicationFactory(stakeholder_class=world.photographers, shares=4)
    # Applied the day before: an approval cannot predate the application (stamped "now").
    Application.objects.filter(pk=application.pk).update(
        submitted_at=timezone.make_aware(datetime.combine(JOINED - timedelta(days=1), time(9))))
    return services.applications_approve(actor=REGISTRAR,
                                         application_ids=[application.pk], on=JOINED)[0]


@pytest.mark.parametrize(("paid_on", "says"), [
    (JOINED - timedelta(days=1), "joined (2026-03-02)"),
    (date(1999, 12, 31), "joined (2026-03-02)"),
    (None, "future"),  # tomorrow in the cooperative's time zone
])
def test_payment_outside_membership_dates_is_400_and_stores_nothing(world, joined_earlier,
                                                                   paid_on, says):
    paid_on = paid_on or timezone.localdate() + timedelta(days=1)
    before = snapshot()

    response = _pay(world.client("key_write"), joined_earlier, paid_on=paid_on.isoformat())

    body = assert_problem(response, 400, "paid_on")
    assert list(body["errors"]) == ["paid_on"]
    assert says in body["detail"]
    assert snapshot() == before


def test_payment_on_the_day_the_member_joined_and_today_are_accepted(world, joined_earlier):
    client = world.client("key_write")

    on_joining = _pay(client, joined_earlier, paid_on=JOINED.isoformat(), amount_minor=10000)
    today = _pay(client, joined_earlier, paid_on=timezone.localdate().isoformat(),
                 amount_minor=10000)

    assert (on_joining.status_code, on_joining.json()["status"]) == (201, "active")
    assert (today.status_code, today.json()["shares_held"]) == (201, 4)
    joined_earlier.refresh_from_db()
    assert joined_earlier.activated_on == JOINED
    assert sorted(joined_earlier.payments.values_list("paid_on", flat=True)) == [
        JOINED, timezone.localdate()]


def test_a_member_admitted_today_cannot_be_paid_for_yesterday(world):
    member = make_member(stakeholder_class=world.photographers)
    yesterday = member.joined_on - timedelta(days=1)
    before = snapshot()

    response = _pay(world.client("staff"), member, paid_on=yesterday.isoformat())

    assert_problem(response, 400, "paid_on")
    assert snapshot() == before
