import os
import subprocess
import sys
from datetime import date

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from coop import csv_import
from coop.errors import InvalidInput
from coop.models import AuditRecord, Counter
from membership import importer, services
from membership.models import (
    Member,
    Redemption,
    RegisterEvent,
    ShareCertificate,
    SharePayment,
    ShareSubscription,
)
from tests.membership.factories import REGISTRAR

from .factories import StaffFactory, StakeholderClassFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

HEADER = ("member_number,name,email,kind,registration_number,contact_person,class,"
          "shares_subscribed,share_price_minor,joined_on,status,payments,certificates,exited_on,"
          "exit_reason,directory_visible,referred_by,redemption_status")
ROWS = [
    # row 2: fully paid photographer
    "1,Aino Virtanen,aino@example.org,person,,,photographers,2,,2019-03-01,active,"
    "2019-03-05:10000,1-2,,,yes,,",
    # row 3: an organisation client, two instalments, hidden, referred by member 1 (same file)
    "2,Harbour Daily BV,press@example.org,organisation,REG-1,Ana Costa,clients,4,,2019-04-01,"
    "active,2019-04-02:2500;2019-05-02:2500,3-4,,,no,1,",
    # row 4: paid for one share of four, below the buy-in of two
    "3,Bram Bakker,,person,,,photographers,4,,2020-01-10,awaiting_payment,2020-01-15:7500,5,,,,,",
    # row 5: exited, settled
    "4,Olga Nowak,olga@example.org,,,,photographers,2,,2018-01-01,exited,2018-01-02:10000,6-7,"
    "2021-06-30,Retired,,,paid",
    # row 6: numbers with gaps, as old registers have them
    '7,Late Member,late@example.org,,,,photographers,3,,2021-01-01,active,'
    '"2021-01-02:10000;2021-02-01:5000",8-9;12,,,,,',
]


def csv_text(rows=None, header=HEADER) -> str:
    return "\n".join([header, *(ROWS if rows is None else rows)]) + "\n"


@pytest.fixture(autouse=True)
def classes():
    return (StakeholderClassFactory(),  # photographers: 50.00, 2..20 shares
            StakeholderClassFactory(slug="clients", name="Clients", share_price_minor=2500,
                                    min_shares=1, max_shares=10))


def register_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Member, ShareSubscription, SharePayment, ShareCertificate, RegisterEvent, Redemption,
        AuditRecord)} | {c.name: c.last_value for c in Counter.objects.all()}


# --- a good file ----------------------------------------------------------------------------

def test_a_good_file_imports_everything_and_advances_the_counters():
    result = importer.register_import(text=csv_text(), actor=REGISTRAR)
    assert (result.members, result.payments, result.certificates) == (5, 7, 10)

    aino = Member.objects.get(member_number=1)
    assert (aino.status, aino.shares_held, aino.paid_minor) == ("active", 2, 10000)
    assert aino.activated_on == date(2019, 3, 5)
    assert aino.subscription.share_price_minor == 5000

    harbour = Member.objects.get(member_number=2)
    assert harbour.kind == "organisation" and harbour.contact_person == "Ana Costa"
    assert harbour.referred_by == aino and not harbour.directory_visible
    # each share is issued by the payment that completed it
    assert list(harbour.certificates.values_list("certificate_number", "issued_on")) == [
        (3, date(2019, 4, 2)), (4, date(2019, 5, 2))]

    bram = Member.objects.get(member_number=3)
    assert (bram.status, bram.shares_held, bram.activated_on) == ("awaiting_payment", 1, None)

    olga = Member.objects.get(member_number=4)
    assert (olga.status, olga.shares_held, olga.exited_on) == ("exited", 0, date(2021, 6, 30))
    assert set(olga.certificates.values_list("status", flat=True)) == {"redeemed"}
    assert olga.redemption.amount_minor == 10000 and olga.redemption.status == "paid"
    assert list(RegisterEvent.objects.filter(member=olga).values_list("kind", flat=True)
                .order_by("pk")) == ["issue", "issue", "redeem", "redeem"]

    late = Member.objects.get(member_number=7)
    assert list(late.certificates.values_list("certificate_number", flat=True)) == [8, 9, 12]

    assert AuditRecord.objects.filter(action="member.imported").count() == 5
    assert AuditRecord.objects.filter(action="register.imported").count() == 1
    # then new numbers continue after the imported ones
    assert Counter.objects.get(name="member_number").last_value == 7
    assert Counter.objects.get(name="certificate_number").last_value == 12
    user = UserFactory()
    application = services.application_submit(
        stakeholder_class=aino.stakeholder_class, shares=2, name="New", email=user.email,
        user=user)
    newcomer = services.application_approve(actor=REGISTRAR, application=application)
    assert newcomer.member_number == 8
    services.share_payment_record(actor=REGISTRAR,
                                  member=newcomer, amount_minor=10000, paid_on=date.today())
    assert list(newcomer.certificates.values_list("certificate_number", flat=True)) == [13, 14]
    # and an imported member can keep paying
    services.share_payment_record(actor=REGISTRAR,
                                  member=bram, amount_minor=2500, paid_on=date.today())
    bram.refresh_from_db()
    assert (bram.status, bram.shares_held) == ("active", 2)


