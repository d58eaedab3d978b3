"""Demo data for the ledger: twelve weeks of walk-ins for the trend, and an archive of issued reports."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from ledger import archive, exports
from ledger.models import Export
from ledger.summary import Period, build_summary
from projects import demo_duplicates, services
from projects.models import Consultation, Project
from qinqing.models import User
from qinqing.roles import Role

QUESTIONS = (
    ("咨询", "当场解答", "社会投资小型低风险项目能否免于施工图审查？"),
    ("咨询", "一次性告知", "办理建设工程规划许可证需要准备哪些材料？"),
    ("咨询", "当场解答", "工程建设项目审批流程图在哪里可以查到？"),
    ("报件", "已收件", "提交建设工程消防设计审查申请材料。"),
    ("报件", "转窗口或单位办理", "提交施工许可申请，材料需窗口复核。"),
    ("咨询", "待答复", "老旧小区加装电梯的审批要求？需与住建部门确认后答复。"),
)
VISITORS = ("王先生", "刘女士", "陈经理", "张工", "李主任", "周女士", "吴先生", "郑经理")


def seed(stdout) -> None:
    _seed_exports(stdout)
    # last: a pair of duplicate dossiers to merge, one already merged, consultations waiting for an answer
    demo_duplicates.seed(stdout)


def _seed_exports(stdout) -> None:
    if Export.objects.exists():
        stdout.write("工作台账：已有导出记录，未重复创建")
        return
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    specialists = list(User.objects.filter(groups__name=Role.SPECIALIST, is_active=True).order_by("username"))
    projects = list(
        Project.objects.exclude(status__in=[Project.Status.TERMINATED, Project.Status.MERGED]).order_by("id")
    )
    rng = random.Random(2026)  # noqa: S311  (the same demo every time; not security)
    this_monday = today - timedelta(days=today.weekday())
    logged = 0
    for week in range(1, 12):
        monday = this_monday - timedelta(weeks=week)
        for _ in range(rng.randint(3, 9)):
            day = monday + timedelta(days=rng.randint(0, 4))
            kind, outcome, question = rng.choice(QUESTIONS)
            project = rng.choice(projects) if kind == "报件" else None
            services.consultation_log(
                actor=project.specialist if project else rng.choice(specialists),
                request=None,
                project=project,
                visited_at=datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))), tzinfo=zone),
                kind=kind,
                visitor_name=rng.choice(VISITORS),
                question=question,
                answer="已按办事指南答复。" if outcome != "待答复" else "",
                outcome=outcome,
            )
            logged += 1
    office = User.objects.get(username="demo_office")
    last_week = Period.last_week(today)
    last_month_end = today.replace(day=1) - timedelta(days=1)
    last_month = Period.of(last_month_end.replace(day=1), last_month_end)
    issued = 0
    for period, kinds in ((last_month, ("pdf",)), (last_week, ("xlsx",))):
        summary = build_summary(period, full="xlsx" in kinds)
        for kind in kinds:
            content = (
                exports.summary_pdf(summary, maker=office.name)
                if kind == "pdf"
                else exports.summary_workbook(summary, exporter=office.name)
            )
            archive.archive_issue(
                request=None,
                actor=office,
                params=period.querystring(),
                kind=Export.Kind.SUMMARY_PDF if kind == "pdf" else Export.Kind.SUMMARY_XLSX,
                title=f"周报 {period.short}",
                content=content,
                content_type=archive.PDF if kind == "pdf" else archive.XLSX,
                filename=f"亲清帮办周报-{period.short}.{kind}",
                row_count=summary.row_count,
                described=period.label,
            )
            issued += 1
    total = Consultation.objects.count()
    stdout.write(
        f"工作台账：补充近 12 周来访 {logged} 次（共 {total} 次），已存档周报 {issued} 份（上月 PDF、上周 Excel），"
        f"文件在 {settings.MEDIA_ROOT}"
    )
