from django.db import migrations

from backoffice.roles import sync_role_permissions


class Migration(migrations.Migration):
    """Grant ``reports.view_reports`` to the roles that read the report pages."""

    dependencies = [
        ("reports", "0001_rollups"),
        ("moderation", "0005_default_rules"),
        ("backoffice", "0010_api_token_expiry"),
    ]

    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