def test_semicolon_file_with_a_byte_order_mark():
    text = ("\ufeffmember_number;name;class;shares_subscribed;joined_on;status;payments;"
            "certificates\n"
            '1;Aino;photographers;2;2019-03-01;active;"2019-03-05:5000;2019-04-05:5000";1-2\n')
    preview = importer.validate(csv_import.decode(text.encode("utf-8")))
    assert preview.ok, preview.error_lines()
    assert [c.number for c in preview.rows[0].certificates] == [1, 2]


def test_free_shares_are_issued_on_joining():
    StakeholderClassFactory(slug="friends", name="Friends", share_price_minor=0, min_shares=1,
                            max_shares=1)
    text = ("member_number,name,class,shares_subscribed,joined_on,status,certificates\n"
            "1,Free Friend,friends,1,2020-02-02,active,1\n")
    importer.register_import(text=text, actor=REGISTRAR)
    member = Member.objects.get(member_number=1)
    assert member.activated_on == date(2020, 2, 2)
    assert member.certificates.get().issued_on == date(2020, 2, 2)


# --- bad input: nothing changes -------------------------------------------------------------

def test_one_bad_row_imports_nothing_and_names_the_row():
    before = register_counts()
    rows = list(ROWS)
    rows[2] = rows[2].replace(",4,,2020-01-10,", ",99,,2020-01-10,")  # row 4: too many shares
    with pytest.raises(InvalidInput) as caught:
        importer.register_import(text=csv_text(rows), actor=REGISTRAR)
    assert list(caught.value.errors) == ["row 4"]
    assert "shares_subscribed" in caught.value.errors["row 4"][0]
    assert register_counts() == before


@pytest.mark.parametrize(("row", "column", "message"), [
    ("1,A,painters,2,,2019-03-01,active,2019-03-05:10000,1-2", "class", "No stakeholder class"),
    ("0,A,photographers,2,,2019-03-01,active,2019-03-05:10000,1-2", "member_number",
     "at least 1"),
    ("1,A,photographers,2,,2019-13-01,active,2019-03-05:10000,1-2", "joined_on", "YYYY-MM-DD"),
    ("1,A,photographers,2,,2099-01-01,active,2019-03-05:10000,1-2", "joined_on", "future"),
    ("1,A,photographers,2,,2019-03-01,active,2019-03-05:0,1-2", "payments", "greater than zero"),
    ("1,A,photographers,2,,2019-03-01,active,2019-03-05:12.50,1-2", "payments", "whole number"),
    ("1,A,photographers,2,,2019-03-01,active,2019-03-05:10000,1-3", "certificates",
     "pay for 2 share"),
    ("1,A,photographers,2,,2019-03-01,active,2019-03-05:20000,1-2", "payments", "more than"),
    ("1,A,photographers,2,,2019-03-01,awaiting_payment,2019-03-05:10000,1-2", "status",
     "is active"),
    ("1,A,photographers,2,,2019-03-01,active,2019-03-05:5000,1", "status", "Active needs"),
    ("1,A,photographers,2,,2019-03-01,exited,2019-03-05:10000,1-2", "exited_on", "Required"),
    ("1,A,photographers,2,,2019-03-01,expelled,2019-03-05:10000,1-2", "status", "not one of"),
    ("1,A,photographers,2,-5,2019-03-01,active,2019-03-05:10000,1-2", "share_price_minor",
     "at least 0"),
])
def test_row_errors_are_reported_by_row_and_column(row, column, message):
    header = ("member_number,name,class,shares_subscribed,share_price_minor,joined_on,status,"
              "payments,certificates")
    preview = importer.validate(f"{header}\n{row}\n")
    assert not preview.ok
    (bad,) = preview.error_rows
    assert bad.row == 2
    assert column in bad.errors, bad.errors
    assert any(message in m for m in bad.errors[column]), bad.errors


