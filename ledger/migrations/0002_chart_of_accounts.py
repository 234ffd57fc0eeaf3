"""Seed the chart of accounts of RULES.md §3 (ledger/accounts.py names each code)."""

from django.db import migrations

# Frozen here: a later change of ledger/accounts.py must not change what this migration did.
CHART = [
    ("1000", "Bank", "asset"),
    ("2100", "Dividends payable", "liability"),
    ("2200", "Redemptions payable", "liability"),
    ("3000", "Member share capital", "equity"),
    ("3100", "Member capital accounts (retained patronage)", "equity"),
    ("3200", "Indivisible reserve", "equity"),
    ("3300", "Commons fund", "equity"),
    ("3900", "Unallocated surplus", "equity"),
    ("4000", "Revenue", "income"),
    ("5000", "Operating expenses", "expense"),
    ("5100", "Governance expenses", "expense"),
]


def seed(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for code, name, type_ in CHART:
        Account.objects.update_or_create(code=code, defaults={"name": name, "type": type_})


def unseed(apps, schema_editor):
    apps.get_model("ledger", "Account").objects.filter(
        code__in=[code for code, _, _ in CHART], lines__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_books")]
    operations = [migrations.RunPython(seed, unseed)]
