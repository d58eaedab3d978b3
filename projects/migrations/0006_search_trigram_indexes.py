"""Trigram indexes for the ledger's 查找 on PostgreSQL.

``Project.objects.search`` matches any part of six columns, case-insensitively: Django writes it as
``UPPER(col::text) LIKE UPPER('%…%')``, which no B-tree index can serve, so every search read the
whole project table (23 ms at 10,000 projects, ten times that at 100,000). A GIN index with
pg_trgm's ``gin_trgm_ops`` on exactly that expression lets PostgreSQL answer a LIKE '%…%' of three
or more characters from the index, one bitmap per column OR-ed together.

PostgreSQL only: SQLite (the embedded default) has neither GIN nor pg_trgm, and scans a hall's few
thousand projects quickly anyway. pg_trgm is a trusted extension (PostgreSQL 13 and later), so the
database's owner role that runs migrations may create it (deploy/postgresql/roles.sql).
"""

from django.db import migrations

SEARCHED = ("name", "code", "builder", "builder_credit_code", "contact_name", "site")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS projects_project_{column}_trgm "
            f'ON projects_project USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS projects_project_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("projects", "0005_stage_windows")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
