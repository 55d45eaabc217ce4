"""The legal hourly minimum wage (최저임금위원회 고시) for the years the marketplace has postings in."""

from django.db import migrations

ROWS = [
    (2024, 9_860, "최저임금위원회 의결 (2023-07), 고용노동부 고시"),
    (2025, 10_030, "최저임금위원회 의결 (2024-07), 고용노동부 고시"),
    (2026, 10_320, "최저임금위원회 의결 (2025-07), 고용노동부 고시"),
]


def seed(apps, schema_editor):
    MinimumWage = apps.get_model("jobs", "MinimumWage")
    for year, amount, source in ROWS:
        MinimumWage.objects.update_or_create(year=year, defaults={"hourly_amount": amount, "source": source})


def unseed(apps, schema_editor):
    apps.get_model("jobs", "MinimumWage").objects.filter(year__in=[row[0] for row in ROWS]).delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
