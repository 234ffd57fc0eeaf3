"""The ledger's REST API: who may call what, the fields API.md fixes, problem+json for bad input,
and nothing written when refused."""

from dataclasses import dataclass
from datetime import date

import pytest
from rest_framework.test import APIClient

from coop.models import PartnerApiKey
from governance.models import Proposal
from ledger import accounts, selectors, services
from ledger.models import FiscalPeriod, JournalEntry
from membership import services as membership_services
from tests.governance.factories import make_proposal
from tests.ledger.factories import BOOKKEEPER, make_period, post
from tests.membership.factories import (
    REGISTRAR,
    StaffFactory,
    StakeholderClassFactory,
    UserFactory,
    make_member,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
PROBLEM = "application/problem+json"


@dataclass
class World:
    member: object
    other: object
    keys: dict

    def client(self, role: str) -> APIClient:
        client = APIClient()
        if role in self.keys:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.keys[role]}")
        elif role == "member":
            client.force_login(self.member.user)
        elif role == "other_member":
            client.force_login(self.other.user)
        elif role == "non_member":
            client.force_login(UserFactory())
        elif role == "staff":
            client.force_login(StaffFactory())
        return client


def _key(scopes):
    return PartnerApiKey.objects.create_key(name=f"partner {scopes}", scopes=scopes)[1]


@pytest.fixture
def world():
    klass = StakeholderClassFactory()
    member = make_member(stakeholder_class=klass, paid=True)
    other = make_member(stakeholder_class=klass, paid=True)
    return World(member=member, other=other,
                 keys={"key_read": _key(["ledger:read"]), "key_write": _key(["ledger:write"]),
                       "key_members": _key(["members:read", "members:write"])})


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    for name in fields:
        assert name in body["errors"], body
    return body


READS = {
    "accounts": "/ledger/accounts/",
    "trial": "/ledger/trial-balance/",
    "sheet": "/ledger/balance-sheet/?date=2026-01-01",
    "entries": "/ledger/entries/",
    "reconciliation": "/ledger/reconciliation/",
    "periods": "/periods/",
}
OPEN_BOOKS = {"accounts", "sheet", "periods"}


@pytest.mark.parametrize("endpoint", sorted(READS))
@pytest.mark.parametrize("role", ["anonymous", "non_member", "member", "staff", "key_read",
                                  "key_write", "key_members"])
def test_who_reads_what(world, endpoint, role):
    response = world.client(role).get(API + READS[endpoint])
    allowed = role in ("staff", "key_read") or (role == "member" and endpoint in OPEN_BOOKS)
    if allowed:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code in (401, 403), (role, endpoint, response.status_code)


@pytest.mark.parametrize("role", ["member", "non_member", "key_read", "key_members",
                                  "anonymous"])
def test_only_bookkeepers_write(world, role):
    response = world.client(role).post(f"{API}/ledger/revenue/", {
        "amount_minor": 100, "date": "2025-03-01", "description": "Sale"}, format="json")
    assert response.status_code in (401, 403)
    assert not JournalEntry.objects.filter(kind="revenue").exists()


def test_accounts_list_one_row_per_account_and_no_member(world):
    body = world.client("member").get(f"{API}/ledger/accounts/").json()
    assert [row["code"] for row in body] == [code for code, _, _ in accounts.CHART]
    capital = next(row for row in body if row["code"] == accounts.SHARE_CAPITAL)
    assert capital["balance_minor"] == world.member.paid_minor + world.other.paid_minor
    assert set(body[0]) == {"code", "name", "type", "balance_minor"}


