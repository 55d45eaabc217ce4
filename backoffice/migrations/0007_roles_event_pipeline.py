from django.db import migrations

from backoffice.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0006_event_pipeline"), ("moderation", "0002_reason_templates_and_roles")]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
