"""On PostgreSQL the database itself refuses an unbalanced entry (a deferred constraint trigger,
checked at commit) and any update or delete of a posted entry or line (RULES.md §3)."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledger import accounts
from ledger.models import Account, JournalEntry, JournalLine
from tests.ledger.factories import post

pytestmark = pytest.mark.postgres


def raw_entry(cursor, number: int, lines: list[tuple[str, int, int]]) -> int:
    cursor.execute(
        "INSERT INTO ledger_journalentry (number, date, description, kind, idempotency_key,"
        " payload_hash, created_at) VALUES (%s, '2025-03-01', 'raw', '', %s, '', now())"
        " RETURNING id", [number, f"raw:{number}"])
    entry_id = cursor.fetchone()[0]
    for code, debit, credit in lines:
        cursor.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, debit_minor, credit_minor)"
            " SELECT %s, id, %s, %s FROM ledger_account WHERE code = %s",
            [entry_id, debit, credit, code])
    return entry_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lines", [
    [(accounts.BANK, 100, 0), (accounts.REVENUE, 0, 99)],
    [(accounts.BANK, 100, 0)],
    [],
])
def test_the_database_refuses_to_commit_an_unbalanced_entry(lines):
    post(5)  # the chart exists even after an earlier test emptied the tables
    with (pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic(),
          connection.cursor() as cursor):
        raw_entry(cursor, 1000, lines)
    assert not JournalEntry.objects.filter(number=1000).exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_accepts_a_balanced_raw_entry_and_checks_every_line_added_later():
    post(5)
    with transaction.atomic(), connection.cursor() as cursor:
        entry_id = raw_entry(cursor, 1000, [(accounts.BANK, 100, 0), (accounts.REVENUE, 0, 60),
                                            (accounts.REVENUE, 0, 40)])
    assert JournalLine.objects.filter(entry_id=entry_id).count() == 3
    # A line slipped into the committed entry later unbalances it: refused too.
    bank = Account.objects.get(code=accounts.BANK).pk
    with (pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, debit_minor, credit_minor)"
            " VALUES (%s, %s, 1, 0)", [entry_id, bank])
    assert JournalLine.objects.filter(entry_id=entry_id).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("sql", [
    "UPDATE ledger_journalline SET debit_minor = debit_minor + 1 WHERE entry_id = %s",
    "DELETE FROM ledger_journalline WHERE entry_id = %s",
    "UPDATE ledger_journalentry SET description = 'forged' WHERE id = %s",
    "DELETE FROM ledger_journalentry WHERE id = %s",
])
def test_the_database_refuses_to_update_or_delete_a_posted_entry_or_line(sql):
    entry = post(250)
    with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.description == "Test entry"
    assert sorted(entry.lines.values_list("debit_minor", "credit_minor")) == [(0, 250), (250, 0)]


@pytest.mark.django_db
def test_the_orm_cannot_change_a_line_either():
    entry = post(250)
    line = entry.lines.first()
    line.debit_minor += 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        line.save()
