"""Revenue and expenses from CSV: a preview with errors by row and column, then all or nothing;
through the staff page in the admin."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coop.errors import InvalidInput
from ledger import accounts, money_import, selectors, services
from ledger.models import JournalEntry
from tests.ledger.factories import BOOKKEEPER, make_period

pytestmark = pytest.mark.django_db

GOOD = """date,type,category,amount,description,reference
2025-03-01,revenue,,"1,250.50",Licences sold in March,R-1
2025-03-02,expense,operations,300,Rent,E-1
2025-03-03,Expense,Governance,45.5,Assembly hall,
"""


def test_a_good_file_previews_and_posts_every_row():
    preview = money_import.validate(GOOD)
    assert preview.ok, preview.errors_dict()
    assert [r.amount_minor for r in preview.rows] == [125_050, 30_000, 4_550]
    entries = money_import.money_import(text=GOOD, actor=BOOKKEEPER)
    assert [e.kind for e in entries] == ["revenue", "expense_operations", "expense_governance"]
    assert entries[0].idempotency_key == "money-import:R-1"
    assert selectors.account_balance(accounts.REVENUE) == 125_050
    assert selectors.account_balance(accounts.BANK) == 125_050 - 30_000 - 4_550


def test_errors_are_given_by_row_and_column_and_nothing_is_posted():
    services.period_close(actor=BOOKKEEPER, period=make_period(date(2024, 1, 1),
                                                               date(2024, 12, 31)))
    text = """date,type,category,amount,description,reference
2025-03-01,revenue,,12.50,Fine,R-1
2025-02-30,revenue,,10,Bad date,
2025-03-01,gift,,10,Bad type,
2025-03-01,expense,,10,No category,
2025-03-01,revenue,operations,10,Category on revenue,
2025-03-01,revenue,,"12,50",Comma decimal,
2025-03-01,revenue,,-3,Negative,
2025-03-01,revenue,,0,Zero,
2025-03-01,revenue,,10,,
2025-03-01,revenue,,10,Same reference,R-1
2024-06-01,revenue,,10,Closed period,
2999-01-01,revenue,,10,Future,
"""
    preview = money_import.validate(text)
    assert not preview.ok
    errors = {r.row: sorted(r.errors) for r in preview.rows}
    assert errors == {2: [], 3: ["date"], 4: ["type"], 5: ["category"], 6: ["category"],
                      7: ["amount"], 8: ["amount"], 9: ["amount"], 10: ["description"],
                      11: ["reference"], 12: ["date"], 13: ["date"]}
    assert "closed fiscal period 2024-01-01 – 2024-12-31" in preview.rows[10].errors["date"][0]
    with pytest.raises(InvalidInput) as error:
        money_import.money_import(text=text, actor=BOOKKEEPER)
    assert error.value.errors["row 3"] == [f"date: {m}" for m in preview.rows[1].errors["date"]]
    assert not JournalEntry.objects.exists()


def test_a_reference_already_imported_is_refused():
    money_import.money_import(text=GOOD, actor=BOOKKEEPER)
    preview = money_import.validate(GOOD)
    assert "Already imported as entry 1" in preview.rows[0].errors["reference"][0]
    assert JournalEntry.objects.count() == 3


@pytest.mark.parametrize(("text", "message"), [
    ("date,type,amount\n2025-03-01,revenue,10\n", "Missing column(s): description"),
    ("date,type,amount,description,colour\n", "Unknown column(s): colour"),
    ("date,type,amount,description\n", "no rows"),
    ("date,type,amount,description,date\n2025-03-01,revenue,10,x,2025-03-02\n",
     "Repeated column(s): date"),
    ("date,type,amount,description\n2025-03-01,revenue,10,x,surplus\n",
     "Row 2 has more cells than the header"),
])
def test_a_file_of_the_wrong_shape_is_refused(text, message):
    preview = money_import.validate(text)
    assert not preview.ok
    assert message in " ".join(preview.file_errors)


def test_the_staff_page_previews_then_posts(staff_client):
    page = staff_client.get("/admin/ledger/journalentry/import/")
    assert page.status_code == 200
    preview = staff_client.post("/admin/ledger/journalentry/import/",
                                {"file": SimpleUploadedFile("money.csv", GOOD.encode())})
    assert b"All 3 rows are valid" in preview.content
    assert not JournalEntry.objects.exists()
    done = staff_client.post("/admin/ledger/journalentry/import/",
                             {"confirm": "yes", "text": GOOD})
    assert done.status_code == 302
    assert JournalEntry.objects.count() == 3


def test_the_staff_page_shows_errors_on_their_cells(staff_client):
    bad = GOOD.replace("Rent", "")
    page = staff_client.post("/admin/ledger/journalentry/import/",
                             {"file": SimpleUploadedFile("money.csv", bad.encode())})
    assert b"Nothing was imported" in page.content
    assert b"<strong>description</strong>" in page.content
    assert not JournalEntry.objects.exists()


def test_people_who_are_not_staff_never_reach_the_pages(client):
    from tests.membership.factories import UserFactory

    client.force_login(UserFactory())
    for page in ("import", "record"):
        response = client.get(f"/admin/ledger/journalentry/{page}/")
        assert response.status_code == 302
        assert "/login/" in response["Location"]