def test_duplicates_within_the_file_and_against_the_register():
    existing = make_member(stakeholder_class=StakeholderClassFactory(), paid=True)  # no. 1, 1-2
    header = "member_number,name,class,shares_subscribed,joined_on,status,payments,certificates"
    rows = [
        f"{existing.member_number},Taken,photographers,2,2019-01-01,active,2019-01-02:10000,5-6",
        "5,First,photographers,2,2019-01-01,active,2019-01-02:10000,2;7",
        "5,Second,photographers,2,2019-01-01,active,2019-01-02:10000,7-8",
    ]
    preview = importer.validate("\n".join([header, *rows]))
    errors = {r.row: r.errors for r in preview.error_rows}
    assert "already in the register" in errors[2]["member_number"][0]
    assert "Already in the register: 2" in errors[3]["certificates"][0]
    assert "Also on row 3" in errors[4]["member_number"][0]
    assert "Certificate 7 is also on row 3" in errors[4]["certificates"][0]


def test_file_level_errors():
    assert "Missing column(s): status" in importer.validate(
        "member_number,name,class,shares_subscribed,joined_on\n1,A,photographers,2,2019-01-01\n"
    ).file_errors[0]
    assert "Unknown column(s): colour" in " ".join(importer.validate(
        csv_text(header=HEADER + ",colour")).file_errors)
    assert importer.validate("").file_errors == ["The file is empty."]
    assert not importer.validate(HEADER + "\n").ok
    with pytest.raises(InvalidInput):
        csv_import.decode("name\nJosé".encode("latin-1"))


def test_referrer_must_exist():
    rows = [ROWS[0].replace(",yes,,", ",yes,42,")]
    preview = importer.validate(csv_text(rows))
    assert "No member 42" in preview.rows[0].errors["referred_by"][0]


# --- the management command -----------------------------------------------------------------

@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(csv_text(), encoding="utf-8")
    return path


@pytest.fixture
def bad_file(tmp_path):
    rows = list(ROWS)
    rows[1] = rows[1].replace("2019-05-02:2500", "2019-05-02:zero")
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


def test_command_dry_run_writes_nothing(good_file, capsys):
    before = register_counts()
    call_command("import_register", str(good_file), "--dry-run")
    assert "5 member(s)" in capsys.readouterr().out
    assert register_counts() == before


def test_command_imports(good_file, capsys):
    call_command("import_register", str(good_file))
    assert "Imported 5 member(s)" in capsys.readouterr().out
    assert Member.objects.count() == 5
    # The audit trail names the command that acted (coop.actors).
    record = AuditRecord.objects.get(action="register.imported")
    assert (record.actor_kind, record.actor_name) == ("system", "membership.import_register")


def test_command_reports_rows_and_exits_non_zero(bad_file, capsys):
    before = register_counts()
    with pytest.raises(CommandError) as caught:
        call_command("import_register", str(bad_file))
    # manage.py exits with the CommandError's return code
    assert caught.value.returncode == 1
    assert "nothing was imported" in str(caught.value)
    assert "row 3, payments: 'zero' is not a whole number of cents." in capsys.readouterr().err
    assert register_counts() == before
    with pytest.raises(CommandError):
        call_command("import_register", str(bad_file), "--dry-run")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_register", str(bad_file.parent / "missing.csv"))


def test_command_exit_code_in_a_real_process(tmp_path):
    # A file whose layout is wrong is refused before any database work, so a separate
    # process can run without the test database.
    path = tmp_path / "wrong.csv"
    path.write_text("surname,shares\nNowak,2\n", encoding="utf-8")
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "manage.py", "import_register", str(path)],
                          cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert "file: Missing column(s): member_number" in done.stderr
    assert "nothing was imported" in done.stderr


# --- the admin page -------------------------------------------------------------------------

def test_admin_upload_preview_confirm(client):
    client.force_login(StaffFactory())
    url = reverse("admin:membership_member_import")
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("register.csv", csv_text().encode(), content_type="text/csv")
    preview = client.post(url, {"file": upload})
    assert preview.status_code == 200
    assert preview.context["preview"].ok
    assert b"Import 5 members" in preview.content
    assert not Member.objects.exists()  # the preview writes nothing
    done = client.post(url, {"confirm": "yes", "text": preview.context["text"]}, follow=True)
    assert done.status_code == 200
    assert Member.objects.count() == 5
    assert Counter.objects.get(name="member_number").last_value == 7


