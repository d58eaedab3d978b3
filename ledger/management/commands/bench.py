"""``manage.py bench``: one step of the benchmark on the database DATABASE_URL names.

    bench seed --projects N       bring the data set to N generated projects
    bench pages --json FILE       time the pages with budgets (and the weekly summary PDF)
    bench export --kind K --json FILE   one full-ledger export (ours, bare, import_export)
    bench sessions --json FILE    signed-in session cookies of the demo seats, for the load test

``make bench`` (``ledger/bench/run.py``) runs these in separate processes and writes the report.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "性能测试的一个步骤（由 make bench 调用）"

    def add_arguments(self, parser):
        parser.add_argument("step", choices=["seed", "pages", "export", "sessions"])
        parser.add_argument("--projects", type=int, default=10_000)
        parser.add_argument("--kind", choices=["ours", "bare", "import_export"], default="ours")
        parser.add_argument("--json", dest="json_path")

    def handle(self, *args, step: str, projects: int, kind: str, json_path: str | None, **options):
        from django.conf import settings

        if settings.PRODUCTION:
            raise CommandError("性能测试会写入大量生成数据，不能在生产模式下运行。")
        if connection.vendor != "postgresql":
            raise CommandError("性能测试需要 PostgreSQL：请设置 DATABASE_URL（make bench 会自动设置）。")
        from ledger.bench import measure, seed

        if step == "seed":
            seed.seed(projects, out=self.stdout.write)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            return
        if step == "pages":
            result = {"machine": measure.machine(), "pages": measure.pages(), "summary_pdf": measure.summary_pdf()}
            from projects.models import Project, ProjectMatter

            result["projects"] = Project.objects.count()
            result["matters"] = ProjectMatter.objects.count()
        elif step == "export":
            result = measure.export_run(kind)
        else:
            result = measure.sessions()
        text = json.dumps(result, ensure_ascii=False, indent=1)
        if json_path:
            Path(json_path).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text)