@pytest.mark.parametrize("role", ["staff", "key_write"])
def test_revenue_and_expenses_post_entries(world, role):
    client = world.client(role)
    revenue = client.post(f"{API}/ledger/revenue/", {
        "amount_minor": 100_000, "date": "2025-03-01", "description": "Licences"},
        format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    assert revenue.status_code == 201, revenue.content
    again = client.post(f"{API}/ledger/revenue/", {
        "amount_minor": 100_000, "date": "2025-03-01", "description": "Licences"},
        format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    assert again.json() == revenue.json()
    expense = client.post(f"{API}/ledger/expenses/", {
        "amount_minor": 30_000, "date": "2025-03-02", "description": "Rent",
        "category": "operations"}, format="json")
    governance = client.post(f"{API}/ledger/expenses/", {
        "amount_minor": 5_000, "date": "2025-03-03", "description": "Assembly hall",
        "category": "governance"}, format="json")
    assert expense.status_code == governance.status_code == 201
    entry = JournalEntry.objects.get(pk=revenue.json()["entry_id"])
    assert entry.kind == "revenue"
    assert selectors.account_balance(accounts.REVENUE) == 100_000
    assert selectors.account_balance(accounts.OPERATING_EXPENSES) == 30_000
    assert selectors.account_balance(accounts.GOVERNANCE_EXPENSES) == 5_000


@pytest.mark.parametrize(("body", "field"), [
    ({"amount_minor": 0}, "amount_minor"),
    ({"amount_minor": -5}, "amount_minor"),
    ({"amount_minor": 12.5}, "amount_minor"),
    ({"amount_minor": "100"}, "amount_minor"),
    ({"date": "2025-02-30"}, "date"),
    ({"date": "2999-01-01"}, "date"),
    ({"description": ""}, "description"),
    ({"category": "party"}, "category"),
])
def test_bad_money_is_a_400_naming_the_field_and_writes_nothing(world, body, field):
    payload = {"amount_minor": 100, "date": "2025-03-01", "description": "x",
               "category": "operations"} | body
    response = world.client("staff").post(f"{API}/ledger/expenses/", payload, format="json")
    assert_problem(response, 400, field)
    assert not JournalEntry.objects.filter(kind__startswith="expense").exists()


def test_money_dated_in_a_closed_period_is_a_409(world):
    services.period_close(actor=BOOKKEEPER, period=make_period())
    response = world.client("staff").post(f"{API}/ledger/revenue/", {
        "amount_minor": 100, "date": "2025-06-01", "description": "Late"}, format="json")
    body = assert_problem(response, 409)
    assert "closed fiscal period 2025-01-01 – 2025-12-31" in body["detail"]


def test_periods_create_and_close(world):
    client = world.client("key_write")
    created = client.post(f"{API}/periods/", {"start": "2025-01-01", "end": "2025-12-31"},
                          format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "open"
    overlap = client.post(f"{API}/periods/", {"start": "2025-06-01", "end": "2026-12-31"},
                          format="json")
    assert_problem(overlap, 400, "start")
    post(700, on=date(2025, 5, 1))
    closed = client.post(f"{API}/periods/{created.json()['id']}/close/")
    assert closed.json() == {"status": "closed", "surplus_minor": 700}
    assert_problem(client.post(f"{API}/periods/{created.json()['id']}/close/"), 409)
    assert client.post(f"{API}/periods/999999/close/").status_code == 404


def test_income_statement_and_balance_sheet(world):
    period = make_period()
    post(10_000, credit=accounts.REVENUE, on=date(2025, 3, 1))
    post(4_000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2025, 4, 1))
    services.period_close(actor=BOOKKEEPER, period=period)
    client = world.client("member")
    statement = client.get(f"{API}/ledger/income-statement/?period={period.pk}").json()
    assert statement["surplus_minor"] == 6_000
    assert statement["revenue"] == [{"account": accounts.REVENUE, "name": "Revenue",
                                     "amount_minor": 10_000}]
    assert {e["account"]: e["amount_minor"] for e in statement["expenses"]} == {
        accounts.OPERATING_EXPENSES: 4_000, accounts.GOVERNANCE_EXPENSES: 0}
    sheet = client.get(f"{API}/ledger/balance-sheet/?date=2025-06-30").json()
    assert sheet["assets_minor"] == sheet["liabilities_and_equity_minor"] == 6_000
    assert sheet["equity"][-1] == {"account": None, "name": selectors.OPEN_RESULT,
                                   "amount_minor": 6_000}
    assert_problem(client.get(f"{API}/ledger/balance-sheet/"), 400, "date")
    assert_problem(client.get(f"{API}/ledger/balance-sheet/?date=yesterday"), 400, "date")
    assert_problem(client.get(f"{API}/ledger/balance-sheet/?date="), 400, "date")
    assert_problem(world.client("staff").get(f"{API}/ledger/trial-balance/?date="), 400, "date")
    refused = world.client("staff").post(f"{API}/ledger/revenue/", {
        "amount_minor": 1, "date": "2025-01-01", "description": 0}, format="json")
    assert_problem(refused, 400, "description")
    assert_problem(client.get(f"{API}/ledger/income-statement/?period=x"), 400, "period")
    assert client.get(f"{API}/ledger/income-statement/?period=999999").status_code == 404


def test_trial_balance_columns_agree(world):
    post(2_500)
    body = world.client("key_read").get(f"{API}/ledger/trial-balance/").json()
    assert body["debits_minor"] == body["credits_minor"] > 0
    bank = next(a for a in body["accounts"] if a["code"] == accounts.BANK)
    assert bank["debit_minor"] == 2_500 + world.member.paid_minor + world.other.paid_minor


def test_entries_list_and_detail_name_members_by_number(world):
    body = world.client("key_read").get(f"{API}/ledger/entries/").json()
    assert set(body) == {"next", "previous", "results"}
    entry = body["results"][0]
    assert set(entry) >= {"id", "date", "description", "idempotency_key", "reverses", "lines"}
    numbers = {line.get("member_number") for line in entry["lines"]}
    assert numbers & {world.member.member_number, world.other.member_number}
    detail = world.client("key_read").get(f"{API}/ledger/entries/{entry['id']}/").json()
    assert detail == entry


def test_entries_list_query_count_does_not_grow(world, django_assert_max_num_queries):
    client = world.client("key_read")
    client.get(f"{API}/ledger/entries/")
    with django_assert_max_num_queries(8) as few:
        client.get(f"{API}/ledger/entries/")
    for i in range(20):
        post(10 + i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"{API}/ledger/entries/")


def test_capital_account_for_the_member_staff_and_keys_only(world):
    path = f"{API}/members/{world.member.member_number}/capital-account/"
    own = world.client("member").get(path)
    assert own.status_code == 200
    assert own.json()["balance_minor"] == world.member.paid_minor
    assert own.json()["lines"][0]["kind"] == "share_payment"
    assert world.client("other_member").get(path).status_code == 404
    assert world.client("key_read").get(path).status_code == 200
    assert world.client("staff").get(path).status_code == 200
    assert world.client("key_members").get(path).status_code == 403
    assert world.client("staff").get(f"{API}/members/99999/capital-account/").status_code == 404


def test_reconciliation_endpoint(world):
    assert world.client("staff").get(f"{API}/ledger/reconciliation/").json() == {
        "ok": True, "differences": []}
    post(1, credit=accounts.SHARE_CAPITAL, member_id=world.member.pk)
    body = world.client("key_read").get(f"{API}/ledger/reconciliation/").json()
    assert body == {"ok": False, "differences": [{
        "member_number": world.member.member_number,
        "register_minor": world.member.paid_minor, "ledger_minor": world.member.paid_minor + 1}]}


def passed_proposal():
    from tests.governance.helpers import ensure_categories

    ensure_categories()
    proposal = make_proposal()
    Proposal.objects.filter(pk=proposal.pk).update(status="closed", outcome="passed")
    return Proposal.objects.get(pk=proposal.pk)


def test_commons_spend_names_a_passed_proposal(world):
    post(5_000, debit=accounts.BANK, credit=accounts.COMMONS)
    proposal = passed_proposal()
    client = world.client("staff")
    spent = client.post(f"{API}/ledger/commons-spend/", {
        "amount_minor": 3_000, "date": "2025-03-01", "proposal": proposal.pk,
        "description": "Open-source scanner driver"}, format="json")
    assert spent.status_code == 201, spent.content
    assert JournalEntry.objects.get(pk=spent.json()["entry_id"]).proposal == proposal
    assert selectors.account_balance(accounts.COMMONS) == 2_000
    too_much = client.post(f"{API}/ledger/commons-spend/", {
        "amount_minor": 2_001, "date": "2025-03-01", "proposal": proposal.pk}, format="json")
    assert_problem(too_much, 409, "amount_minor")
    Proposal.objects.filter(pk=proposal.pk).update(outcome="rejected")
    rejected = client.post(f"{API}/ledger/commons-spend/", {
        "amount_minor": 1, "date": "2025-03-01", "proposal": proposal.pk}, format="json")
    assert_problem(rejected, 409, "proposal")
    unknown = client.post(f"{API}/ledger/commons-spend/", {
        "amount_minor": 1, "date": "2025-03-01", "proposal": 999999}, format="json")
    assert_problem(unknown, 400, "proposal")
    assert selectors.account_balance(accounts.COMMONS) == 2_000


def test_a_loss_is_covered_from_the_reserve_by_a_passed_proposal(world, time_machine):
    post(9_000, debit=accounts.BANK, credit=accounts.RESERVE, on=date(2024, 6, 1))
    period = make_period()
    post(4_000, debit=accounts.OPERATING_EXPENSES, credit=accounts.BANK, on=date(2025, 4, 1))
    services.period_close(actor=BOOKKEEPER, period=period)
    assert selectors.account_balance(accounts.UNALLOCATED_SURPLUS) == -4_000
    proposal = passed_proposal()
    client = world.client("staff")
    more = client.post(f"{API}/ledger/loss-cover/", {
        "amount_minor": 4_001, "date": "2026-01-05", "proposal": proposal.pk}, format="json")
    assert_problem(more, 409, "amount_minor")
    covered = client.post(f"{API}/ledger/loss-cover/", {
        "amount_minor": 4_000, "date": "2026-01-05", "proposal": proposal.pk}, format="json")
    assert covered.status_code == 201, covered.content
    assert selectors.account_balance(accounts.UNALLOCATED_SURPLUS) == 0
    assert selectors.account_balance(accounts.RESERVE) == 5_000


def test_the_registers_payment_through_the_members_api_posts(world):
    member = make_member(shares=2)
    response = world.client("key_members").post(
        f"{API}/members/{member.member_number}/share-payments/",
        {"amount_minor": 5000, "paid_on": date.today().isoformat()}, format="json")
    assert response.status_code == 201, response.content
    assert selectors.member_capital_balance(member.pk) == 5000
    assert FiscalPeriod.objects.count() == 0
    membership_services.member_exit(member=member, actor=REGISTRAR)
    assert selectors.reconciliation().ok


def test_open_books_and_capital_account_cost_fixed_queries(world, django_assert_max_num_queries):
    client = world.client("member")
    paths = [f"{API}/ledger/accounts/", f"{API}/ledger/balance-sheet/?date=2026-01-01",
             f"{API}/members/{world.member.member_number}/capital-account/"]
    counts = {}
    for path in paths:
        client.get(path)
        with django_assert_max_num_queries(10) as captured:
            assert client.get(path).status_code == 200
        counts[path] = len(captured.captured_queries)
    for i in range(15):
        post(100 + i, on=date(2025, 1, 1 + i), credit=accounts.SHARE_CAPITAL,
             member_id=world.member.pk)
    for path in paths:
        with django_assert_max_num_queries(counts[path]):
            assert client.get(path).status_code == 200


def test_a_share_payment_dated_in_a_closed_period_is_a_409_and_writes_nothing(world,
                                                                              time_machine):
    time_machine.move_to(date(2025, 2, 1), tick=True)
    member = make_member(shares=2)
    period = make_period()
    time_machine.move_to(date(2026, 1, 10), tick=True)
    services.period_close(actor=BOOKKEEPER, period=period)
    response = world.client("key_members").post(
        f"{API}/members/{member.member_number}/share-payments/",
        {"amount_minor": 5000, "paid_on": "2025-12-01"}, format="json")
    body = assert_problem(response, 409, "paid_on")
    assert "closed fiscal period 2025-01-01 – 2025-12-31" in body["detail"]
    member.refresh_from_db()
    assert member.paid_minor == 0
    assert selectors.member_capital_balance(member.pk) == 0
