"""Cooperative: the name's one source is settings.COOP_NAME (the column goes), the currency is
an ISO 4217 code, fiscal_year_start a month and day every year has (MM-DD, never 02-29), the
quorum at most 100; help texts say which fields are informational."""

import django.core.validators
from django.conf import settings
from django.db import migrations, models

import coop.models

_MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
MONTH_DAYS = tuple(f"{month:02d}-{day:02d}" for month, length in enumerate(_MONTH_LENGTHS, 1)
                   for day in range(1, length + 1))


def refuse_bad_values(apps, schema_editor):
    # Stop with a message an operator can act on rather than a bare constraint error; nothing
    # is changed silently (the ledger will cut fiscal years by this date).
    Cooperative = apps.get_model('coop', 'Cooperative')
    for coop in Cooperative.objects.all():
        if coop.fiscal_year_start not in MONTH_DAYS:
            raise RuntimeError(
                f"Cooperative {coop.pk}: fiscal_year_start {coop.fiscal_year_start!r} is not a "
                "month and day MM-DD that every year has (02-29 is not allowed); correct it, "
                "then migrate again.")
        if coop.name != settings.COOP_NAME:
            raise RuntimeError(
                f"Cooperative {coop.pk} is named {coop.name!r} but COOP_NAME is "
                f"{settings.COOP_NAME!r}: the name now comes from COOP_NAME only; set it to the "
                "name you want, then migrate again.")
        if coop.quorum_percent > 100:
            raise RuntimeError(f"Cooperative {coop.pk}: quorum_percent {coop.quorum_percent} > "
                               "100; correct it, then migrate again.")


class Migration(migrations.Migration):

    dependencies = [
        ('coop', '0003_counter'),
    ]

    operations = [
        migrations.RunPython(refuse_bad_values, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='cooperative',
            name='name',
        ),
        migrations.AlterField(
            model_name='cooperative',
            name='bylaws_url',
            field=models.CharField(blank=True, help_text='Where the application form links the bylaws.', max_length=300),
        ),
        migrations.AlterField(
            model_name='cooperative',
            name='bylaws_version',
            field=models.CharField(default='2026-01', help_text='The bylaws version an applicant accepts (recorded on each application).', max_length=40),
        ),
        migrations.AlterField(
            model_name='cooperative',
            name='currency',
            field=models.CharField(default='EUR', help_text='ISO 4217 code of every amount (set from COOP_CURRENCY when the row is created; it cannot change afterwards: it would re-denominate every amount).', max_length=3, validators=[coop.models.validate_currency]),
        ),
        migrations.AlterField(
            model_name='cooperative',
            name='fiscal_year_start',
            field=models.CharField(default='01-01', help_text='MM-DD on which the fiscal year starts (02-29 is not allowed). Informational until the ledger cuts its periods by it.', max_length=5, validators=[coop.models.validate_month_day]),
        ),
        migrations.AlterField(
            model_name='cooperative',
            name='quorum_percent',
            field=models.PositiveSmallIntegerField(default=10, help_text="Informational, published by GET /api/v1/coop/: the cooperative's usual quorum. A proposal's quorum comes from its category (at least the category's minimum), not from here.", validators=[django.core.validators.MaxValueValidator(100)]),
        ),
        migrations.AddConstraint(
            model_name='cooperative',
            constraint=models.CheckConstraint(condition=models.Q(('fiscal_year_start__in', MONTH_DAYS)), name='cooperative_fiscal_year_start_month_day', violation_error_message='Enter a month and day as MM-DD.'),
        ),
        migrations.AddConstraint(
            model_name='cooperative',
            constraint=models.CheckConstraint(condition=models.Q(('quorum_percent__lte', 100)), name='cooperative_quorum_lte_100'),
        ),
    ]
