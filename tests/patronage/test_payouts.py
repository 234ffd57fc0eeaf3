"""Payables and payout batches (Dr Dividends payable / Dr Redemptions payable, Cr Bank), the
CSV and SEPA exports, and the member's IBAN."""

from datetime import date
from xml.etree import ElementTree

import pytest

from coop.errors import Conflict, InvalidInput, NotAllowed
from coop.models import AuditRecord, Cooperative
from ledger import accounts
from ledger.models import JournalLine
from membership.models import Redemption
from patronage import services
from patronage.models import Payable, PayoutAccount
from tests.membership.factories import StaffFactory
from tests.patronage.factories import PATRONAGE_JOB

pytestmark = pytest.mark.django_db

GOOD_IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def posted(cooperative, django_capture_on_commit_callbacks):
    period, members = cooperative
    with django_capture_on_commit_callbacks(execute=True):
        run = services.dividend_run_start(actor=PATRONAGE_JOB, period=period)
    run.refresh_from_db()
    services.dividend_run_approve(actor=PATRONAGE_JOB, run=run, on=date(2026, 2, 1))
    return run, members


def test_the_close_made_the_exits_redemption_a_payable(cooperative):
    _, members = cooperative
    redemption = Redemption.objects.get(member=members[3])
    assert redemption.status == Redemption.Status.PAYABLE
    payable = Payable.objects.get(kind=Payable.Kind.REDEMPTION)
    assert (payable.member_id, payable.amount_minor) == (members[3].pk, redemption.amount_minor)


def test_a_batch_gathers_the_payables_and_paying_it_posts_once(posted):
    run, members = posted
    staff = StaffFactory()
    batch = services.payout_batch_create(actor=staff)
    assert batch.payables.count() == 5  # four dividends, one redemption
    with pytest.raises(Conflict, match="Nothing is payable"):
        services.payout_batch_create(actor=staff)
    redemption = Redemption.objects.get(member=members[3])
    batch = services.payout_batch_pay(actor=staff, batch=batch, paid_on=date(2026, 2, 10))
    lines = {(line.account.code, line.debit_minor, line.credit_minor)
             for line in JournalLine.objects.filter(entry=batch.entry).select_related("account")}
    dividends = 62_742 + 30_627 + 59_742 + 36_394
    assert lines == {(accounts.DIVIDENDS_PAYABLE, dividends, 0),
                     (accounts.REDEMPTIONS_PAYABLE, redemption.amount_minor, 0),
                     (accounts.BANK, 0, dividends + redemption.amount_minor)}
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.PAID
    with pytest.raises(Conflict, match="already paid"):
        services.payout_batch_pay(actor=staff, batch=batch)


def test_exports_csv_and_sepa_for_valid_ibans_only(posted):
    run, members = posted
    Cooperative.objects.update_or_create(pk=Cooperative.current().pk, defaults={
        "payment_iban": "NL91ABNA0417164300", "payment_bic": "ABNANL2A",
        "payment_account_holder": "The Cooperative"})
    owner = StaffFactory(is_staff=False, is_superuser=False)
    from membership.models import Member
    Member.objects.filter(pk=members[1].pk).update(user=owner)
    member_one = Member.objects.get(pk=members[1].pk)
    services.payout_account_set(actor=owner, member=member_one, iban=GOOD_IBAN)
    batch = services.payout_batch_create(actor=PATRONAGE_JOB)
    text = services.payout_csv(batch)
    assert text.splitlines()[0] == ("member_number,name,iban,dividends_minor,redemptions_minor,"
                                    "amount_minor")
    assert "1,Member 1,DE89370400440532013000,62742,0,62742" in text
    xml, left_out = services.payout_sepa(batch, execution_date=date(2026, 2, 10))
    tree = ElementTree.fromstring(xml)
    ns = {"p": tree.tag[1:].split("}")[0]}
    assert tree.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=ns) == "1"
    assert tree.findtext(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=ns) == "627.42"
    assert tree.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=ns) == "DE89370400440532013000"
    assert sorted(line.member_number for line in left_out) == [2, 3, 4]


def test_the_iban_is_validated_private_and_erasable(posted):
    run, members = posted
    from membership.models import Member

    owner = StaffFactory(is_staff=False, is_superuser=False)
    Member.objects.filter(pk=members[2].pk).update(user=owner)
    member = Member.objects.get(pk=members[2].pk)
    with pytest.raises(InvalidInput) as refused:
        services.payout_account_set(actor=owner, member=member, iban="DE89 3704 0044 0532 0130 01")
    assert "iban" in refused.value.errors and not PayoutAccount.objects.exists()
    stranger = StaffFactory(is_staff=False, is_superuser=False)
    with pytest.raises(NotAllowed):
        services.payout_account_set(actor=stranger, member=member, iban=GOOD_IBAN)
    services.payout_account_set(actor=owner, member=member, iban=GOOD_IBAN)
    record = AuditRecord.objects.get(action="payout_account.set")
    assert "DE89" not in str(record.facts) and "3704" not in str(record.facts)
    assert services.payout_accounts_erase(member_ids=[member.pk], actor=PATRONAGE_JOB) == 1
    assert not PayoutAccount.objects.exists()


def test_the_payout_admin(client, posted):
    client.force_login(StaffFactory())
    assert client.post("/admin/patronage/payoutbatch/gather/").status_code == 302
    from patronage.models import PayoutBatch

    batch = PayoutBatch.objects.get()
    page = client.get("/admin/patronage/payoutbatch/")
    assert page.status_code == 200 and b"Mark paid" in page.content
    csv_file = client.get(f"/admin/patronage/payoutbatch/{batch.pk}/batch.csv")
    assert csv_file["Content-Type"] == "text/csv" and b"member_number" in csv_file.content
    refused = client.post(f"/admin/patronage/payoutbatch/{batch.pk}/pay/", {"paid_on": "x"})
    assert refused.status_code == 200 and b"errorlist" in refused.content
    done = client.post(f"/admin/patronage/payoutbatch/{batch.pk}/pay/",
                       {"paid_on": "2026-02-10"})
    assert done.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "paid" and batch.entry_id is not None


def test_the_iban_api_for_the_member_only(posted):
    from membership.models import Member
    from tests.governance.helpers import api_key, assert_problem, client_for

    _, members = posted
    owner = StaffFactory(is_staff=False, is_superuser=False)
    Member.objects.filter(pk=members[1].pk).update(user=owner)
    url = "/api/v1/members/1/payout-account/"
    assert client_for(owner).get(url).json() == {"iban": "", "holder": ""}
    assert_problem(client_for(owner).put(url, {"iban": "DE00 1234"}, format="json"), 400, "iban")
    saved = client_for(owner).put(url, {"iban": GOOD_IBAN, "holder": "M. One"}, format="json")
    assert saved.status_code == 200 and saved.json()["iban"] == "DE89370400440532013000"
    # Not for other members, nor for keys (not even ledger:read).
    other = StaffFactory(is_staff=False, is_superuser=False)
    Member.objects.filter(pk=members[2].pk).update(user=other)
    assert client_for(other).get(url).status_code == 404
    assert client_for(key=api_key("ledger:read")).get(url).status_code in (403, 404)
    assert client_for(StaffFactory()).get(url).json()["iban"] == "DE89370400440532013000"
