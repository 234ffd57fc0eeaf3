"""The balance trigger (0004) checks an entry once per firing, not once per line.

0004 found the entry's last line with max(id) for every line: an index probe per line, 4 s of a
100,000-line entry's commit. Now the first line of an entry to fire sums the whole entry and
remembers, for the rest of the transaction, the entry and the highest line id it summed
(`ledger.checked`, a transaction-local setting); a later line of that entry with an id not above
it was in that sum and is skipped. A line added afterwards (a higher id) is checked again."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    the_entry bigint;
    n bigint;
    debits numeric;
    credits numeric;
    last_id bigint;
    checked text[];
BEGIN
    IF TG_TABLE_NAME = 'ledger_journalline' THEN
        the_entry := NEW.entry_id;
        checked := string_to_array(coalesce(current_setting('ledger.checked', true), ''), ':');
        IF array_length(checked, 1) = 2 AND checked[1]::bigint = the_entry
                AND NEW.id <= checked[2]::bigint THEN
            RETURN NULL;
        END IF;
    ELSE
        the_entry := NEW.id;
    END IF;
    SELECT count(*), coalesce(sum(debit_minor), 0), coalesce(sum(credit_minor), 0),
           coalesce(max(id), 0)
        INTO n, debits, credits, last_id FROM ledger_journalline WHERE entry_id = the_entry;
    IF n < 2 OR debits <> credits THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: % line(s), debits %, credits %',
            the_entry, n, debits, credits USING ERRCODE = 'check_violation';
    END IF;
    PERFORM set_config('ledger.checked', the_entry || ':' || last_id, true);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
# 0004's version, put back when this migration is unapplied.
PREVIOUS = """
CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    the_entry bigint;
    n bigint;
    debits numeric;
    credits numeric;
BEGIN
    IF TG_TABLE_NAME = 'ledger_journalline' THEN
        the_entry := NEW.entry_id;
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
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_post_register_history")]
    operations = [migrations.RunPython(forwards, backwards)]
