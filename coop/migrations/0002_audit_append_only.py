"""On PostgreSQL the audit trail refuses deletes and any update but its one-time sealing."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION coop_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit records are append-only (delete refused)';
    END IF;
    IF OLD.seq IS NOT NULL
       OR NEW.id IS DISTINCT FROM OLD.id
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.action IS DISTINCT FROM OLD.action
       OR NEW.actor_id IS DISTINCT FROM OLD.actor_id
       OR NEW.actor_kind IS DISTINCT FROM OLD.actor_kind
       OR NEW.object_type IS DISTINCT FROM OLD.object_type
       OR NEW.object_id IS DISTINCT FROM OLD.object_id
       OR NEW.facts IS DISTINCT FROM OLD.facts THEN
        RAISE EXCEPTION 'audit records are append-only (only sealing is allowed)';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER coop_audit_append_only BEFORE UPDATE OR DELETE ON coop_auditrecord
    FOR EACH ROW EXECUTE FUNCTION coop_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS coop_audit_append_only ON coop_auditrecord;
DROP FUNCTION IF EXISTS coop_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("coop", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
