"""The audit trail: records written in the service's transaction, sealed into a hash chain later,
verified by `manage.py verify_audit`; on PostgreSQL an append-only trigger guards sealed rows."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from coop.audit import audit_record, audit_seal, audit_verify
from coop.models import AuditRecord

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def records(n, start=0):
    return [audit_record(action="test.event", object_type="thing", object_id=start + i,
                         facts={"i": start + i, "amount_minor": 100 * i})
            for i in range(n)]


def tamper(sql, params=()):
    """Change rows the way someone with direct database access would, around the trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Replica mode skips ordinary triggers (it needs a superuser, as a DBA is); LOCAL
            # keeps it to the test's transaction.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute(sql, params)


def verify_command(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


# --- sealing ------------------------------------------------------------------------------

def test_seal_chains_records_in_id_order():
    rows = records(5)
    assert audit_seal() == 5
    sealed = list(AuditRecord.objects.order_by("seq"))
    assert [r.pk for r in sealed] == [r.pk for r in rows]
    assert [r.seq for r in sealed] == [1, 2, 3, 4, 5]
    prev = ""
    for row in sealed:
        assert row.prev_hash == prev
        assert row.hash == row.compute_hash(prev, row.seq)
        assert len(row.hash) == 64
        prev = row.hash


def test_sealing_again_changes_nothing_and_new_records_continue_the_chain():
    records(3)
    audit_seal()
    before = list(AuditRecord.objects.order_by("seq").values_list("seq", "hash"))
    assert audit_seal() == 0
    assert list(AuditRecord.objects.order_by("seq").values_list("seq", "hash")) == before
    (late,) = records(1, start=10)
    assert audit_seal() == 1
    late.refresh_from_db()
    assert late.seq == 4
    assert late.prev_hash == before[-1][1]


def test_seal_works_in_batches():
    records(7)
    assert audit_seal(batch_size=3) == 7
    assert list(AuditRecord.objects.order_by("pk").values_list("seq", flat=True)) == list(
        range(1, 8))
    assert audit_verify().ok


def test_the_hash_covers_the_facts():
    (row,) = records(1)
    audit_seal()
    row.refresh_from_db()
    original = row.hash
    row.facts = {"i": 0, "amount_minor": 1}
    assert row.compute_hash(row.prev_hash, row.seq) != original


# --- verification -------------------------------------------------------------------------

def test_verify_audit_passes_on_an_intact_chain_and_seals_pending_records():
    records(4)
    output = verify_command()
    assert "Audit chain intact: 4 records verified, 0 unsealed" in output
    records(2, start=4)
    assert "4 records verified, 2 unsealed" in verify_command("--no-seal")
    assert audit_verify().ok


def test_verify_on_an_empty_trail_passes():
    assert "0 records verified" in verify_command()


@pytest.mark.skipif(settings.IS_POSTGRES, reason="the PostgreSQL variant is below")
def test_verify_detects_a_row_altered_in_sqlite_and_names_the_first_broken_link():
    rows = records(6)
    audit_seal()
    tamper("UPDATE coop_auditrecord SET facts = %s WHERE id = %s",
           ['{"i": 2, "amount_minor": 999999}', rows[2].pk])
    tamper("UPDATE coop_auditrecord SET action = 'forged' WHERE id = %s", [rows[4].pk])
    result = audit_verify()
    assert not result.ok
    assert (result.broken_seq, result.broken_id) == (3, rows[2].pk)
    assert "altered" in result.reason
    assert result.checked == 2
    with pytest.raises(CommandError) as exc:
        verify_command()
    assert f"seq 3 (record id {rows[2].pk})" in str(exc.value)
    assert exc.value.returncode == 1  # what `manage.py verify_audit` exits with


@pytest.mark.postgres
def test_verify_detects_a_row_altered_by_a_dba_on_postgresql():
    rows = records(6)
    audit_seal()
    tamper("UPDATE coop_auditrecord SET facts = %s::jsonb WHERE id = %s",
           ['{"i": 2, "amount_minor": 999999}', rows[2].pk])
    tamper("UPDATE coop_auditrecord SET action = 'forged' WHERE id = %s", [rows[4].pk])
    result = audit_verify()
    assert (result.ok, result.broken_seq, result.broken_id) == (False, 3, rows[2].pk)
    assert "altered" in result.reason
    with pytest.raises(CommandError) as exc:
        verify_command("--no-seal")
    assert f"seq 3 (record id {rows[2].pk})" in str(exc.value)
    assert exc.value.returncode == 1


def test_verify_detects_a_row_whose_hash_was_recomputed_at_the_next_link():
    rows = records(4)
    audit_seal()
    # A careful forger also recomputes the altered row's own hash: the next row's link breaks.
    forged = AuditRecord.objects.get(pk=rows[1].pk)
    forged.facts = {"i": 1, "amount_minor": 0}
    new_hash = forged.compute_hash(forged.prev_hash, forged.seq)
    tamper("UPDATE coop_auditrecord SET facts = %s, hash = %s WHERE id = %s",
           ['{"i": 1, "amount_minor": 0}', new_hash, rows[1].pk])
    result = audit_verify()
    assert (result.ok, result.broken_seq, result.broken_id) == (False, 3, rows[2].pk)
    assert "previous-hash" in result.reason


def test_verify_detects_a_deleted_row():
    rows = records(4)
    audit_seal()
    tamper("DELETE FROM coop_auditrecord WHERE id = %s", [rows[1].pk])
    result = audit_verify()
    assert (result.ok, result.broken_seq, result.broken_id) == (False, 3, rows[2].pk)
    assert "gap" in result.reason


# --- the append-only trigger (PostgreSQL) -------------------------------------------------

@pytest.mark.postgres
def test_the_trigger_refuses_to_update_or_delete_a_sealed_row():
    (row,) = records(1)
    audit_seal()
    for change in (
        lambda: AuditRecord.objects.filter(pk=row.pk).update(action="forged"),
        lambda: AuditRecord.objects.filter(pk=row.pk).update(facts={"i": 1}),
        lambda: AuditRecord.objects.filter(pk=row.pk).update(seq=99, hash="0" * 64),
        lambda: AuditRecord.objects.filter(pk=row.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    row.refresh_from_db()
    assert (row.action, row.seq) == ("test.event", 1)
    assert audit_verify().ok


@pytest.mark.postgres
def test_the_trigger_allows_sealing_but_no_other_change_of_an_unsealed_row():
    (row,) = records(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditRecord.objects.filter(pk=row.pk).update(facts={"forged": True})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditRecord.objects.filter(pk=row.pk).delete()
    assert audit_seal() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_manage_py_verify_audit_exits_non_zero_on_a_broken_chain():
    rows = records(3)
    audit_seal()
    env = os.environ | {"DATABASE_URL": _url_of_test_database()}
    ok = subprocess.run([sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "3 records verified" in ok.stdout
    with transaction.atomic():
        tamper("UPDATE coop_auditrecord SET object_id = 'x' WHERE id = %s", [rows[1].pk])
    broken = subprocess.run([sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert broken.returncode == 1
    assert f"seq 2 (record id {rows[1].pk})" in broken.stderr


def _url_of_test_database() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sealing_never_gives_two_rows_the_same_seq():
    records(300)
    errors = []
    barrier = threading.Barrier(4)

    def seal():
        try:
            barrier.wait(timeout=10)
            for _ in range(3):
                audit_seal(batch_size=40)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def write():
        try:
            barrier.wait(timeout=10)
            for i in range(60):
                audit_record(action="test.late", object_type="thing", object_id=1000 + i)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=seal) for _ in range(3)] + [threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    audit_seal()
    seqs = sorted(AuditRecord.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, 361))
    result = audit_verify()
    assert result.ok, result.reason
    assert result.checked == 360
