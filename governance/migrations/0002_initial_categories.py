from django.db import migrations

CATEGORIES = [
    ("general", "General", 10, "majority", 72),
    ("bylaws", "Bylaws amendment", 30, "2/3", 14 * 24),
    ("election", "Election", 10, "majority", 7 * 24),
]


def forwards(apps, schema_editor):
    Category = apps.get_model("governance", "Category")
    for slug, name, quorum, threshold, hours in CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={
            "name": name, "min_quorum_percent": quorum, "min_threshold": threshold,
            "min_voting_hours": hours})


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
