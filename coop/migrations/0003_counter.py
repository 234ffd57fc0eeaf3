"""The gap-free counters move down from membership to coop (the ledger numbers journal entries
with them too). This creates the table; membership's 0003_counter_moves_to_coop copies every
row into it and drops the old one."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('coop', '0002_audit_append_only'),
    ]

    operations = [
        migrations.CreateModel(
            name='Counter',
            fields=[
                ('name', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('last_value', models.PositiveBigIntegerField(default=0)),
            ],
        ),
    ]
