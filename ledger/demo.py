"""Demo data for the ledger: twelve weeks of walk-ins for the trend, and an archive of issued reports."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from ledger import archive, exports, summary_issues, tasks
from ledger.filters import filtered_ledger
from ledger.models import Export, ExportJob
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
    _seed_export_job(stdout)
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
                title=summary_issues.document_title(period),  # 月报 2026年11月, 周报 2026年第47周
                content=content,
                content_type=archive.PDF if kind == "pdf" else archive.XLSX,
                filename=f"{summary_issues.file_stem(period)}.{kind}",
                row_count=summary.row_count,
                described=period.label,
            )
            issued += 1
    _seed_summary_issues(stdout, office, last_week)
    total = Consultation.objects.count()
    stdout.write(
        f"工作台账：补充近 12 周来访 {logged} 次（共 {total} 次），已存档周报 {issued} 份（上月 PDF、上周 Excel），"
        f"文件在 {settings.MEDIA_ROOT}"
    )


def _seed_export_job(stdout) -> None:
    """A background export the office asked for earlier, already made by the worker: it is listed on the
    office's workbench and in 导出记录 (the key projects' ledger, with full phone numbers)."""
    if ExportJob.objects.exists():
        return
    office = User.objects.get(username="demo_office")
    params = QueryDict(mutable=True)
    params.update({"is_key": "true", "full_phones": "1"})
    filterset, projects = filtered_ledger(office, params)
    job = ExportJob.objects.create(
        kind=Export.Kind.LEDGER_XLSX,
        params=params.urlencode(),
        described=filterset.describe() + "（含完整联系电话）",
        total=projects.count(),
        requested_by=office,
        requested_from="127.0.0.1",
    )
    tasks.export_ledger_xlsx.call(job.pk)  # what the worker does, here at once
    job.refresh_from_db()
    stdout.write(f"工作台账：后台导出 1 份（{job.status}，{job.export.filename if job.export else job.error}）")


DEMO_NARRATIVE = {
    "work": "本周帮办专员接待来访咨询和报件，新建项目档案并跟进办理事项；对逾期事项逐项提醒责任单位，"
    "召开联席会议协调用地红线冲突问题；完成随机回访，对差评事项下发整改。",
    "problems": "个别事项逾期未办结，主要是补正材料往返次数多、部门间意见不一致；部分容缺材料未按期补齐。",
    "plans": "一是对逾期事项实行日调度，督促责任单位限期办结；二是对补正材料实行一次性告知并跟踪补齐；"
    "三是对联席会议议定事项逐项跟踪落实。",
}


def _seed_summary_issues(stdout, office: User, last_week: Period) -> None:
    """The week before last issued as 周报 (numbered, archived, frozen); last week's narrative as a draft."""
    before_last = Period.week(*(last_week.start - timedelta(days=7)).isocalendar()[:2])
    draft = summary_issues.summary_draft_save(
        actor=office, request=None, period=before_last, version=None, **DEMO_NARRATIVE
    )
    issued = summary_issues.summary_issue(actor=office, request=None, period=before_last, version=draft.version)
    summary_issues.summary_draft_save(
        actor=office, request=None, period=last_week, version=None, work=DEMO_NARRATIVE["work"], problems="", plans=""
    )
    stdout.write(
        f"周报：{before_last.short} 已印发（{issued.number_label}），{last_week.short} 正文草稿待补充存在问题和下步打算"
    )
