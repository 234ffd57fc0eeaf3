"""Counter moves to coop: every row (name, last value) is copied into coop_counter, then the
membership table is dropped. Reversible: going back copies the rows the other way."""

from django.db import migrations


def copy_rows(source_model, target_model):
    target_model.objects.bulk_create(
        [target_model(name=c.name, last_value=c.last_value) for c in source_model.objects.all()]
    )


def to_coop(apps, schema_editor):
    copy_rows(apps.get_model('membership', 'Counter'), apps.get_model('coop', 'Counter'))


def back_to_membership(apps, schema_editor):
    target = apps.get_model('membership', 'Counter')
    source = apps.get_model('coop', 'Counter')
    copy_rows(source, target)
    source.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('membership', '0002_register_append_only'),
        ('coop', '0003_counter'),
    ]

    operations = [
        migrations.RunPython(to_coop, back_to_membership),
        migrations.DeleteModel(
            name='Counter',
        ),
    ]
