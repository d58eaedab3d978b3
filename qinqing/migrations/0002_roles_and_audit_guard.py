"""The five role groups, and database triggers that make the audit log append-only.

PostgreSQL refuses UPDATE and DELETE on the audit table (TRUNCATE, a privileged maintenance
operation, stays possible for the test suite's flush). SQLite refuses UPDATE; its DELETE stays
open because Django's test flush deletes row by row there, and the model and queryset refuse it.
"""

from django.db import migrations

ROLES = ["specialist", "window", "department", "office", "admin"]

PG_FORWARD = """
CREATE OR REPLACE FUNCTION qinqing_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计日志不可修改或删除 (audit log is append-only)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER qinqing_auditentry_append_only
    BEFORE UPDATE OR DELETE ON qinqing_auditentry
    FOR EACH ROW EXECUTE FUNCTION qinqing_audit_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS qinqing_auditentry_append_only ON qinqing_auditentry;
DROP FUNCTION IF EXISTS qinqing_audit_append_only();
"""
SQLITE_FORWARD = """
CREATE TRIGGER qinqing_auditentry_no_update BEFORE UPDATE ON qinqing_auditentry
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS qinqing_auditentry_no_update;"


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def guard_forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def guard_reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("qinqing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        migrations.RunPython(guard_forward, guard_reverse),
    ]
