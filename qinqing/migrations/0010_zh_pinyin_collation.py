"""An ICU collation that sorts Chinese by pinyin (阿 < 北 < 重 (chóng) < 张), for ordering names on
PostgreSQL (the ledger's 项目名称 order). SQLite has no ICU: there names keep their code-point order."""

from django.db import migrations

CREATE = "CREATE COLLATION IF NOT EXISTS zh_pinyin (provider = icu, locale = 'zh-u-co-pinyin')"
DROP = "DROP COLLATION IF EXISTS zh_pinyin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("qinqing", "0009_sms")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