def test_admin_preview_highlights_errors_and_cannot_import(client):
    client.force_login(StaffFactory())
    url = reverse("admin:membership_member_import")
    rows = list(ROWS)
    rows[0] = rows[0].replace("photographers", "painters")
    upload = SimpleUploadedFile("register.csv", csv_text(rows).encode(), content_type="text/csv")
    preview = client.post(url, {"file": upload})
    assert preview.status_code == 200
    content = preview.content.decode()
    assert "<mark>painters</mark>" in content
    assert "No stakeholder class" in content
    assert 'name="confirm"' not in content
    # a forged confirmation of the bad text is refused too
    forged = client.post(url, {"confirm": "yes", "text": csv_text(rows)})
    assert forged.status_code == 200
    assert not Member.objects.exists()


# --- payment dates: not before the member joined (as share_payment_record) ------------------

def test_a_payment_before_joining_is_an_error_of_its_row_and_nothing_is_imported():
    before = register_counts()
    rows = list(ROWS)
    # row 3: the second instalment is fine, the first predates joining (2019-04-01)
    rows[1] = rows[1].replace("2019-04-02:2500", "2019-03-31:2500")
    preview = importer.validate(csv_text(rows))
    assert [r.row for r in preview.error_rows] == [3]
    assert preview.error_rows[0].errors == {
        "payments": ["2019-03-31 is before the member joined (2019-04-01)."]}
    assert "row 3, payments: 2019-03-31 is before the member joined (2019-04-01)." in (
        preview.error_lines())
    with pytest.raises(InvalidInput) as caught:
        importer.register_import(text=csv_text(rows), actor=REGISTRAR)
    assert list(caught.value.errors) == ["row 3"]
    assert register_counts() == before


def test_a_payment_on_the_joining_day_is_accepted():
    rows = [ROWS[0].replace("2019-03-05:10000", "2019-03-01:10000")]  # joined 2019-03-01
    importer.register_import(text=csv_text(rows), actor=REGISTRAR)
    aino = Member.objects.get(member_number=1)
    assert aino.activated_on == aino.joined_on == date(2019, 3, 1)
    assert set(aino.certificates.values_list("issued_on", flat=True)) == {date(2019, 3, 1)}


def test_admin_preview_shows_a_payment_before_joining_on_its_row(client):
    client.force_login(StaffFactory())
    rows = list(ROWS)
    rows[3] = rows[3].replace("2018-01-02:10000", "2017-12-31:10000")  # row 5, joined 2018
    upload = SimpleUploadedFile("register.csv", csv_text(rows).encode(), content_type="text/csv")
    preview = client.post(reverse("admin:membership_member_import"), {"file": upload})
    content = preview.content.decode()
    assert [r.row for r in preview.context["preview"].error_rows] == [5]
    assert "<mark>2017-12-31:10000</mark>" in content
    assert "2017-12-31 is before the member joined (2018-01-01)." in content
    assert 'name="confirm"' not in content
    assert not Member.objects.exists()


# --- redemption status of exited members ----------------------------------------------------

EXITED_HEADER = ("member_number,name,class,shares_subscribed,joined_on,status,payments,"
                 "certificates,exited_on,redemption_status")


def exited_row(redemption_status: str) -> str:
    """An exited member with 10000 of capital to redeem."""
    return (f"4,Olga Nowak,photographers,2,2018-01-01,exited,2018-01-02:10000,1-2,2021-06-30,"
            f"{redemption_status}")


def test_a_blank_redemption_status_takes_the_documented_default_paid():
    # docs/import-format.md: "default `paid`: an old exit is assumed settled; say `requested`
    # if the capital is still owed". Changing this default is a change of the format.
    importer.register_import(text=f"{EXITED_HEADER}\n{exited_row('')}\n", actor=REGISTRAR)
    redemption = Member.objects.get(member_number=4).redemption
    assert (redemption.amount_minor, redemption.status) == (10000, Redemption.Status.PAID)


@pytest.mark.parametrize("status", ["requested", "payable", "paid"])
def test_a_stated_redemption_status_is_kept_with_the_capital_paid(status):
    importer.register_import(text=f"{EXITED_HEADER}\n{exited_row(status)}\n", actor=REGISTRAR)
    redemption = Member.objects.get(member_number=4).redemption
    assert (redemption.amount_minor, redemption.status) == (10000, status)
    assert redemption.requested_on == date(2021, 6, 30)


