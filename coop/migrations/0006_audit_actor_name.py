"""AuditRecord.actor_name: which system job acted (coop.actors). The append-only trigger now
guards the new column too."""

from django.db import migrations, models

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
       OR NEW.actor_name IS DISTINCT FROM OLD.actor_name
       OR NEW.object_type IS DISTINCT FROM OLD.object_type
       OR NEW.object_id IS DISTINCT FROM OLD.object_id
       OR NEW.facts IS DISTINCT FROM OLD.facts THEN
        RAISE EXCEPTION 'audit records are append-only (only sealing is allowed)';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
PREVIOUS = """
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
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("coop", "0005_notice")]
    operations = [
        migrations.AddField(
            model_name="auditrecord",
            name="actor_name",
            field=models.CharField(blank=True, default="", max_length=80),
        ),
        migrations.RunPython(forwards, backwards),
    ]
