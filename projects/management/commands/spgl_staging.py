"""``manage.py spgl_staging``: build a copy of the city's SPGL staging tables on the ``spgl`` database (for
``make run``, the tests and a district trying the exchange before it is given its real 前置库)."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "在 SPGL_DATABASE_URL 指向的库中建立 SPGL 前置库表（开发、测试、演示用；真实前置库由市里提供）"

    def add_arguments(self, parser):
        parser.add_argument("--drop", action="store_true", help="先删除这些表（清空演示数据）")

    def handle(self, *args, drop: bool = False, **options):
        from projects.exchange import staging

        if drop:
            staging.drop_schema()
        made = staging.create_schema()
        where = staging.connection().settings_dict["NAME"]
        if made:
            self.stdout.write(f"SPGL 前置库（{where}）：已建表 {'、'.join(made)}")
        else:
            self.stdout.write(f"SPGL 前置库（{where}）：各表已存在")
