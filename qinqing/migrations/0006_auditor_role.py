"""The auditor's group (审计员): reads the audit log and nothing else (三员分立)."""

from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="auditor")


class Migration(migrations.Migration):
    dependencies = [("qinqing", "0005_alter_auditentry_action")]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
