"""On PostgreSQL the share register and the payment history refuse updates and deletes:
corrections are new events (a cancel, a reversal), never edits."""

from django.db import migrations

TABLES = ["membership_registerevent", "membership_sharepayment"]

FUNCTION = """
CREATE OR REPLACE FUNCTION membership_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% is append-only (%% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION membership_append_only();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS membership_append_only();")


class Migration(migrations.Migration):
    dependencies = [("membership", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
