"""On PostgreSQL, reject UPDATE and DELETE on the audit log from any client, not only from Django."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION backoffice_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'backoffice_auditlog is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER backoffice_auditlog_append_only
    BEFORE UPDATE OR DELETE ON backoffice_auditlog
    FOR EACH ROW EXECUTE FUNCTION backoffice_auditlog_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS backoffice_auditlog_append_only ON backoffice_auditlog;
DROP FUNCTION IF EXISTS backoffice_auditlog_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0001_initial")]
    operations = [migrations.RunPython(create_trigger, drop_trigger)]
