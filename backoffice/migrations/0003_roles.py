"""Create the staff role groups with their least-privilege permissions (spec: backoffice/roles.py)."""

from django.db import migrations

from backoffice.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0002_auditlog_append_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("jobs", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("django_celery_results", "0014_alter_taskresult_status"),
    ]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
