"""``manage.py spgl_demo``: the city's side of the demo (``make run``, after ``seed_demo`` and ``spgl_staging``).

Writes into the local copy of the staging database what the city's approval system would hold for two demo
projects: a 施工许可 matter it accepted and paused for 补正, a 撤销 no one here can apply by itself, a matter
code the catalogue does not know, and a status row without its matter instance; then exchanges once, so the
数据交换 page shows a run, its inbox and the rows reported. The matter codes given to the catalogue here are
illustrative (a district enters the city's own). Refused in production and run once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

DEMO_CODES = {
    "建筑工程施工许可证核发": ("500105-SGXK-001", "1.0"),
    "建设工程规划许可证核发": ("500105-GHXK-001", "1.0"),
}


class Command(BaseCommand):
    help = "演示环境：在本机前置库副本中写入市审批系统的演示数据，并交换一次"

    def handle(self, *args, **options):
        from projects.exchange import staging
        from projects.exchange.models import ExchangeRun
        from projects.exchange.runner import run_exchange
        from projects.models import Matter, Project, ProjectMatter
        from qinqing.workdays import WorkCalendar

        if settings.PRODUCTION:
            raise CommandError("生产环境不能载入演示数据。")
        if ExchangeRun.objects.exists():
            self.stdout.write("数据交换：已有交换记录，不再写入演示数据。")
            return
        staging.create_schema()
        for name, (code, version) in DEMO_CODES.items():
            Matter.objects.filter(name=name, spgl_code="").update(spgl_code=code, spgl_version=version)
        permit = Matter.objects.filter(name="建筑工程施工许可证核发").first()
        taken = ProjectMatter.objects.filter(matter=permit).values_list("project_id", flat=True)
        project = (
            Project.objects.exclude(code="")
            .filter(status=Project.Status.ACTIVE)
            .exclude(pk__in=taken)
            .order_by("id")
            .first()
        )
        if permit is None or project is None:
            self.stdout.write("数据交换：演示数据中没有合适的项目，跳过。")
            return
        calendar = WorkCalendar()
        today = timezone.localdate()
        days = [today]
        while len(days) < 4:
            days.append(days[-1] - timedelta(days=1))
            if not calendar.is_workday(days[-1]):
                days.pop()
        accepted, paused = days[3], days[1]
        gcdm = f"{project.code}-0001"
        stamp = iter(range(1, 100))

        def row(key, **columns):
            now = staging.to_staging(timezone.now()).replace(microsecond=0)
            return {
                "DFSJZJ": key,
                "XZQHDM": "500105",
                "SJYXBS": 1,
                "SJSCZT": 1,
                "GXSJ": now - timedelta(seconds=100 - next(stamp)),
                **columns,
            }

        def at(day, hour, minute=0):  # a local time, as the staging tables hold it
            return datetime.combine(day, time(hour, minute))

        staging.upsert(
            staging.PROJECTS,
            [row("CQ-XM-DEMO-1", XMDM=project.code, GCDM=gcdm, XMMC=project.name, JSDW=project.builder)],
        )
        staging.upsert(
            staging.MATTERS,
            [
                row(
                    "CQ-SX-DEMO-1",
                    GCDM=gcdm,
                    SPJDXH=3,
                    SPSXBM="500105-SGXK-001",
                    SPSXBBH="1.0",
                    SPSXMC=permit.name,
                    SPSXSLBM="CQ500105-SGXK-2026-0088",
                    SPBMMC=permit.unit.name,
                ),
                row(
                    "CQ-SX-DEMO-2",
                    GCDM=gcdm,
                    SPJDXH=3,
                    SPSXBM="500105-RFBA-009",
                    SPSXMC="人民防空工程竣工验收备案",
                    SPSXSLBM="CQ500105-RF-2026-0012",
                ),
            ],
        )
        staging.upsert(
            staging.STATUSES,
            [
                row(
                    "CQ-ZT-DEMO-1",
                    SPSXSLBM="CQ500105-SGXK-2026-0088",
                    BLZT=3,
                    BLSJ=at(accepted, 9, 30),
                    BLR="市政务服务中心窗口",
                    BLYJ="材料齐全，予以受理",
                ),
                row(
                    "CQ-ZT-DEMO-2",
                    SPSXSLBM="CQ500105-SGXK-2026-0088",
                    BLZT=6,
                    BLSJ=at(paused, 15),
                    BLR="王审批",
                    BLYJ="缺少工程质量终身责任承诺书",
                ),
                row(
                    "CQ-ZT-DEMO-3",
                    SPSXSLBM="CQ500105-SGXK-2026-0088",
                    BLZT=15,
                    BLSJ=at(today, 10),
                    BLR="市住房城乡建委",
                    BLYJ="撤销",
                ),
                row(
                    "CQ-ZT-DEMO-4",
                    SPSXSLBM="CQ500105-XX-2026-0999",
                    BLZT=3,
                    BLSJ=at(paused, 10),
                    BLR="市政务服务中心窗口",
                ),
            ],
        )
        run = run_exchange()
        self.stdout.write(
            f"数据交换（演示）：读取 {run.rows_read}，已处理 {run.rows_applied}，拒收 {run.rows_refused}，"
            f"待人工处理 {run.conflicts}，上报 {run.rows_written}"
        )
