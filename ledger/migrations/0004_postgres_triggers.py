"""On PostgreSQL the database itself keeps the books balanced and append-only (RULES.md §3),
whatever writes to it: the services check too, so SQLite holds by the services alone.

- `ledger_entry_balanced`: a constraint trigger, deferred to the commit, on every inserted
  entry and line: the entry has at least two lines and its debits equal its credits. Fired per
  line, it sums the entry only for the entry's last line (the (entry, id) index finds it), so
  an entry of 100,000 lines is summed once, not 100,000 times.
- `ledger_append_only`: refuses any update or delete of an entry or a line.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    the_entry bigint;
    n bigint;
    debits numeric;
    credits numeric;
BEGIN
    IF TG_TABLE_NAME = 'ledger_journalline' THEN
        the_entry := NEW.entry_id;
        -- Only the entry's last line checks the whole entry (every line fires this trigger).
        IF NEW.id <> (SELECT max(id) FROM ledger_journalline WHERE entry_id = the_entry) THEN
            RETURN NULL;
        END IF;
    ELSE
        the_entry := NEW.id;
    END IF;
    SELECT count(*), coalesce(sum(debit_minor), 0), coalesce(sum(credit_minor), 0)
        INTO n, debits, credits FROM ledger_journalline WHERE entry_id = the_entry;
    IF n < 2 OR debits <> credits THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: % line(s), debits %, credits %',
            the_entry, n, debits, credits USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_journalentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
CREATE CONSTRAINT TRIGGER ledger_line_balanced AFTER INSERT ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();

CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only: % on % refused (post a reversing entry)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_line_append_only BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS ledger_line_append_only ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_append_only();
DROP TRIGGER IF EXISTS ledger_line_balanced ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_check_entry_balanced();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_line_entry_index")]
    operations = [migrations.RunPython(forwards, backwards)]