# A valid exited member whose capital is still owed, on row 2 before the row under test.
ROWS_OK_EXITED = ("1,Aino Virtanen,photographers,2,2019-03-01,exited,2019-03-05:10000,5-6,"
                  "2022-01-31,requested")


@pytest.mark.parametrize(("row", "message"), [
    (exited_row("owed"), "'owed' is not one of: requested, payable, paid."),
    ("4,Olga Nowak,photographers,2,2018-01-01,active,2018-01-02:10000,1-2,,requested",
     "Only an exited member has a redemption."),
])
def test_a_wrong_redemption_status_is_an_error_of_its_row_and_nothing_is_imported(row, message):
    before = register_counts()
    text = f"{EXITED_HEADER}\n{ROWS_OK_EXITED}\n{row}\n"
    preview = importer.validate(text)
    assert [r.row for r in preview.error_rows] == [3]
    assert preview.error_rows[0].errors == {"redemption_status": [message]}
    with pytest.raises(InvalidInput) as caught:
        importer.register_import(text=text, actor=REGISTRAR)
    assert caught.value.errors == {"row 3": [f"redemption_status: {message}"]}
    assert register_counts() == before



@pytest.mark.parametrize(("written", "stored"), [
    ("Requested", "requested"), ("PAYABLE", "payable"), ("Paid", "paid"), (" pAiD ", "paid")])
def test_redemption_status_is_read_in_any_case_like_status_and_kind(written, stored):
    row = (f"4,Olga Nowak,photographers,2,2018-01-01,Exited,2018-01-02:10000,1-2,2021-06-30,"
           f'"{written}"')
    text = f"{EXITED_HEADER}\n{row}\n"
    preview = importer.validate(text)
    assert preview.ok, preview.error_lines()
    importer.register_import(text=text, actor=REGISTRAR)
    olga = Member.objects.get(member_number=4)
    assert (olga.status, olga.redemption.status) == ("exited", stored)


# --- payment dates: not after an exited member's exit ---------------------------------------

def test_a_payment_after_the_exit_is_an_error_of_its_row_and_nothing_is_imported():
    before = register_counts()
    rows = list(ROWS)
    # row 5: Olga exited on 2021-06-30; the second half of her capital comes in a day later
    rows[3] = rows[3].replace("2018-01-02:10000", '"2018-01-02:5000;2021-07-01:5000"')
    preview = importer.validate(csv_text(rows))
    assert [r.row for r in preview.error_rows] == [5]
    assert preview.error_rows[0].errors == {
        "payments": ["2021-07-01 is after the member exited (2021-06-30)."]}
    assert "row 5, payments: 2021-07-01 is after the member exited (2021-06-30)." in (
        preview.error_lines())
    with pytest.raises(InvalidInput) as caught:
        importer.register_import(text=csv_text(rows), actor=REGISTRAR)
    assert caught.value.errors == {
        "row 5": ["payments: 2021-07-01 is after the member exited (2021-06-30)."]}
    assert register_counts() == before


def test_a_payment_on_the_exit_day_is_accepted():
    rows = [ROWS[3].replace("2018-01-02:10000", '"2018-01-02:5000;2021-06-30:5000"')]
    importer.register_import(text=csv_text(rows), actor=REGISTRAR)
    olga = Member.objects.get(member_number=4)
    assert olga.exited_on == date(2021, 6, 30)
    assert list(RegisterEvent.objects.filter(member=olga).order_by("pk")
                .values_list("kind", "event_date")) == [
        ("issue", date(2018, 1, 2)), ("issue", date(2021, 6, 30)),
        ("redeem", date(2021, 6, 30)), ("redeem", date(2021, 6, 30))]
    assert olga.redemption.amount_minor == 10000


def test_admin_preview_shows_a_payment_after_the_exit_on_its_row(client):
    client.force_login(StaffFactory())
    rows = list(ROWS)
    rows[3] = rows[3].replace("2018-01-02:10000", "2021-07-01:10000")  # row 5, exited 2021-06-30
    upload = SimpleUploadedFile("register.csv", csv_text(rows).encode(), content_type="text/csv")
    preview = client.post(reverse("admin:membership_member_import"), {"file": upload})
    content = preview.content.decode()
    assert [r.row for r in preview.context["preview"].error_rows] == [5]
    assert '<tr class="row-error">\n        <th scope="row">5</th>' in content
    assert content.count('<tr class="row-error">') == 1
    assert "<mark>2021-07-01:10000</mark>" in content
    assert "2021-07-01 is after the member exited (2021-06-30)." in content
    assert 'name="confirm"' not in content
    assert not Member.objects.exists()
